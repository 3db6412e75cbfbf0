"""Cornwall's young people (issue 15, item 4): a leaving-care record per young person, with its CW-14, CW-16 and
CW-10 clocks; the person it points at is the `person` of 0018 (nothing is added to that table)

Revision ID: c3d4e5f60020
Revises: b2c3d4e50019
Create Date: 2026-11-29 05:10:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c3d4e5f60020'
down_revision = 'b2c3d4e50019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'leaving_care',
        sa.Column('reference', sa.String(length=20), nullable=False),
        sa.Column('state', sa.Enum('referred', 'allocated', 'closed', name='leavingcarestate',
                                   native_enum=False, length=40), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('referred_on', sa.Date(), nullable=False),
        sa.Column('allocated_on', sa.Date(), nullable=True),
        sa.Column('adviser_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_on', sa.Date(), nullable=True),
        sa.Column('contacted_on', sa.Date(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('council_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['adviser_id'], ['user.id'], name=op.f('fk_leaving_care_adviser_id_user')),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_leaving_care_contract_id_contract')),
        sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_leaving_care_council_id_council')),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_leaving_care_person_id_person')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_leaving_care_provider_id_provider')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_leaving_care')),
        sa.UniqueConstraint('council_id', 'reference', name='uq_leaving_care_council_id'),
    )
    with op.batch_alter_table('leaving_care', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leaving_care_adviser_id'), ['adviser_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leaving_care_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leaving_care_council_id'), ['council_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leaving_care_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leaving_care_provider_id'), ['provider_id'], unique=False)


def downgrade():
    op.drop_table('leaving_care')
