"""complaints.historical: complaints imported as historical records

A historical complaint (bulk import with --historical) was handled before the platform existed:
it counts in the statistics of its period but opens no live work, and its retention runs from
the day it was received, not from the day it was imported.

Revision ID: 4c1e9a7b2d30
Revises: 9c1d2e3f4a5b
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "4c1e9a7b2d30"
down_revision = "9c1d2e3f4a5b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(
            sa.Column("historical", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("historical")
