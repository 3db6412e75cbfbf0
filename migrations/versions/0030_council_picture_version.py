"""Each council's picture version: a number that moves in the same transaction as any change to the records the
council's lists and work queue are drawn from (every kind of record, its deadlines, providers and contracts; not the
audit trail, messages or people's sign-ins), read with the signed-in person or API token, so that each web worker
keeps a list page it drew, and the dashboard's counts, until the next change (models/picture_versions.py; issue 17:
the lists and the dashboard read and drew the same rows again at every view).

Revision ID: d6e7f8090030
Revises: c5d6e7f80029
Create Date: 2026-11-30 16:00:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'd6e7f8090030'
down_revision = 'c5d6e7f80029'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('council', sa.Column('picture_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('council') as batch:
        batch.drop_column('picture_version')
