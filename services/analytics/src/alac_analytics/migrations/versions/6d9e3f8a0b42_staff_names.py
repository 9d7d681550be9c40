"""Staff names and positions from cases' staff.* events: alerts and proposals name who handled or wrote them

Revision ID: 6d9e3f8a0b42
Revises: e7b3c9d1a5f2
Create Date: 2026-12-07
"""

from alembic import op

from alac_kernel.staff_names import TABLE, staff_name_columns

revision = "6d9e3f8a0b42"
down_revision = "e7b3c9d1a5f2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The kernel's table (alac_kernel.staff_names), as search has it.
    op.create_table(TABLE, *staff_name_columns())


def downgrade() -> None:
    op.drop_index("ix_staff_names_tenant_id", table_name=TABLE)
    op.drop_table(TABLE)
