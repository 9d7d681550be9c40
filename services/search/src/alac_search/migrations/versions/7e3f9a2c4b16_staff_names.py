"""Staff names from cases' staff.* events: search answers show assignees by name

Revision ID: 7e3f9a2c4b16
Revises: 1a2b3c4d5e64
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "7e3f9a2c4b16"
down_revision = "1a2b3c4d5e64"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_names",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "subject"),
    )
    op.create_index("ix_staff_names_tenant_id", "staff_names", ["tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_staff_names_tenant_id", table_name="staff_names")
    op.drop_table("staff_names")
