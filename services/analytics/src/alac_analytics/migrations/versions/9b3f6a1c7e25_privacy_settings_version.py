"""Privacy settings carry a version: each change is announced as
tenant.privacy_settings_changed (search applies the tenant's own small-cell threshold)

Revision ID: 9b3f6a1c7e25
Revises: 5c1e9a7d3b20
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "9b3f6a1c7e25"
down_revision = "5c1e9a7d3b20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("privacy_settings") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("privacy_settings") as batch:
        batch.drop_column("version")
