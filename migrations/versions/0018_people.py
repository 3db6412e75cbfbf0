"""People: a pseudonymous person under a contract (issue 15, item 3)

Revision ID: e1f0a2c40018
Revises: d7e2a9b30017
Create Date: 2026-11-29 05:00:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e1f0a2c40018'
down_revision = 'd7e2a9b30017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'person',
        sa.Column('reference', sa.String(length=40), nullable=False),
        sa.Column('role', sa.Enum('service_user', 'resident', 'young_person', name='personrole',
                                  native_enum=False, length=40), nullable=False),
        sa.Column('born_in', sa.Date(), nullable=True),
        sa.Column('started_on', sa.Date(), nullable=True),
        sa.Column('ended_on', sa.Date(), nullable=True),
        sa.Column('adviser_id', sa.Integer(), nullable=True),
        sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('council_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['adviser_id'], ['user.id'], name=op.f('fk_person_adviser_id_user')),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_person_contract_id_contract')),
        sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_person_council_id_council')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_person_provider_id_provider')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
        sa.UniqueConstraint('council_id', 'reference', name='uq_person_council_id'),
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_adviser_id'), ['adviser_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_council_id'), ['council_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_provider_id'), ['provider_id'], unique=False)


def downgrade():
    op.drop_table('person')
