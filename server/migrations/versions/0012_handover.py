"""Field work across a handover: what each tablet has pulled (device_sync.pulled_through,
pulled_at) and who corrected a returned record other than its author (corrected_by_id).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

RECORDS = ('visit', 'interview')


def upgrade():
    with op.batch_alter_table('device_sync', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pulled_through', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('pulled_at', sa.DateTime(timezone=True), nullable=True))
    for table in RECORDS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('corrected_by_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_corrected_by_id_user_account'), 'user_account', ['corrected_by_id'], ['id'])


def downgrade():
    for table in reversed(RECORDS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_corrected_by_id_user_account'), type_='foreignkey')
            batch_op.drop_column('corrected_by_id')
    with op.batch_alter_table('device_sync', schema=None) as batch_op:
        batch_op.drop_column('pulled_at')
        batch_op.drop_column('pulled_through')
