"""Incidents move through a machine like every other record: their state, backfilled from what was recorded.

Revision ID: 1bc7d2e40012
Revises: eb4f9c150011
"""

import sqlalchemy as sa
from alembic import op

revision = '1bc7d2e40012'
down_revision = 'eb4f9c150011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incident') as batch:
        batch.add_column(sa.Column('state', sa.Enum('recorded', 'reported', 'written_up', name='incidentstate',
                                                     native_enum=False, length=40),
                                   nullable=False, server_default='recorded'))
    op.execute("UPDATE incident SET state = 'reported' WHERE reported_at IS NOT NULL")
    op.execute("UPDATE incident SET state = 'written_up' WHERE written_report IS NOT NULL")


def downgrade():
    with op.batch_alter_table('incident') as batch:
        batch.drop_column('state')
