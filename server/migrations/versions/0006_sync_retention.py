"""Retention: sync_counter.pruned_through (the prune's horizon for pull cursors), and an
index on tombstone.at (the prune picks its batches by age).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Not in a batch: adding a column with a default is done in place on SQLite as well.
    op.add_column(
        'sync_counter',
        sa.Column('pruned_through', sa.BigInteger(), nullable=False, server_default='0'),
    )
    op.create_index('ix_tombstone_at', 'tombstone', ['at'], unique=False)


def downgrade():
    op.drop_index('ix_tombstone_at', table_name='tombstone')
    op.drop_column('sync_counter', 'pruned_through')
