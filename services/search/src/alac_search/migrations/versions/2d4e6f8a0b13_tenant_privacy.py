"""Tenants' small-cell thresholds, from analytics' tenant.privacy_settings_changed

Revision ID: 2d4e6f8a0b13
Revises: a7b0bd104d76
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "2d4e6f8a0b13"
down_revision = "a7b0bd104d76"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_privacy",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("small_cell_threshold", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_index("ix_tenant_privacy_tenant_id", "tenant_privacy", ["tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_tenant_privacy_tenant_id", table_name="tenant_privacy")
    op.drop_table("tenant_privacy")
