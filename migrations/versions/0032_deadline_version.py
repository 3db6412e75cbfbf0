"""A deadline's version: a number that moves with every change to the deadline, checked by each person's step that
changes it (SQLAlchemy's version_id_col), and moved by the scheduler's set-based breach too. A step that read a
deadline as running before a tick breached it used to mark it met over the breach (the breach's audit event and
messages stayed, the deadline said met); it is now refused as a change made meanwhile, and tried again.

Revision ID: f8091a2b0032
Revises: e7f8091a0031
Create Date: 2026-12-02 03:00:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'f8091a2b0032'
down_revision = 'e7f8091a0031'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('deadline', sa.Column('version_id', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('deadline') as batch:
        batch.drop_column('version_id')
