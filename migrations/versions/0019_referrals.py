"""H&F referrals and packages of care (issue 15, item 2): three record kinds, referral, care_package and
capacity_confirmation

Revision ID: b2c3d4e50019
Revises: e1f0a2c40018
Create Date: 2026-11-29 06:00:00

Plain SQL/Core only: a migration must not import the app's models, which move on after it is written.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b2c3d4e50019'
down_revision = 'e1f0a2c40018'
branch_labels = None
depends_on = None


def _common(table: str) -> list:
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('council_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=True),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f(f'fk_{table}_contract_id_contract')),
        sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f(f'fk_{table}_council_id_council')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f(f'fk_{table}_provider_id_provider')),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f(f'fk_{table}_person_id_person')),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
        sa.UniqueConstraint('council_id', 'reference', name=f'uq_{table}_council_id'),
    ]


def _indexes(table: str, *extra: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in ('contract_id', 'council_id', 'provider_id', 'person_id', *extra):
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def upgrade():
    op.create_table(
        'referral',
        sa.Column('reference', sa.String(length=20), nullable=False),
        sa.Column('state', sa.Enum('received', 'acknowledged', 'accepted', 'declined', 'started', 'withdrawn',
                                   name='referralstate', native_enum=False, length=40), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('grade', sa.String(length=20), nullable=False),
        sa.Column('hospital_discharge', sa.Boolean(), nullable=False),
        sa.Column('response_rule', sa.String(length=20), nullable=False),
        sa.Column('response_hours', sa.Integer(), nullable=False),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('refusal_reason', sa.String(length=40), nullable=True),
        sa.Column('refusal_detail', sa.Text(), nullable=True),
        sa.Column('within_capacity', sa.Boolean(), nullable=True),
        sa.Column('late', sa.Boolean(), nullable=False),
        *_common('referral'),
    )
    _indexes('referral')
    op.create_table(
        'care_package',
        sa.Column('reference', sa.String(length=20), nullable=False),
        sa.Column('state', sa.Enum('active', 'in_hospital', 'suspended', 'ended', name='packagestate',
                                   native_enum=False, length=40), nullable=False),
        sa.Column('referral_id', sa.Integer(), nullable=True),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('referred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_on', sa.Date(), nullable=False),
        sa.Column('plan_agreed_on', sa.Date(), nullable=True),
        sa.Column('key_worker_on', sa.Date(), nullable=True),
        sa.Column('first_review_on', sa.Date(), nullable=True),
        sa.Column('last_review_on', sa.Date(), nullable=True),
        sa.Column('admitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_on', sa.Date(), nullable=True),
        sa.Column('unpaid_visits', sa.Integer(), nullable=False),
        sa.Column('unpaid_extra_hours', sa.Integer(), nullable=False),
        sa.Column('late', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_care_package_referral_id_referral')),
        *_common('care_package'),
    )
    _indexes('care_package', 'referral_id')
    op.create_table(
        'capacity_confirmation',
        sa.Column('reference', sa.String(length=20), nullable=False),
        sa.Column('state', sa.Enum('awaited', 'confirmed', 'missed', 'confirmed_late', name='capacitystate',
                                   native_enum=False, length=40), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('summary', sa.String(length=200), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('available_hours', sa.Integer(), nullable=True),
        sa.Column('available_from', sa.Date(), nullable=True),
        sa.Column('short_notice', sa.Boolean(), nullable=False),
        sa.Column('late', sa.Boolean(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('council_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id'],
                                name=op.f('fk_capacity_confirmation_contract_id_contract')),
        sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_capacity_confirmation_council_id_council')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'],
                                name=op.f('fk_capacity_confirmation_provider_id_provider')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_capacity_confirmation')),
        sa.UniqueConstraint('council_id', 'reference', name='uq_capacity_confirmation_council_id'),
        sa.UniqueConstraint('contract_id', 'due_on', name='uq_capacity_confirmation_contract_id'),
    )
    with op.batch_alter_table('capacity_confirmation', schema=None) as batch_op:
        for column in ('contract_id', 'council_id', 'provider_id'):
            batch_op.create_index(batch_op.f(f'ix_capacity_confirmation_{column}'), [column], unique=False)


def downgrade():
    op.drop_table('capacity_confirmation')
    op.drop_table('care_package')
    op.drop_table('referral')
