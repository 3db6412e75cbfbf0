"""Composite indexes for the case page and list

SQLite has no planner statistics in the app (it never runs ANALYZE), so with a single-column index on council_id
and another on case_id it guessed the council's index (every row) for "this case's records". A (case_id,
council_id) index matches both equalities and is always chosen; it also serves the foreign key.

Revision ID: a7c0e5d10007
Revises: 428817a234d4
Create Date: 2026-11-22 15:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c0e5d10007'
down_revision = '428817a234d4'
branch_labels = None
depends_on = None


RECORDS = ("notice", "action_plan", "milestone", "default_notice", "suspension", "termination")


def upgrade():
    for table in RECORDS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_case_id")
            batch_op.create_index(f"ix_{table}_case_council", ["case_id", "council_id"], unique=False)
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_case_status_due")
        batch_op.drop_index("ix_deadline_case_id")
        batch_op.drop_index("ix_deadline_council_id")
        batch_op.create_index("ix_deadline_case_council_status_due", ["case_id", "council_id", "status", "due_at"],
                              unique=False)
        batch_op.create_index("ix_deadline_council_status_due", ["council_id", "status", "due_at"], unique=False)


def downgrade():
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_council_status_due")
        batch_op.drop_index("ix_deadline_case_council_status_due")
        batch_op.create_index("ix_deadline_council_id", ["council_id"], unique=False)
        batch_op.create_index("ix_deadline_case_id", ["case_id"], unique=False)
        batch_op.create_index("ix_deadline_case_status_due", ["case_id", "status", "due_at"], unique=False)
    for table in RECORDS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_case_council")
            batch_op.create_index(f"ix_{table}_case_id", ["case_id"], unique=False)
