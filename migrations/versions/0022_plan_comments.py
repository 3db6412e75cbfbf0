"""Plan comments: a comment on one row or one milestone of an action plan (issue 16, item 4)

Revision ID: f6a7b8c90023
Revises: d4e5f6a70021
Create Date: 2026-11-29 05:05:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f6a7b8c90023'
down_revision = 'd4e5f6a70021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'plan_comment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('council_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('row_id', sa.Integer(), nullable=True),
        sa.Column('milestone_id', sa.Integer(), nullable=True),
        sa.Column('about', sa.String(length=400), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_plan_comment_author_id_user')),
        sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_plan_comment_case_id_case_file')),
        sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_plan_comment_council_id_council')),
        sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], name=op.f('fk_plan_comment_milestone_id_milestone'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['plan_id'], ['action_plan.id'], name=op.f('fk_plan_comment_plan_id_action_plan')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_plan_comment_provider_id_provider')),
        sa.ForeignKeyConstraint(['row_id'], ['action_plan_row.id'],
                                name=op.f('fk_plan_comment_row_id_action_plan_row'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_comment')),
    )
    with op.batch_alter_table('plan_comment', schema=None) as batch_op:
        batch_op.create_index('ix_plan_comment_plan_council', ['plan_id', 'council_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_comment_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_comment_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_comment_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_comment_row_id'), ['row_id'], unique=False)


def downgrade():
    op.drop_table('plan_comment')
