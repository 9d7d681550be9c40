"""Rate-limit hits in the database, shared by every intake replica

The web form, wrong receipt codes and complainants' messages are limited per client address
or per complaint; counting in each process's memory multiplied the limits by the replicas.

Revision ID: d5a9c0e7b612
Revises: b3e8f1c2d4a7
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "d5a9c0e7b612"
down_revision = "b3e8f1c2d4a7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_hits",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bucket", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rate_limit_hits_bucket_key_at", "rate_limit_hits", ["bucket", "key", "at"])


def downgrade() -> None:
    op.drop_index("ix_rate_limit_hits_bucket_key_at", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
