"""Letters encrypted at rest: cases' own tenant keys, each letter's wrapped key, erasure time

Letters stored before this revision keep null key columns: their PDFs are plaintext and are
still read and erased as such.

Revision ID: 8d3e5f7a9b10
Revises: 7c2d9e4f1a83
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from alac_kernel.db import UTCDateTime

revision = "8d3e5f7a9b10"
down_revision = "7c2d9e4f1a83"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_tenant_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("master_key_id", sa.String(length=32), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "version"),
    )
    op.create_index(
        op.f("ix_case_tenant_keys_tenant_id"), "case_tenant_keys", ["tenant_id"], unique=False
    )
    with op.batch_alter_table("case_letters") as batch:
        batch.add_column(sa.Column("key_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("wrapped_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("erased_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_letters") as batch:
        batch.drop_column("erased_at")
        batch.drop_column("wrapped_key")
        batch.drop_column("key_version")
    op.drop_index(op.f("ix_case_tenant_keys_tenant_id"), table_name="case_tenant_keys")
    op.drop_table("case_tenant_keys")
