"""The outbox claimed in (next_attempt_at, id) order along (status, next_attempt_at, id) (issue 17): claimed in id
order, PostgreSQL's generic plan walked the primary key past every retry still waiting out its backoff, 36 ms of an
idle tick with 9,000 of them, for no message sent.

Revision ID: e7f8091a0031
Revises: d6e7f8090030
Create Date: 2026-12-01 01:00:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e7f8091a0031'
down_revision = 'd6e7f8090030'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message') as batch:
        batch.drop_index('ix_outbox_message_status_next')
        batch.create_index('ix_outbox_message_status_next', ['status', 'next_attempt_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_message') as batch:
        batch.drop_index('ix_outbox_message_status_next')
        batch.create_index('ix_outbox_message_status_next', ['status', 'next_attempt_at'], unique=False)
