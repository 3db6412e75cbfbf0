"""Each provider's picture version: a number that moves in the same transaction as any change to the records the
provider page's picture is drawn from (its cases, notices, default notices, suspensions, complaints, safeguarding
concerns and their named officers, incidents, CQC ratings, and the provider's own audit events), read with the
provider, so that each web worker keeps the picture it drew (the timeline and the year of counts) until the next
change (models/picture_store.py; issue 17: the provider page spent half its time drawing them again at every view).

Revision ID: c5d6e7f80029
Revises: b4c5d6e70028
Create Date: 2026-11-30 13:00:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c5d6e7f80029'
down_revision = 'b4c5d6e70028'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('provider', sa.Column('picture_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('provider') as batch:
        batch.drop_column('picture_version')
