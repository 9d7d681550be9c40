"""Attachments encrypted at rest: each row keeps its file's key, wrapped by the tenant's data key

Rows stored before this revision keep null key columns: their blobs are plaintext, named by
their sha256, and are still read and erased as such.

Revision ID: 9c1d2e3f4a5b
Revises: d5a9c0e7b612
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "9c1d2e3f4a5b"
down_revision = "d5a9c0e7b612"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaint_attachments") as batch:
        batch.add_column(sa.Column("key_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("wrapped_key", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaint_attachments") as batch:
        batch.drop_column("wrapped_key")
        batch.drop_column("key_version")
