"""Significant adverse financial changes (TH-16): a new record kind, reported within 7 working days

Revision ID: f1c4a6b70014
Revises: 5ec0a1d10012
Create Date: 2026-11-29 10:00:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f1c4a6b70014'
down_revision = '5ec0a1d10012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'financial_change',
        sa.Column('reference', sa.String(length=20), nullable=False),
        sa.Column('state', sa.Enum('recorded', 'reported', name='financialchangestate', native_enum=False,
                                   length=40), nullable=False),
        sa.Column('what_changed', sa.Text(), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('reported_on', sa.Date(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('council_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id'],
                                name=op.f('fk_financial_change_contract_id_contract')),
        sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_financial_change_council_id_council')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'],
                                name=op.f('fk_financial_change_provider_id_provider')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_financial_change')),
        sa.UniqueConstraint('council_id', 'reference', name='uq_financial_change_council_id'),
    )
    with op.batch_alter_table('financial_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_financial_change_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_financial_change_council_id'), ['council_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_financial_change_provider_id'), ['provider_id'], unique=False)


def downgrade():
    op.drop_table('financial_change')
