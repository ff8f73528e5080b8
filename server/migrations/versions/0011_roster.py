"""Roster import: what the last import wrote per household (three-way merge on re-import)
and one row per import (a second import of the same upload is refused).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported_values', JSON, nullable=True))

    op.create_table(
        'roster_import',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('upload_id', sa.String(length=64), nullable=True),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('counts', JSON, nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_roster_import_actor_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_import')),
        sa.UniqueConstraint('upload_id', name=op.f('uq_roster_import_upload_id')),
    )


def downgrade():
    op.drop_table('roster_import')
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_column('imported_values')
