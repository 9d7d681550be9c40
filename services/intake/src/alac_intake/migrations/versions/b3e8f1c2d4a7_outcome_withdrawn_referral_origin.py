"""Outcome `withdrawn` in the reference lists; where a referred complaint came from

A case whose complaint is withdrawn in intake now closes with the outcome `withdrawn`
(cases, complaint_sync.py); reports and forms need its labels in the three languages.
A complaint referred by another centre keeps the sending centre's name and its note.

Revision ID: b3e8f1c2d4a7
Revises: ee61341c7fc5
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "b3e8f1c2d4a7"
down_revision = "ee61341c7fc5"
branch_labels = None
depends_on = None

VALUES = sa.table(
    "reference_values",
    sa.column("list_name", sa.String), sa.column("code", sa.String),
    sa.column("parent", sa.String), sa.column("tenant_id", sa.String),
    sa.column("label_en", sa.String), sa.column("label_ru", sa.String),
    sa.column("label_kk", sa.String), sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date), sa.column("version", sa.Integer),
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("referred_from", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("referral_note", sa.Text(), nullable=True))
    op.bulk_insert(
        VALUES,
        [
            {
                "list_name": "outcomes",
                "code": "withdrawn",
                "parent": None,
                "tenant_id": None,
                "label_en": "Withdrawn by the complainant",
                "label_ru": "Отозвано заявителем",
                "label_kk": "Өтініш беруші кері қайтарып алды",
                "valid_from": None,
                "valid_to": None,
                "version": 1,
            }  # fmt: skip
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("referral_note")
        batch.drop_column("referred_from")
    op.execute(
        VALUES.delete().where(VALUES.c.list_name == "outcomes", VALUES.c.code == "withdrawn")
    )
