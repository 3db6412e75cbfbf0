"""Provider page indexes (issue 17, item 2): a provider's newest cases, notices and complaints and a year of them
counted by quarter, read along (provider, date) instead of every row of the provider.

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


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
