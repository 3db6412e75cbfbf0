"""Each council's settings version: a number that moves whenever one of the council's own settings changes (a closure
day added or removed, its safeguarding timescales), read with the signed-in person on every page, so that each web
worker keeps what it works out from them (working calendars, local practice) from one request to the next and reads
them again only when they change (issue 17: every page that counts working days read the closures once a request,
and the safeguarding list read the council for its timescales).

Revision ID: a3b4c5d60027
Revises: f2a3b4c50026
Create Date: 2026-11-29 22:30:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'a3b4c5d60027'
down_revision = 'f2a3b4c50026'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('council', sa.Column('settings_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('council') as batch:
        batch.drop_column('settings_version')
