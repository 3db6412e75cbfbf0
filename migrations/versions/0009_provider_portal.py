"""Provider portal: plan versions, sign-off, evidence files

Revision ID: c9e2a7f30009
Revises: b8d1f6e20008
Create Date: 2026-11-22 15:40:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import models  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'c9e2a7f30009'
down_revision = 'b8d1f6e20008'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
