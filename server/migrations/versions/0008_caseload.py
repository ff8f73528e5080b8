"""Lead decisions (who confirmed or declined a lead, when, the household or the reason) and
when a tablet last reported its outbox (device.reported_at, for the handover view).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 16:40:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('decided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('household_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('decision_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_lead_decided_by_id_user_account'), 'user_account', ['decided_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_lead_household_id_household'), 'household', ['household_id'], ['id'])


def downgrade():
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_lead_household_id_household'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_lead_decided_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('decision_reason')
        batch_op.drop_column('household_id')
        batch_op.drop_column('decided_by_id')
        batch_op.drop_column('decided_at')
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.drop_column('reported_at')
