"""Letters of support: reference numbers per tenant and year

(Staff names and positions come with the tenant registry, e4b7c1d9a2f3.)

Revision ID: e4a1c7b93f52
Revises: 8d3e5f7a9b10
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "e4a1c7b93f52"
down_revision = "8d3e5f7a9b10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_letter_sequences",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "year"),
    )
    with op.batch_alter_table("case_letters") as batch:
        batch.add_column(sa.Column("reference", sa.String(length=40), nullable=True))
        batch.create_unique_constraint("uq_case_letters_reference", ["tenant_id", "reference"])


def downgrade() -> None:
    with op.batch_alter_table("case_letters") as batch:
        batch.drop_constraint("uq_case_letters_reference", type_="unique")
        batch.drop_column("reference")
    op.drop_table("case_letter_sequences")
