"""Warnings raised by visit rules: the kinds they raise, the key that stops duplicates, the
second street of a 人户分离 notice, and whom a disposal referred it to.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

OLD_KINDS = (
    'income_drop', 'job_loss', 'serious_illness', 'large_medical_expense', 'disability',
    'death_in_family', 'detention', 'housing_hazard', 'disaster', 'member_change', 'moved',
    'other', 'overdue', 'address_mismatch', 'urgent',
)
NEW_KINDS = OLD_KINDS[:12] + (
    'maybe_eligible', 'changed', 'hardship_not_eligible', 'no_support', 'deceased',
    'not_reached',
) + OLD_KINDS[12:]


def _kinds(codes):
    return "kind IN (" + ", ".join(f"'{c}'" for c in codes) + ")"


def _set_kinds(batch_op, codes):
    # The closed code list is the column's CHECK constraint (server.models.enumtype).
    batch_op.drop_constraint(op.f('ck_warning_warningkind'), type_='check')
    batch_op.create_check_constraint(op.f('ck_warning_warningkind'), sa.text(_kinds(codes)))


def upgrade():
    with op.batch_alter_table('warning', schema=None) as batch_op:
        _set_kinds(batch_op, NEW_KINDS)
        batch_op.add_column(sa.Column('also_street_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('source_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('referred_to', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_warning_also_street_id'), ['also_street_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_warning_household_id'), ['household_id', 'kind', 'source_key'])
        batch_op.create_foreign_key(batch_op.f('fk_warning_also_street_id_area'), 'area', ['also_street_id'], ['id'])


def downgrade():
    with op.batch_alter_table('warning', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_warning_also_street_id_area'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_warning_household_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_warning_also_street_id'))
        batch_op.drop_column('referred_to')
        batch_op.drop_column('source_key')
        batch_op.drop_column('also_street_id')
        _set_kinds(batch_op, OLD_KINDS)
