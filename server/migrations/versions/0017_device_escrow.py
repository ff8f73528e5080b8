"""A tablet's escrowed store key (issue 19: a locked tablet handed to another advisor).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 18:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'device_escrow',
        sa.Column('device_id', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('deposited_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_device_escrow_user_id_user_account')),
        sa.PrimaryKeyConstraint('device_id', name=op.f('pk_device_escrow')),
    )


def downgrade():
    op.drop_table('device_escrow')
