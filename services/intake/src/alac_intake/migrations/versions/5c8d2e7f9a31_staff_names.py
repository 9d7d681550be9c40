"""Staff names and positions from cases' staff.* events: complaints and messages name who wrote them

Revision ID: 5c8d2e7f9a31
Revises: 1a2b3c4d5e61
Create Date: 2026-12-07
"""

from alembic import op

from alac_kernel.staff_names import TABLE, staff_name_columns

revision = "5c8d2e7f9a31"
down_revision = "1a2b3c4d5e61"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The kernel's table (alac_kernel.staff_names), as search has it.
    op.create_table(TABLE, *staff_name_columns())


def downgrade() -> None:
    op.drop_index("ix_staff_names_tenant_id", table_name=TABLE)
    op.drop_table(TABLE)
