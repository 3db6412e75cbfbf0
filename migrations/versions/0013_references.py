"""References: a per-council counter per kind, duplicates renumbered (and audited), unique per council

Revision ID: a7c3e5f10013
Revises: 1bc7d2e40012
Create Date: 2026-11-24 10:00:00

References used to be count(*) + 1, so records created at the same moment could share one. This renumbers the
later records of every shared reference (the oldest keeps it), writes the old and new reference to the audit trail,
starts each council's counters after its highest number, and makes references unique per council.

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
import re
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e5f10013'
down_revision = '1bc7d2e40012'
branch_labels = None
depends_on = None

# (table, reference prefix, audit entity type, the kind in words, whether the record is its own case timeline)
KINDS = [
    ('case_file', 'CASE', 'case', 'case', True),
    ('complaint', 'CMP', 'complaint', 'complaint', False),
    ('safeguarding_concern', 'SG', 'safeguarding_concern', 'safeguarding concern', False),
    ('incident', 'INC', 'incident', 'incident', False),
]
# The case table already has its constraint (uq_case_file_council_reference).
NEW_CONSTRAINTS = [('complaint', 'uq_complaint_council_id'),
                   ('safeguarding_concern', 'uq_safeguarding_concern_council_id'),
                   ('incident', 'uq_incident_council_id')]

audit_event = sa.table(
    'audit_event',
    sa.column('council_id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
    sa.column('actor_id', sa.Integer), sa.column('actor_label', sa.String), sa.column('entity_type', sa.String),
    sa.column('entity_id', sa.Integer), sa.column('case_id', sa.Integer), sa.column('event', sa.String),
    sa.column('from_state', sa.String), sa.column('to_state', sa.String), sa.column('reason', sa.Text),
    sa.column('data', sa.JSON),
)


def _number(prefix, reference):
    match = re.fullmatch(rf'{prefix}-(\d+)', reference or '')
    return int(match.group(1)) if match else 0


def _renumber(bind, now, table_name, prefix, entity_type, words, own_case):
    """Give every record whose reference an older record of its council already holds the next free number,
    and say so in the audit trail; returns {council_id: highest number in use}."""
    table = sa.table(table_name, sa.column('id', sa.Integer), sa.column('council_id', sa.Integer),
                     sa.column('reference', sa.String), sa.column('created_at', sa.DateTime(timezone=True)))
    rows = bind.execute(sa.select(table.c.id, table.c.council_id, table.c.reference)
                        .order_by(table.c.council_id, table.c.created_at, table.c.id)).all()
    highest, seen = {}, set()
    for _id, council_id, reference in rows:
        highest[council_id] = max(highest.get(council_id, 0), _number(prefix, reference))
    for record_id, council_id, reference in rows:
        if (council_id, reference) not in seen:
            seen.add((council_id, reference))
            continue
        highest[council_id] += 1
        new = f'{prefix}-{highest[council_id]:05d}'
        seen.add((council_id, new))
        bind.execute(table.update().where(table.c.id == record_id).values(reference=new))
        bind.execute(audit_event.insert().values(
            council_id=council_id, at=now, actor_id=None, actor_label='Remedy (automatic)', entity_type=entity_type,
            entity_id=record_id, case_id=record_id if own_case else None, event='REFERENCE_RENUMBERED',
            reason=f'{reference} was also the reference of an older {words}: this one is now {new}',
            data={'old_reference': reference, 'new_reference': new}))
    return highest


def upgrade():
    op.create_table(
        'reference_counter',
        sa.Column('council_id', sa.Integer(), nullable=False),
        sa.Column('prefix', sa.String(length=10), nullable=False),
        sa.Column('last', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_reference_counter_council_id_council')),
        sa.PrimaryKeyConstraint('council_id', 'prefix', name=op.f('pk_reference_counter')),
    )
    bind = op.get_bind()
    now = datetime.now(UTC)
    if bind.dialect.name == 'sqlite':
        now = now.replace(tzinfo=None)  # what the app's UTCDateTime stores on SQLite: naive UTC text
    counter = sa.table('reference_counter', sa.column('council_id', sa.Integer), sa.column('prefix', sa.String),
                       sa.column('last', sa.Integer))
    for table_name, prefix, entity_type, words, own_case in KINDS:
        highest = _renumber(bind, now, table_name, prefix, entity_type, words, own_case)
        if highest:
            bind.execute(counter.insert(), [{'council_id': council_id, 'prefix': prefix, 'last': last}
                                            for council_id, last in sorted(highest.items())])
    for table_name, name in NEW_CONSTRAINTS:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.create_unique_constraint(name, ['council_id', 'reference'])


def downgrade():
    # Renumbered references stay renumbered: the audit trail says what each one was.
    for table_name, name in reversed(NEW_CONSTRAINTS):
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_='unique')
    op.drop_table('reference_counter')
