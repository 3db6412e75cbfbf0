"""Provider portal: plan versions, sign-off, evidence files

Revision ID: c9e2a7f30009
Revises: b8d1f6e20008
Create Date: 2026-11-22 15:40:00

"""
from alembic import op
import sqlalchemy as sa

import models  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'c9e2a7f30009'
down_revision = 'b8d1f6e20008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notice_representation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_notice_representation_author_id_user')),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_notice_representation_case_id_case_file')),
    sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_notice_representation_council_id_council')),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_notice_representation_notice_id_notice')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_notice_representation_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_representation'))
    )
    with op.batch_alter_table('notice_representation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_representation_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_notice_representation_notice_council', ['notice_id', 'council_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_representation_provider_id'), ['provider_id'], unique=False)

    op.create_table('milestone_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('commentary', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_milestone_update_author_id_user')),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_milestone_update_case_id_case_file')),
    sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_milestone_update_council_id_council')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], name=op.f('fk_milestone_update_milestone_id_milestone')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_milestone_update_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestone_update'))
    )
    with op.batch_alter_table('milestone_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestone_update_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_milestone_update_milestone_council', ['milestone_id', 'council_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestone_update_provider_id'), ['provider_id'], unique=False)

    op.create_table('evidence_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=False),
    sa.Column('update_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=100), nullable=False),
    sa.Column('storage_name', sa.String(length=64), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('review', sa.String(length=20), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_evidence_file_case_id_case_file')),
    sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_evidence_file_council_id_council')),
    sa.ForeignKeyConstraint(['milestone_id'], ['milestone.id'], name=op.f('fk_evidence_file_milestone_id_milestone')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_evidence_file_provider_id_provider')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user.id'], name=op.f('fk_evidence_file_reviewed_by_id_user')),
    sa.ForeignKeyConstraint(['update_id'], ['milestone_update.id'], name=op.f('fk_evidence_file_update_id_milestone_update')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_evidence_file_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_file')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_evidence_file_storage_name'))
    )
    with op.batch_alter_table('evidence_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_file_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_evidence_file_council_review', ['council_id', 'review'], unique=False)
        batch_op.create_index('ix_evidence_file_milestone_council', ['milestone_id', 'council_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_file_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_file_update_id'), ['update_id'], unique=False)

    with op.batch_alter_table('action_plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_action_plan_previous_id'), ['previous_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_action_plan_previous_id_action_plan'), 'action_plan', ['previous_id'], ['id'])


def downgrade():
    with op.batch_alter_table('action_plan', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_action_plan_previous_id_action_plan'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_action_plan_previous_id'))
        batch_op.drop_column('previous_id')

    with op.batch_alter_table('evidence_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_file_update_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_file_provider_id'))
        batch_op.drop_index('ix_evidence_file_milestone_council')
        batch_op.drop_index('ix_evidence_file_council_review')
        batch_op.drop_index(batch_op.f('ix_evidence_file_case_id'))

    op.drop_table('evidence_file')
    with op.batch_alter_table('milestone_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_milestone_update_provider_id'))
        batch_op.drop_index('ix_milestone_update_milestone_council')
        batch_op.drop_index(batch_op.f('ix_milestone_update_case_id'))

    op.drop_table('milestone_update')
    with op.batch_alter_table('notice_representation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_representation_provider_id'))
        batch_op.drop_index('ix_notice_representation_notice_council')
        batch_op.drop_index(batch_op.f('ix_notice_representation_case_id'))

    op.drop_table('notice_representation')
