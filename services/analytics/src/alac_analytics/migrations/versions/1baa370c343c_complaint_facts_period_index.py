"""complaint facts period index: combined dashboard filters GROUP BY over the facts of one
tenant received in a period.

Revision ID: 1baa370c343c
Revises: 4a025102acc8
Create Date: 2026-11-23 00:38:21.398355
"""

from alembic import op

revision = "1baa370c343c"
down_revision = "4a025102acc8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaint_facts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaint_facts_period", ["tenant_id", "received_at", "office"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("complaint_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_facts_period")
