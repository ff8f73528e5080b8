"""Database rules behind the row locks: one open caseload assignment per household, and
one ID number per active household (person.household_status, kept equal to its
household's status by a composite foreign key with ON UPDATE CASCADE, under a partial
unique index).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OPEN = "ended_at IS NULL"
ACTIVE_MEMBER = "household_status = 'active' AND id_number IS NOT NULL"


def _refuse_duplicates():
    """The indexes cannot be built over rows that already break them: say which rule, so
    the operator resolves those households first (nothing is changed by this migration)."""
    checks = {
        "households with more than one open caseload assignment": (
            "SELECT count(*) FROM (SELECT household_id FROM caseload_assignment "
            "WHERE ended_at IS NULL GROUP BY household_id HAVING count(*) > 1) AS d"
        ),
        "ID numbers held by members of more than one active household": (
            "SELECT count(*) FROM (SELECT p.id_number FROM person p JOIN household h "
            "ON h.id = p.household_id WHERE h.status = 'active' AND p.id_number IS NOT NULL "
            "GROUP BY p.id_number HAVING count(*) > 1) AS d"
        ),
    }
    bind = op.get_bind()
    for what, query in checks.items():
        found = bind.execute(sa.text(query)).scalar()
        if found:
            raise RuntimeError(f"Cannot upgrade to 0010: {found} {what}; resolve them first.")


def upgrade():
    _refuse_duplicates()
    with op.batch_alter_table('caseload_assignment', schema=None) as batch_op:
        batch_op.create_index('ux_caseload_assignment_open', ['household_id'], unique=True, postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))

    # A unique index, not a constraint: on SQLite a new constraint rebuilds household
    # (copy, DROP, rename), and with foreign keys on the DROP fails once a member, visit
    # or assignment points at a household. Both databases accept the index as the target
    # of person's composite foreign key.
    op.create_index('uq_household_id_status', 'household', ['id', 'status'], unique=True)

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('household_status', sa.String(length=6), server_default=sa.text("'active'"), nullable=False))
    op.execute(
        "UPDATE person SET household_status = "
        "(SELECT status FROM household WHERE household.id = person.household_id)"
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_person_household_status', 'household', ['household_id', 'household_status'], ['id', 'status'], onupdate='CASCADE')
        batch_op.create_index('ux_person_active_id_number', ['id_number'], unique=True, postgresql_where=sa.text(ACTIVE_MEMBER), sqlite_where=sa.text(ACTIVE_MEMBER))


def downgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ux_person_active_id_number', postgresql_where=sa.text(ACTIVE_MEMBER), sqlite_where=sa.text(ACTIVE_MEMBER))
        batch_op.drop_constraint('fk_person_household_status', type_='foreignkey')
        batch_op.drop_column('household_status')

    op.drop_index('uq_household_id_status', table_name='household')

    with op.batch_alter_table('caseload_assignment', schema=None) as batch_op:
        batch_op.drop_index('ux_caseload_assignment_open', postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
