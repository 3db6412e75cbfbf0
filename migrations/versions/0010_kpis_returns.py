"""KPIs, monitoring returns and breaches: return periods, submissions (history kept), KPI period results,
breach records (unique key per contract: idempotent evaluation) and monitoring occurrences.

Revision ID: dae3b8040010
Revises: c9e2a7f30009
Create Date: 2026-11-22 15:40:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import models  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'dae3b8040010'
down_revision = 'c9e2a7f30009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('monitoring_occurrence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('ref', sa.String(length=200), nullable=False),
    sa.Column('value', sa.String(length=60), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_monitoring_occurrence_contract_id_contract')),
    sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_monitoring_occurrence_council_id_council')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_monitoring_occurrence_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_occurrence'))
    )
    with op.batch_alter_table('monitoring_occurrence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_occurrence_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitoring_occurrence_council_id'), ['council_id'], unique=False)

    op.create_table('monitoring_return',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('due_explanation', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('due', 'submitted', 'accepted', 'queried', name='returnstate', native_enum=False, length=40), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=True),
    sa.Column('queries', sa.Integer(), nullable=False),
    sa.Column('query_reason', sa.Text(), nullable=True),
    sa.Column('created_at', models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_monitoring_return_contract_id_contract')),
    sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_monitoring_return_council_id_council')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_monitoring_return_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_return')),
    sa.UniqueConstraint('contract_id', 'return_id', 'period_start', name='uq_monitoring_return_period')
    )
    with op.batch_alter_table('monitoring_return', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_return_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index('ix_monitoring_return_council_due', ['council_id', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitoring_return_provider_id'), ['provider_id'], unique=False)

    op.create_table('breach_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('cites', sa.String(length=60), nullable=False),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('immediate', sa.Boolean(), nullable=False),
    sa.Column('advisory', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('proposals', sa.JSON(), nullable=False),
    sa.Column('found_at', models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_file.id'], name=op.f('fk_breach_record_case_id_case_file')),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_breach_record_contract_id_contract')),
    sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_breach_record_council_id_council')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_breach_record_decided_by_id_user')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_breach_record_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breach_record')),
    sa.UniqueConstraint('contract_id', 'key', name='uq_breach_record_key')
    )
    with op.batch_alter_table('breach_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breach_record_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_breach_record_council_id'), ['council_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_breach_record_provider_id'), ['provider_id'], unique=False)

    op.create_table('kpi_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('return_row_id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.String(length=64), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('numerator', sa.Float(), nullable=True),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('rag', sa.String(length=10), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_kpi_result_contract_id_contract')),
    sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_kpi_result_council_id_council')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_kpi_result_provider_id_provider')),
    sa.ForeignKeyConstraint(['return_row_id'], ['monitoring_return.id'], name=op.f('fk_kpi_result_return_row_id_monitoring_return')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_result')),
    sa.UniqueConstraint('contract_id', 'kpi_id', 'period_start', name='uq_kpi_result_period')
    )
    with op.batch_alter_table('kpi_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpi_result_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index('ix_kpi_result_council_provider', ['council_id', 'provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kpi_result_return_row_id'), ['return_row_id'], unique=False)

    op.create_table('return_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('return_row_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_return_submission_council_id_council')),
    sa.ForeignKeyConstraint(['return_row_id'], ['monitoring_return.id'], name=op.f('fk_return_submission_return_row_id_monitoring_return')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_return_submission_submitted_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_submission')),
    sa.UniqueConstraint('return_row_id', 'number', name='uq_return_submission_number')
    )
    with op.batch_alter_table('return_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_submission_council_id'), ['council_id'], unique=False)



def downgrade():
    with op.batch_alter_table('return_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_submission_council_id'))

    op.drop_table('return_submission')
    with op.batch_alter_table('kpi_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpi_result_return_row_id'))
        batch_op.drop_index('ix_kpi_result_council_provider')
        batch_op.drop_index(batch_op.f('ix_kpi_result_contract_id'))

    op.drop_table('kpi_result')
    with op.batch_alter_table('breach_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breach_record_provider_id'))
        batch_op.drop_index(batch_op.f('ix_breach_record_council_id'))
        batch_op.drop_index(batch_op.f('ix_breach_record_case_id'))

    op.drop_table('breach_record')
    with op.batch_alter_table('monitoring_return', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitoring_return_provider_id'))
        batch_op.drop_index('ix_monitoring_return_council_due')
        batch_op.drop_index(batch_op.f('ix_monitoring_return_contract_id'))

    op.drop_table('monitoring_return')
    with op.batch_alter_table('monitoring_occurrence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitoring_occurrence_council_id'))
        batch_op.drop_index(batch_op.f('ix_monitoring_occurrence_contract_id'))

    op.drop_table('monitoring_occurrence')
