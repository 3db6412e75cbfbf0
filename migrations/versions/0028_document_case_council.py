"""A case's letters are read by (case_id, council_id), the case page's question "has this case any letters?" among
them: with a one-column index on each column, SQLite chose the council's and read every letter of the council to
find one case's (0.7 ms of the case page with 1,000 letters in the council). The (case_id) index gives way to
(case_id, council_id), which serves every lookup it did.

Revision ID: b4c5d6e70028
Revises: a3b4c5d60027
Create Date: 2026-11-29 23:00:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b4c5d6e70028'
down_revision = 'a3b4c5d60027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_document_case_council', 'document', ['case_id', 'council_id'], unique=False)
    op.drop_index('ix_document_case_id', table_name='document')


def downgrade():
    op.create_index('ix_document_case_id', 'document', ['case_id'], unique=False)
    op.drop_index('ix_document_case_council', table_name='document')
