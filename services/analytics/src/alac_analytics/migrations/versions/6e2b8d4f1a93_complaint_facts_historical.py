"""complaint_facts.historical: complaints imported as historical records

They count in the statistics of their period but not in service-time figures (time to triage,
time to close).

Revision ID: 6e2b8d4f1a93
Revises: 1baa370c343c
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "6e2b8d4f1a93"
down_revision = "1baa370c343c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaint_facts") as batch:
        batch.add_column(
            sa.Column("historical", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("complaint_facts") as batch:
        batch.drop_column("historical")
