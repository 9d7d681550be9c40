"""complaint_facts: heard_from, non_corruption_reason, registered_at

Two dimensions of the ALAC report (how the complainant heard of the centre; why a complaint is
not corruption-related) and the registration time that tells live complaints from back-dated
ones. Facts projected before this revision get them on the next rebuild
(`alac analytics rebuild`).

Revision ID: 5c1e9a7d3b20
Revises: 6e2b8d4f1a93
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from alac_kernel.db import UTCDateTime

revision = "5c1e9a7d3b20"
down_revision = "6e2b8d4f1a93"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaint_facts") as batch:
        batch.add_column(sa.Column("heard_from", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("non_corruption_reason", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("registered_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaint_facts") as batch:
        batch.drop_column("registered_at")
        batch.drop_column("non_corruption_reason")
        batch.drop_column("heard_from")
