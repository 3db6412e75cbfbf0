"""Duties to notify and requests with a due date (issue 15): two record kinds, notification and info_request

Revision ID: d7e2a9b30017
Revises: c0a7e1140014
Create Date: 2026-11-29 12:00:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd7e2a9b30017'
down_revision = 'c0a7e1140014'
branch_labels = None
depends_on = None


def _common(table: str) -> list:
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('council_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f(f'fk_{table}_contract_id_contract')),
        sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f(f'fk_{table}_council_id_council')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f(f'fk_{table}_provider_id_provider')),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
        sa.UniqueConstraint('council_id', 'reference', name=f'uq_{table}_council_id'),
    ]


def _indexes(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{table}_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f(f'ix_{table}_council_id'), ['council_id'], unique=False)
        batch_op.create_index(batch_op.f(f'ix_{table}_provider_id'), ['provider_id'], unique=False)


def upgrade():
    op.create_table(
        'duty_notification',
        sa.Column('reference', sa.String(length=20), nullable=False),
        sa.Column('state', sa.Enum('awaited', 'notified', 'late', 'notified_late', name='notificationstate',
                                   native_enum=False, length=40), nullable=False),
        sa.Column('duty', sa.String(length=64), nullable=False),
        sa.Column('rule', sa.String(length=20), nullable=False),
        sa.Column('what_happened', sa.Text(), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('notified_on', sa.Date(), nullable=True),
        sa.Column('how', sa.String(length=500), nullable=True),
        sa.Column('late', sa.Boolean(), nullable=False),
        *_common('duty_notification'),
    )
    _indexes('duty_notification')
    op.create_table(
        'info_request',
        sa.Column('reference', sa.String(length=20), nullable=False),
        sa.Column('state', sa.Enum('open', 'answered', 'overdue', 'withdrawn', name='requeststate',
                                   native_enum=False, length=40), nullable=False),
        sa.Column('request_type', sa.String(length=64), nullable=False),
        sa.Column('rule', sa.String(length=20), nullable=False),
        sa.Column('what_asked', sa.Text(), nullable=False),
        sa.Column('asked_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.Column('answered_on', sa.Date(), nullable=True),
        sa.Column('late', sa.Boolean(), nullable=False),
        *_common('info_request'),
    )
    _indexes('info_request')


def downgrade():
    op.drop_table('info_request')
    op.drop_table('duty_notification')
