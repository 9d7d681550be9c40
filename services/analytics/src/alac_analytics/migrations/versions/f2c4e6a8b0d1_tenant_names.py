"""Tenant names from tenant.onboarded / tenant.updated (the report's cover)

Revision ID: f2c4e6a8b0d1
Revises: 9b3f6a1c7e25
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "f2c4e6a8b0d1"
down_revision = "9b3f6a1c7e25"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_names",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("kk", sa.String(length=200), nullable=False),
        sa.Column("ru", sa.String(length=200), nullable=False),
        sa.Column("en", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )


def downgrade() -> None:
    op.drop_table("tenant_names")
