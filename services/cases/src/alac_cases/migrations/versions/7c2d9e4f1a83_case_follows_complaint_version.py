"""The case remembers which complaint version it reflects

Cases now apply complaint.updated (area, request type, the crux) and complaint.withdrawn; the
complaint's version orders them, so a late or repeated event never undoes a newer one.

Revision ID: 7c2d9e4f1a83
Revises: 0dc40482f695
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "7c2d9e4f1a83"
down_revision = "0dc40482f695"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("complaint_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("complaint_version")
