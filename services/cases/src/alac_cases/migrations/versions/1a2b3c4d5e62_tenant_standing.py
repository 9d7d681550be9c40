"""Tenants' standing from the registry's events: a suspended centre's live tokens are refused

Revision ID: 1a2b3c4d5e62
Revises: d89e6113637f
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

import alac_kernel.db

revision = "1a2b3c4d5e62"
down_revision = "d89e6113637f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The kernel's table (alac_kernel.tables, alac_kernel.tenants.standing), in every service.
    op.create_table(
        "tenant_standing",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", alac_kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )


def downgrade() -> None:
    op.drop_table("tenant_standing")
