"""Push bookkeeping per advisor and tablet, mutation fingerprints, record payload hashes.

The three bookkeeping tables are rebuilt keyed by (user_id, device_id): a device_id is the
client's choice, so rows keyed by it alone could not be told apart between advisors. Their
old rows are not carried over (they cannot be attributed safely); a replay of a mutation
answered before this migration is still never applied twice: its record is found by its
own UUID and payload hash, or its id is refused as stale and the tablet renumbers it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 13:40:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _create_tables():
    op.create_table('device_sync',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('high_water', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_device_sync_user_id_user_account')),
    sa.PrimaryKeyConstraint('user_id', 'device_id', name=op.f('pk_device_sync'))
    )
    op.create_table('device_mutation',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('mutation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('result', JSON, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_device_mutation_user_id_user_account')),
    sa.PrimaryKeyConstraint('user_id', 'device_id', 'mutation_id', name=op.f('pk_device_mutation'))
    )
    op.create_index('ix_device_mutation_at', 'device_mutation', ['at'], unique=False)
    op.create_table('idempotent_reply',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('response', JSON, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_idempotent_reply_user_id_user_account')),
    sa.PrimaryKeyConstraint('user_id', 'device_id', 'key', name=op.f('pk_idempotent_reply'))
    )
    op.create_index('ix_idempotent_reply_at', 'idempotent_reply', ['at'], unique=False)


def upgrade():
    op.drop_index('ix_idempotent_reply_at', table_name='idempotent_reply')
    op.drop_table('idempotent_reply')
    op.drop_table('device_mutation')
    op.drop_table('device_sync')
    _create_tables()
    for table in ('visit', 'interview'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('payload_hash', sa.String(length=64), nullable=True))


def downgrade():
    for table in ('interview', 'visit'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('payload_hash')
    op.drop_index('ix_idempotent_reply_at', table_name='idempotent_reply')
    op.drop_index('ix_device_mutation_at', table_name='device_mutation')
    op.drop_table('idempotent_reply')
    op.drop_table('device_mutation')
    op.drop_table('device_sync')
    op.create_table('device_mutation',
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('mutation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('result', JSON, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'mutation_id', name=op.f('pk_device_mutation'))
    )
    op.create_table('device_sync',
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('high_water', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_device_sync'))
    )
    op.create_table('idempotent_reply',
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('response', JSON, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'key', name=op.f('pk_idempotent_reply'))
    )
    op.create_index('ix_idempotent_reply_at', 'idempotent_reply', ['at'], unique=False)
