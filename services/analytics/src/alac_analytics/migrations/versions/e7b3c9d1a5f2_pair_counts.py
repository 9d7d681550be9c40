"""pair counts: complaints per tenant, office and month with two dimension values

Revision ID: e7b3c9d1a5f2
Revises: d4e8a2c6f1b9
Create Date: 2026-12-07 16:25:00

Starts empty: run `alac analytics rebuild` after upgrading (docs/analytics.md), as for
monthly_counts.
"""

import sqlalchemy as sa
from alembic import op

revision = "e7b3c9d1a5f2"
down_revision = "d4e8a2c6f1b9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pair_counts",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("dimension", sa.String(length=32), nullable=False),
        sa.Column("by_dimension", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("office", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("by_value", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "dimension", "by_dimension", "month", "office", "value", "by_value"
        ),
    )


def downgrade() -> None:
    op.drop_table("pair_counts")
