"""Console indexes: the review queue's waiting records, visit status in the visits-by-
household index (index-only monthly counts on the dashboard), and open warnings.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

WAITING = "status IN ('submitted', 'resubmitted')"
OPEN = "status <> 'closed'"


def upgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_review', ['household_id', 'urgent', 'visited_at', 'id'], unique=False, postgresql_where=sa.text(WAITING), sqlite_where=sa.text(WAITING))
        batch_op.drop_index('ix_visit_household_visited')
        batch_op.create_index('ix_visit_household_visited', ['household_id', 'visited_at'], unique=False, postgresql_include=['status'])

    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.create_index('ix_interview_review', ['household_id', 'interviewed_at', 'id'], unique=False, postgresql_where=sa.text(WAITING), sqlite_where=sa.text(WAITING))

    with op.batch_alter_table('warning', schema=None) as batch_op:
        batch_op.create_index('ix_warning_open', ['household_id', 'level'], unique=False, postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade():
    with op.batch_alter_table('warning', schema=None) as batch_op:
        batch_op.drop_index('ix_warning_open', postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))

    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.drop_index('ix_interview_review', postgresql_where=sa.text(WAITING), sqlite_where=sa.text(WAITING))

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_household_visited')
        batch_op.create_index('ix_visit_household_visited', ['household_id', 'visited_at'], unique=False)
        batch_op.drop_index('ix_visit_review', postgresql_where=sa.text(WAITING), sqlite_where=sa.text(WAITING))
