"""Safeguarding: the council's own timescales, the DBS referral told to the council, the investigation requested

Revision ID: b8d1f6e20008
Revises: a7c0e5d10007
Create Date: 2026-11-22 15:40:00

"""
from alembic import op
import sqlalchemy as sa

import models  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'b8d1f6e20008'
down_revision = 'a7c0e5d10007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('council', schema=None) as batch_op:
        batch_op.add_column(sa.Column('safeguarding_decision_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('safeguarding_strategy_meeting_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('safeguarding_enquiry_days', sa.Integer(), nullable=True))
    with op.batch_alter_table('safeguarding_concern', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dbs_council_told_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('investigation_requested_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('investigation_request', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('safeguarding_concern', schema=None) as batch_op:
        batch_op.drop_column('investigation_request')
        batch_op.drop_column('investigation_requested_on')
        batch_op.drop_column('dbs_council_told_on')
    with op.batch_alter_table('council', schema=None) as batch_op:
        batch_op.drop_column('safeguarding_enquiry_days')
        batch_op.drop_column('safeguarding_strategy_meeting_days')
        batch_op.drop_column('safeguarding_decision_days')
