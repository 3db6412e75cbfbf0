"""Page indexes at council scale (issue 17, item 2): the case list read newest first a page at a time, and the work
queue's counts by state of plans, milestones, suspensions and terminations, and live deadlines soonest first.

Revision ID: b8c9d0e10025
Revises: f6a7b8c90023
Create Date: 2026-11-29 05:20:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b8c9d0e10025'
down_revision = 'f6a7b8c90023'
branch_labels = None
depends_on = None

INDEXES = [
    ('ix_case_file_council_created', 'case_file', ['council_id', 'created_at', 'id']),
    ('ix_action_plan_council_state', 'action_plan', ['council_id', 'state']),
    ('ix_milestone_council_state', 'milestone', ['council_id', 'state']),
    ('ix_suspension_council_state', 'suspension', ['council_id', 'state']),
    ('ix_termination_council_state', 'termination', ['council_id', 'state']),
]


LIVE = "status IN ('running', 'breached')"


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    # Running deadlines in the lists' order (due_at, id), so a page of them is read in order and the read stops.
    op.drop_index('ix_deadline_council_status_due', table_name='deadline')
    op.create_index('ix_deadline_council_status_due', 'deadline', ['council_id', 'status', 'due_at', 'id'],
                    unique=False)
    # Live deadlines soonest first (the overdue list and count); met and stopped ones are never listed.
    op.create_index('ix_deadline_live_due', 'deadline', ['council_id', 'due_at', 'id'], unique=False,
                    postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE))


def downgrade():
    op.drop_index('ix_deadline_live_due', table_name='deadline')
    op.drop_index('ix_deadline_council_status_due', table_name='deadline')
    op.create_index('ix_deadline_council_status_due', 'deadline', ['council_id', 'status', 'due_at'], unique=False)
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
