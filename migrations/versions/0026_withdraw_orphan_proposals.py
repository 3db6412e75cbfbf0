"""Proposals left pending on closed cases are withdrawn (and audited)

Revision ID: f2a3b4c50026
Revises: e1f2a3b40025
Create Date: 2026-11-29 19:30:00

Remedy proposes a suspension or termination for the authorised officer to decide (rules.md A53) and leaves the
case's rung alone until then, so a case could be resolved or withdrawn while its proposal still waited: a
suspension "proposed" or a termination "considered" on a closed case, which nobody could decide any more (a closed
case takes no steps) and which the council's work queue had to check against its case, row by row. Closing a case
now withdraws them through their machines (models/case_records.py, `_withdraw_proposals`); this does the same for
those left before, as the machines' own `withdraw` step would: the new state, a new version, and a
PROPOSAL_WITHDRAWN event in the record's audit trail saying why.

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2a3b4c50026'
down_revision = 'e1f2a3b40025'
branch_labels = None
depends_on = None

CLOSED = ('resolved', 'terminated', 'withdrawn')
# (table, audit entity type, the pending state, the state its machine's withdraw step leads to)
PROPOSALS = [('suspension', 'suspension', 'proposed', 'cancelled'),
             ('termination', 'termination', 'considered', 'not_pursued')]

audit_event = sa.table(
    'audit_event',
    sa.column('council_id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
    sa.column('actor_id', sa.Integer), sa.column('actor_label', sa.String), sa.column('entity_type', sa.String),
    sa.column('entity_id', sa.Integer), sa.column('case_id', sa.Integer), sa.column('event', sa.String),
    sa.column('from_state', sa.String), sa.column('to_state', sa.String), sa.column('reason', sa.Text),
    sa.column('data', sa.JSON),
)
case_file = sa.table('case_file', sa.column('id', sa.Integer), sa.column('state', sa.String))


def upgrade():
    bind = op.get_bind()
    now = datetime.now(UTC)
    if bind.dialect.name == 'sqlite':
        now = now.replace(tzinfo=None)  # what the app's UTCDateTime stores on SQLite: naive UTC text
    for table_name, entity_type, pending, withdrawn in PROPOSALS:
        table = sa.table(table_name, sa.column('id', sa.Integer), sa.column('council_id', sa.Integer),
                         sa.column('case_id', sa.Integer), sa.column('state', sa.String),
                         sa.column('updated_at', sa.DateTime(timezone=True)), sa.column('version_id', sa.Integer))
        left = bind.execute(
            sa.select(table.c.id, table.c.council_id, table.c.case_id, case_file.c.state)
            .join(case_file, case_file.c.id == table.c.case_id)
            .where(table.c.state == pending, case_file.c.state.in_(CLOSED))
            .order_by(table.c.id)).all()
        for record_id, council_id, case_id, case_state in left:
            bind.execute(table.update().where(table.c.id == record_id).values(
                state=withdrawn, updated_at=now, version_id=table.c.version_id + 1))
            bind.execute(audit_event.insert().values(
                council_id=council_id, at=now, actor_id=None, actor_label='Remedy (automatic)',
                entity_type=entity_type, entity_id=record_id, case_id=case_id, event='PROPOSAL_WITHDRAWN',
                from_state=pending, to_state=withdrawn,
                reason=f"The case was closed ({case_state.replace('_', ' ')}) while this proposal waited for a "
                       "decision",
                data={'migration': revision}))


def downgrade():
    # Withdrawn proposals stay withdrawn: the audit trail says when and why.
    pass
