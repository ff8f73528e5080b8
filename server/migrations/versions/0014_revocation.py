"""Two kinds of revocation (retire, lost), the tablet's wipe report, and the offline lease's
policy (issue 19).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 17:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoke_kind', sa.Enum('retire', 'lost', name='revokekind', native_enum=False, create_constraint=True), nullable=True))
        batch_op.add_column(sa.Column('wiped_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('given_up', sa.Integer(), nullable=True))
    op.create_table(
        'device_policy',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('lease_hours', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_device_policy_updated_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_device_policy')),
    )


def downgrade():
    op.drop_table('device_policy')
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.drop_column('given_up')
        batch_op.drop_column('wiped_at')
        # SQLite's rebuilt table would keep the CHECK naming the dropped column.
        batch_op.drop_constraint(op.f('ck_device_revokekind'), type_='check')
        batch_op.drop_column('revoke_kind')
