"""Contracts: the day Remedy starts monitoring their returns

Revision ID: eb4f9c150011
Revises: dae3b8040010
Create Date: 2026-11-23 17:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'eb4f9c150011'
down_revision = 'dae3b8040010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('monitoring_from', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_column('monitoring_from')
