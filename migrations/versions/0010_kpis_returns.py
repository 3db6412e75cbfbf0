"""KPIs, monitoring returns and breaches

Revision ID: dae3b8040010
Revises: c9e2a7f30009
Create Date: 2026-11-22 15:40:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import models  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'dae3b8040010'
down_revision = 'c9e2a7f30009'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
