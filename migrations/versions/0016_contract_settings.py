"""Contract settings (A4 due dates, deemed receipt, local clocks, dated targets) and a suspension's ground

Revision ID: c0a7e1140014
Revises: f1c4a6b70014
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0a7e1140014'
down_revision = 'f1c4a6b70014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settings', sa.JSON(), nullable=True))
    with op.batch_alter_table('suspension', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ground', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('suspension', schema=None) as batch_op:
        batch_op.drop_column('ground')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_column('settings')
