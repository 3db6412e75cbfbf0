"""Meeting cadences (issue 15, item 6): the planned next meeting of each cadence, and which cadence a meeting was;
evidence files on a request's answer (issue 15, item 1); Thurrock's per-person stay limits and annual soft-outcome
checks, and the Management Information return's fields (issue 15, item 5)

Revision ID: d4e5f6a70021
Revises: c3d4e5f60020
Create Date: 2026-11-29 05:20:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd4e5f6a70021'
down_revision = 'c3d4e5f60020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cadence', sa.String(length=64), nullable=True))
    op.create_table(
        'planned_meeting',
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=20), nullable=False),
        sa.Column('state', sa.Enum('planned', 'overdue', 'held', 'cancelled', name='plannedmeetingstate',
                                   native_enum=False, length=40), nullable=False),
        sa.Column('cadence', sa.String(length=64), nullable=False),
        sa.Column('rule', sa.String(length=20), nullable=False),
        sa.Column('what', sa.String(length=300), nullable=False),
        sa.Column('counted_from', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=True),
        sa.Column('held_on', sa.Date(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('council_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id'],
                                name=op.f('fk_planned_meeting_contract_id_contract')),
        sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_planned_meeting_council_id_council')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_planned_meeting_meeting_id_meeting')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'],
                                name=op.f('fk_planned_meeting_provider_id_provider')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_planned_meeting')),
        sa.UniqueConstraint('council_id', 'reference', name='uq_planned_meeting_council_id'),
    )
    with op.batch_alter_table('planned_meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_planned_meeting_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_planned_meeting_council_id'), ['council_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_planned_meeting_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_planned_meeting_provider_id'), ['provider_id'], unique=False)


    # Evidence files on requests (issue 15, item 1): the portal's evidence store, no longer only a milestone's.
    with op.batch_alter_table('evidence_file', schema=None) as batch_op:
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('milestone_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('request_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_evidence_file_request_id'), ['request_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_evidence_file_request_id_info_request'), 'info_request',
                                    ['request_id'], ['id'])

    op.create_table(
        'stay_limit',
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=20), nullable=False),
        sa.Column('state', sa.Enum('running', 'overstayed', 'ended', 'agreed', name='staystate',
                                   native_enum=False, length=40), nullable=False),
        sa.Column('limit', sa.String(length=64), nullable=False),
        sa.Column('rule', sa.String(length=20), nullable=False),
        sa.Column('started_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('ended_on', sa.Date(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('council_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_stay_limit_contract_id_contract')),
        sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_stay_limit_council_id_council')),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_stay_limit_person_id_person')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_stay_limit_provider_id_provider')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stay_limit')),
        sa.UniqueConstraint('council_id', 'reference', name='uq_stay_limit_council_id'),
    )
    with op.batch_alter_table('stay_limit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stay_limit_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stay_limit_council_id'), ['council_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stay_limit_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stay_limit_provider_id'), ['provider_id'], unique=False)

    op.create_table(
        'soft_outcome_check',
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=20), nullable=False),
        sa.Column('state', sa.Enum('due', 'overdue', 'recorded', name='checkstate', native_enum=False, length=40),
                  nullable=False),
        sa.Column('rule', sa.String(length=20), nullable=False),
        sa.Column('counted_from', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('checked_on', sa.Date(), nullable=True),
        sa.Column('ratings', sa.JSON(), nullable=True),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('council_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id'],
                                name=op.f('fk_soft_outcome_check_contract_id_contract')),
        sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_soft_outcome_check_council_id_council')),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_soft_outcome_check_person_id_person')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'],
                                name=op.f('fk_soft_outcome_check_provider_id_provider')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_soft_outcome_check')),
        sa.UniqueConstraint('council_id', 'reference', name='uq_soft_outcome_check_council_id'),
    )
    with op.batch_alter_table('soft_outcome_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_soft_outcome_check_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_soft_outcome_check_council_id'), ['council_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_soft_outcome_check_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_soft_outcome_check_provider_id'), ['provider_id'], unique=False)
    # TH-22: a return's structured items (Management Information) kept with each submission.
    with op.batch_alter_table('return_submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fields', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('return_submission', schema=None) as batch_op:
        batch_op.drop_column('fields')
    op.drop_table('soft_outcome_check')
    op.drop_table('stay_limit')
    with op.batch_alter_table('evidence_file', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_evidence_file_request_id_info_request'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_evidence_file_request_id'))
        batch_op.drop_column('request_id')
        batch_op.alter_column('milestone_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('case_id', existing_type=sa.Integer(), nullable=False)
    op.drop_table('planned_meeting')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('cadence')
