"""Complaints, safeguarding and incidents: fields for the web pages

Revision ID: b8d1f6e20008
Revises: a7c0e5d10007
Create Date: 2026-11-22 15:40:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import models  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'b8d1f6e20008'
down_revision = 'a7c0e5d10007'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
