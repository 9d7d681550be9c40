"""notifications: console notifications, preferences, rules, waiting messages, e-mail deliveries

Revision ID: d89e6113637f
Revises: e4b7c1d9a2f3
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

import alac_kernel.db

revision = "d89e6113637f"
down_revision = "e4b7c1d9a2f3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_deliveries",
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
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_deliveries_state_seq", ["state", "seq"], unique=False
        )
        batch_op.create_index(
            "ix_notification_deliveries_tenant_state", ["tenant_id", "state"], unique=False
        )

    op.create_table(
        "notification_preferences",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.String(length=8), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column("updated_at", alac_kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "subject"),
    )
    op.create_table(
        "notification_rules",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("audience", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=True),
        sa.Column("updated_at", alac_kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "kind", "audience"),
    )
    op.create_table(
        "notification_waiting_messages",
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("complaint_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("office", sa.String(length=64), nullable=False),
        sa.Column("posted_at", alac_kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", alac_kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", alac_kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("message_id"),
    )
    with op.batch_alter_table("notification_waiting_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_waiting_messages_complaint_id"),
            ["complaint_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_notification_waiting_messages_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("case_reference", sa.String(length=32), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", alac_kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", alac_kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("digest_id", sa.String(length=36), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "recipient", "dedupe_key", name="uq_notifications_once"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_digest_id"), ["digest_id"], unique=False)
        batch_op.create_index(
            "ix_notifications_recipient_created",
            ["tenant_id", "recipient", "created_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_notifications_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_tenant_id"))
        batch_op.drop_index("ix_notifications_recipient_created")
        batch_op.drop_index(batch_op.f("ix_notifications_digest_id"))

    op.drop_table("notifications")
    with op.batch_alter_table("notification_waiting_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_waiting_messages_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_notification_waiting_messages_complaint_id"))

    op.drop_table("notification_waiting_messages")
    op.drop_table("notification_rules")
    op.drop_table("notification_preferences")
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_deliveries_tenant_state")
        batch_op.drop_index("ix_notification_deliveries_state_seq")

    op.drop_table("notification_deliveries")
