"""Leads (走访发现): households found in the field, queued per street for supervisors.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.create_table('lead',
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('advisor_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('head_name', sa.String(length=50), nullable=False),
    sa.Column('residence_address', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('observations', sa.Text(), nullable=False),
    sa.Column('suggested_categories', JSON, nullable=False),
    sa.Column('location', JSON, nullable=True),
    sa.Column('status', sa.Enum('new', 'confirmed', 'dismissed', name='leadstatus', native_enum=False, create_constraint=True, length=9), nullable=False),
    sa.Column('flag', sa.String(length=64), nullable=True),
    sa.Column('payload_hash', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['advisor_id'], ['user_account.id'], name=op.f('fk_lead_advisor_id_user_account')),
    sa.ForeignKeyConstraint(['street_id'], ['area.id'], name=op.f('fk_lead_street_id_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead'))
    )
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_advisor_id'), ['advisor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_street_id'), ['street_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_version'), ['version'], unique=False)


def downgrade():
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_version'))
        batch_op.drop_index(batch_op.f('ix_lead_street_id'))
        batch_op.drop_index(batch_op.f('ix_lead_advisor_id'))

    op.drop_table('lead')
