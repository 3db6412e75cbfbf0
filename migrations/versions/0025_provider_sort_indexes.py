"""Lists sorted by provider (issue 17, item 2): a council's providers read by name, (council_id, name, id), and
each provider's rows read newest first, (provider_id, id), so that a page sorted by provider reads its 25 rows
instead of sorting every open row of the council (SQLite 918 ms, PostgreSQL 332 ms at 100,000 cases).

The (provider_id) index of every record people act on becomes (provider_id, id) under the same name: PostgreSQL
cannot read a one-column index in id order (SQLite could, its rowid being the id), and the two-column index serves
every lookup the one-column one did. The provider's (council_id) index gives way to (council_id, name, id).

And the provider page's newest default notices, suspensions and incidents, read along (provider, date) like its
cases, notices and complaints (0024), all of them with the id after the date, so that a busy day is read in order
instead of sorted (3,481 notices of one provider on one day at 1,000,000 cases); and every other list's page
read newest first along (council_id, its date, id), as the case list's is, instead of sorting the council's rows.

Revision ID: e1f2a3b40025
Revises: d0e1f2a30024
Create Date: 2026-11-29 12:00:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e1f2a3b40025'
down_revision = 'd0e1f2a30024'
branch_labels = None
depends_on = None

TABLES = [
    'action_plan', 'breach_record', 'capacity_confirmation', 'care_package', 'case_file', 'complaint',
    'default_notice', 'duty_notification', 'financial_change', 'incident', 'info_request', 'leaving_care', 'meeting',
    'milestone', 'monitoring_return', 'notice', 'person', 'planned_meeting', 'referral', 'safeguarding_concern',
    'soft_outcome_check', 'stay_limit', 'suspension', 'termination',
]

# 0024's (provider_id, date) indexes gain the id: many rows share a day, and PostgreSQL sorted every row of the
# newest day (3,481 notices at 1,000,000 cases) to take the newest 60 by (date, id).
# The case list's (council_id, created_at, id) of 0023 gains the stage: "open only" read each skipped case's row to
# see its stage (the 40th page, 1,000 rows: 3.5 -> 2.4 ms in process on SQLite).
RESTAGED = [('ix_case_file_council_created', 'case_file', ['council_id', 'created_at', 'id'], 'state')]

REDATED = [
    ('ix_case_file_provider_created', 'case_file', ['provider_id', 'created_at']),
    ('ix_notice_provider_served', 'notice', ['provider_id', 'served_on']),
    ('ix_complaint_provider_received', 'complaint', ['provider_id', 'received_at']),
]

DATED = [
    ('ix_default_notice_provider_served', 'default_notice', ['provider_id', 'served_on', 'id']),
    ('ix_suspension_provider_starts', 'suspension', ['provider_id', 'starts_on', 'id']),
    ('ix_incident_provider_occurred', 'incident', ['provider_id', 'occurred_at', 'id']),
    # Every list's page newest first along (council_id, its date, id), with its stage, so that skipping to a deep page
    # reads the index alone (the case list's, below, gains the stage too).
    ('ix_complaint_council_received_at', 'complaint', ['council_id', 'received_at', 'id', 'state']),
    ('ix_safeguarding_concern_council_raised_on', 'safeguarding_concern', ['council_id', 'raised_on', 'id', 'state']),
    ('ix_incident_council_occurred_at', 'incident', ['council_id', 'occurred_at', 'id', 'state']),
    ('ix_duty_notification_council_occurred_on', 'duty_notification', ['council_id', 'occurred_on', 'id', 'state']),
    ('ix_info_request_council_asked_on', 'info_request', ['council_id', 'asked_on', 'id', 'state']),
    ('ix_leaving_care_council_referred_on', 'leaving_care', ['council_id', 'referred_on', 'id', 'state']),
    ('ix_referral_council_received_at', 'referral', ['council_id', 'received_at', 'id', 'state']),
    ('ix_care_package_council_started_on', 'care_package', ['council_id', 'started_on', 'id', 'state']),
    ('ix_capacity_confirmation_council_due_on', 'capacity_confirmation', ['council_id', 'due_on', 'id', 'state']),
    ('ix_monitoring_return_council_period_start', 'monitoring_return', ['council_id', 'period_start', 'id', 'state']),
    ('ix_breach_record_council_occurred_on', 'breach_record', ['council_id', 'occurred_on', 'id', 'status']),
]


def _provider_index(table, columns):
    op.drop_index(f'ix_{table}_provider_id', table_name=table)
    op.create_index(f'ix_{table}_provider_id', table, columns, unique=False)


def upgrade():
    for table in TABLES:
        _provider_index(table, ['provider_id', 'id'])
    op.drop_index('ix_provider_council_id', table_name='provider')
    op.create_index('ix_provider_council_name', 'provider', ['council_id', 'name', 'id'], unique=False)
    for name, table, columns in DATED:
        op.create_index(name, table, columns, unique=False)
    for name, table, columns in REDATED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [*columns, 'id'], unique=False)
    for name, table, columns, stage in RESTAGED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [*columns, stage], unique=False)


def downgrade():
    for name, table, columns, _stage in RESTAGED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, unique=False)
    for name, table, columns in reversed(REDATED):
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, unique=False)
    for name, table, _columns in reversed(DATED):
        op.drop_index(name, table_name=table)
    op.drop_index('ix_provider_council_name', table_name='provider')
    op.create_index('ix_provider_council_id', 'provider', ['council_id'], unique=False)
    for table in reversed(TABLES):
        _provider_index(table, ['provider_id'])
