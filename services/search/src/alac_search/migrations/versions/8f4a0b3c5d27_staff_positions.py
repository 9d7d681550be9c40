"""Staff positions beside the names: the kernel's staff_names table (alac_kernel.staff_names)

Revision ID: 8f4a0b3c5d27
Revises: 7e3f9a2c4b16
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "8f4a0b3c5d27"
down_revision = "7e3f9a2c4b16"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("staff_names", sa.Column("position", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_names") as batch:
        batch.drop_column("position")
