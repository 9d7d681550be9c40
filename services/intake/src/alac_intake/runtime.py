"""Intake's runtime: the kernel's ServiceRuntime (database, bus, outbox, consumers) and, as
typed fields, what intake's use cases need beside it. Built from settings once per process
(app.build_runtime); views reach it through `alac_intake.views.Runtime`, the CLI through
`alac_kernel.operations.runtime_for_operation`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from alac_intake import SERVICE
from alac_intake.attachments.store import AttachmentStore, FilesystemStore
from alac_intake.database import all_tables, kernel_tables, rate_limit_hits
from alac_intake.limits import IntakeLimits
from alac_intake.partners.identity import PartnerClients, partner_clients_from_settings
from alac_intake.partners.webhooks import WebhookPolicy
from alac_intake.progress.service import ProgressMail
from alac_intake.vault.crypto import load_master_keys
from alac_kernel import sealed_text
from alac_kernel.crypto import MasterKeys
from alac_kernel.cursors import CursorCodec, load_cursor_key
from alac_kernel.db import is_sqlite
from alac_kernel.fair_gate import FairGate
from alac_kernel.runtime import ServiceRuntime
from alac_kernel.settings import Settings

NAME = SERVICE
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(kw_only=True)
class IntakeRuntime(ServiceRuntime):
    #: The vault's master keys (vault/crypto.py); the production profile refuses to start
    #: without one.
    master_keys: MasterKeys
    #: The consumers' grants for complaint text keys (alac_kernel.sealed_text), by consumer.
    text_grants: dict[str, bytes]
    #: Attachment bytes, outside the database.
    attachments: AttachmentStore
    #: The largest attachment; the request body limit (ALAC_MAX_BODY_BYTES) caps uploads too,
    #: so the smaller of the two applies.
    attachment_max_bytes: int
    #: Partner systems (docs/partners.md): the identity provider's admin interface for their
    #: clients, how webhooks are delivered, and the signed feed cursors.
    partner_clients: PartnerClients
    webhook_policy: WebhookPolicy
    cursors: CursorCodec
    #: E-mails to complainants when their case makes progress (progress/).
    progress: ProgressMail
    #: The request budgets (limits.py), counted in this runtime's database.
    limits: IntakeLimits = field(init=False)
    #: Registrations in progress at once (the API's and the public form's), the others wait
    #: their turn in order (alac_kernel.fair_gate): see `registration_slots`.
    registrations: FairGate = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.limits = IntakeLimits.counted_in(self.settings, self.session_factory, rate_limit_hits)
        self.registrations = FairGate(registration_slots(self.engine))

    @classmethod
    def from_settings(cls, settings: Settings) -> IntakeRuntime:
        """Intake's runtime without consumers or periodic work (app.build_runtime adds them
        from handlers.py)."""
        master_keys = load_master_keys(settings)
        return cls(
            name=NAME,
            settings=settings,
            metadata=all_tables(),
            tables=kernel_tables,
            migrations=MIGRATIONS,
            master_keys=master_keys,
            text_grants={
                consumer: sealed_text.load_grant(settings, consumer)
                for consumer in sealed_text.CONSUMERS
            },
            attachments=FilesystemStore(Path(settings.data_dir) / "intake-attachments"),
            attachment_max_bytes=int(
                os.environ.get("ALAC_INTAKE_ATTACHMENT_MAX_BYTES", settings.max_body_bytes)
            ),
            partner_clients=partner_clients_from_settings(settings),
            webhook_policy=WebhookPolicy.from_env(settings.profile == "production"),
            cursors=CursorCodec(load_cursor_key(settings)),
            progress=ProgressMail(settings, keys=master_keys),
        )


def registration_slots(engine: Engine) -> int:
    """On SQLite a registration is CPU in this process (Python holding the GIL, SQLite's own
    work without it) and one write lock: two at once keep both cores of the bench machine
    busy, more only queue for the GIL and the lock (issue #15, docs/performance.md figure set
    0b). On PostgreSQL a registration also waits for the server's answers, during which
    another can run: eight is an allowance for that, not a measured figure."""
    return 2 if is_sqlite(engine) else 8
