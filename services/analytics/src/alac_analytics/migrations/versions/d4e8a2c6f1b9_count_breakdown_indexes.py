"""count breakdown indexes: one dimension over a range of days or months, covering

Revision ID: d4e8a2c6f1b9
Revises: 1a2b3c4d5e63
Create Date: 2026-12-07 16:10:00
"""

from alembic import op

revision = "d4e8a2c6f1b9"
down_revision = "1a2b3c4d5e63"
branch_labels = None
depends_on = None

COLUMNS = ["tenant_id", "dimension", "{period}", "office", "value", "n"]


def upgrade() -> None:
    for table, period in (("daily_counts", "day"), ("monthly_counts", "month")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(
                f"ix_{table}_breakdown", [c.format(period=period) for c in COLUMNS], unique=False
            )


def downgrade() -> None:
    for table in ("daily_counts", "monthly_counts"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_breakdown")
