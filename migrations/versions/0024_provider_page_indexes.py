"""Provider page indexes (issue 17, item 2): a provider's newest cases, notices and complaints and a year of them
counted by quarter, read along (provider, date) instead of every row of the provider; and a record's audit trail read
along (council, entity type, entity id, id), which SQLite without statistics now prefers to the council_id index
(the provider page's trail read a million events).

Revision ID: d0e1f2a30024
Revises: b8c9d0e10025
Create Date: 2026-11-29 08:10:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd0e1f2a30024'
down_revision = 'b8c9d0e10025'
branch_labels = None
depends_on = None

INDEXES = [
    ('ix_case_file_provider_created', 'case_file', ['provider_id', 'created_at']),
    ('ix_notice_provider_served', 'notice', ['provider_id', 'served_on']),
    ('ix_complaint_provider_received', 'complaint', ['provider_id', 'received_at']),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    op.drop_index('ix_audit_event_entity', table_name='audit_event')
    op.create_index('ix_audit_event_council_entity', 'audit_event', ['council_id', 'entity_type', 'entity_id', 'id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_audit_event_council_entity', table_name='audit_event')
    op.create_index('ix_audit_event_entity', 'audit_event', ['entity_type', 'entity_id', 'id'], unique=False)
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
