"""complainant mail: the delivery outbox of progress e-mails to complainants

One row per e-mail (alac_kernel.delivery's table shape): the complaint id as recipient, the
event that caused it, its state and attempts; never the address or the body
(alac_intake.progress).

Revision ID: 3786e694257f
Revises: 5e7a2c9d1b48
Create Date: 2026-12-07 12:26:37.416875
"""

import sqlalchemy as sa
from alembic import op

import alac_kernel.db

revision = "3786e694257f"
down_revision = "5e7a2c9d1b48"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complainant_mail",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("event_type", sa.String(length=128), nullable=True),
        sa.Column("recipient", sa.String(length=255), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", alac_kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("not_before", alac_kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", alac_kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", alac_kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", alac_kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("dedupe_key"),
        sa.UniqueConstraint("id"),
    )
    with op.batch_alter_table("complainant_mail", schema=None) as batch_op:
        batch_op.create_index("ix_complainant_mail_state_seq", ["state", "seq"], unique=False)
        batch_op.create_index(
            "ix_complainant_mail_tenant_state", ["tenant_id", "state"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("complainant_mail", schema=None) as batch_op:
        batch_op.drop_index("ix_complainant_mail_tenant_state")
        batch_op.drop_index("ix_complainant_mail_state_seq")

    op.drop_table("complainant_mail")
