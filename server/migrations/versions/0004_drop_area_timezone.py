"""Drop area.timezone: never read; the zone is the app's TANFANG_TIMEZONE.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    # Not in a batch: SQLite (3.35+) drops a plain column in place, whereas a batch would
    # copy the table, which other tables' rows refer to.
    op.drop_column('area', 'timezone')


def downgrade():
    op.add_column(
        'area',
        sa.Column('timezone', sa.String(length=64), nullable=False, server_default='Asia/Shanghai'),
    )
