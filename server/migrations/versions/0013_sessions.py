"""Console sessions kept on the server (sign-out, deactivation, password and role changes
end them for good) and the addresses users signed in from (the sign-in throttle spares them).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'console_session',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_console_session_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_console_session')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_console_session_key_hash')),
    )
    with op.batch_alter_table('console_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_session_user_id'), ['user_id'], unique=False)
    op.create_table(
        'sign_in_address',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('remote_addr', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_sign_in_address_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_address')),
    )
    with op.batch_alter_table('sign_in_address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_address_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('sign_in_address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_address_user_id'))
    op.drop_table('sign_in_address')
    with op.batch_alter_table('console_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_session_user_id'))
    op.drop_table('console_session')
