"""Complaint text keys: the free text of complaint.* events is sealed under a key per complaint

Each key is wrapped by its tenant's data key; deleting the row on erasure makes every sealed
copy of the complaint's text unreadable (alac_kernel.sealed_text). Events written before this
revision carry the text in clear; they are not rewritten (a log is append-only), which is why
erasure also purges the read models' copies.

Revision ID: 5e7a2c9d1b48
Revises: dd2ad139970d
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

import alac_kernel.db

revision = "5e7a2c9d1b48"
down_revision = "dd2ad139970d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaint_text_keys",
        sa.Column("complaint_id", sa.String(length=36), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("created_at", alac_kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("complaint_id"),
    )
    op.create_index("ix_complaint_text_keys_tenant_id", "complaint_text_keys", ["tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_complaint_text_keys_tenant_id", table_name="complaint_text_keys")
    op.drop_table("complaint_text_keys")
