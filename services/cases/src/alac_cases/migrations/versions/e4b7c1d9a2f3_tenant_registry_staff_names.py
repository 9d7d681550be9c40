"""Tenant registry; staff members' names, positions, e-mail, language and event version

Revision ID: e4b7c1d9a2f3
Revises: e4a1c7b93f52
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from alac_kernel.db import UTCDateTime

revision = "e4b7c1d9a2f3"
down_revision = "e4a1c7b93f52"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_registry",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("steps_done", sa.JSON(), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=True),
        sa.Column("admin_user_id", sa.String(length=64), nullable=True),
        sa.Column("admin", sa.JSON(), nullable=False),
        sa.Column("suspended_accounts", sa.JSON(), nullable=True),
        sa.Column("archive_sha256", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_tenant_registry_status"), "tenant_registry", ["status"])
    with op.batch_alter_table("office_staff") as batch:
        batch.add_column(sa.Column("username", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("display_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("position", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("language", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), server_default="0", nullable=False))
        batch.create_index("ix_office_staff_username", ["username"])
        batch.create_index("ix_office_staff_email", ["email"])


def downgrade() -> None:
    with op.batch_alter_table("office_staff") as batch:
        batch.drop_index("ix_office_staff_email")
        batch.drop_index("ix_office_staff_username")
        for column in ("version", "language", "email", "position", "display_name", "username"):
            batch.drop_column(column)
    op.drop_index(op.f("ix_tenant_registry_status"), table_name="tenant_registry")
    op.drop_table("tenant_registry")
