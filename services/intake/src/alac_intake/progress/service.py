"""Deciding on a progress e-mail when a case event changes what the complainant's follow-up
page shows, and sending the e-mails that are due.

The decision is taken inside the consumer's transaction that applies the event (with its
inbox row): the status and the e-mail to send commit together, and a redelivered event finds
its inbox row and changes nothing. The delivery row's `dedupe_key` is the event id, so even
a replay outside the inbox enqueues nothing twice. An e-mail still waiting to be sent already
says "there is news": a second event meanwhile adds none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_intake.complaints.models import Complaint
from alac_intake.followup.service import public_status
from alac_intake.progress.message import progress_email
from alac_intake.progress.models import complainant_mail
from alac_intake.progress.rules import address_of, language_of, may_write_to
from alac_intake.reference.service import centre_languages
from alac_intake.vault import service as vault
from alac_kernel.consumer import Handler
from alac_kernel.crypto import MasterKeys
from alac_kernel.delivery import PENDING, DeliveryOutbox, DeliveryRelay
from alac_kernel.events import Event
from alac_kernel.mail import SmtpMailer
from alac_kernel.runtime import ServiceRuntime
from alac_kernel.settings import Settings

log = logging.getLogger("alac.intake.progress")

KIND = "complaint_progress"


@dataclass
class ProgressMail:
    """Progress e-mails of one intake process: the handler around the follow-up status, and
    the worker's task that sends what is due (woken by the relay's doorbell)."""

    settings: Settings
    keys: MasterKeys  # the vault's: the contact is read when deciding and when sending
    outbox: DeliveryOutbox = field(default_factory=lambda: DeliveryOutbox(complainant_mail))
    _relay: DeliveryRelay | None = None

    @property
    def followup_url(self) -> str:
        """The web front end's public follow-up page (`ALAC_WEB_URL`)."""
        return f"{self.settings.web_url.rstrip('/')}/follow-up"

    # ------------------------------------------------------------------ deciding

    def after(self, apply_status: Handler) -> Handler:
        """`apply_status` (the follow-up status from a case event), then an e-mail when what
        the complainant's page shows has changed."""

        def handle(session: Session, event: Event) -> None:
            complaint = session.execute(
                select(Complaint).where(Complaint.id == event.data.get("complaint_id"))
            ).scalar_one_or_none()
            before = public_status(complaint) if complaint is not None else None
            apply_status(session, event)
            if complaint is not None and public_status(complaint) != before:
                self.decide(session, complaint, event)

        return handle

    def decide(self, session: Session, complaint: Complaint, event: Event) -> str | None:
        """Enqueue one e-mail for `event` if the complainant asked to be written to; the new
        delivery's id, or None."""
        if not may_write_to(complaint):
            return None
        contact = vault.load_contact(session=session, keys=self.keys, complaint_id=complaint.id)
        if address_of(contact) is None:
            return None
        t = complainant_mail
        waiting = session.execute(
            select(t.c.id).where(t.c.recipient == complaint.id, t.c.state == PENDING).limit(1)
        ).first()
        if waiting is not None:
            log.info("progress e-mail already waiting", extra={"complaint": complaint.id})
            return None
        delivery = self.outbox.enqueue(
            session,
            tenant_id=complaint.tenant_id,
            dedupe_key=f"progress:{event.id}",
            kind=KIND,
            recipient=complaint.id,
            payload={},
            event_id=event.id,
            event_type=event.type,
        )
        if delivery is not None:
            log.info(
                "progress e-mail queued",
                extra={"delivery": delivery, "complaint": complaint.id, "event_type": event.type},
            )
        return delivery

    # ------------------------------------------------------------------ sending

    def render(self, session: Session, row: Any) -> EmailMessage | None:
        """The e-mail of a due row, from what holds now: a complainant who withdrew, asked not
        to be contacted any more or was erased meanwhile gets nothing (the row is cancelled)."""
        complaint = session.execute(
            select(Complaint).where(Complaint.id == row["recipient"])
        ).scalar_one_or_none()
        if complaint is None or not may_write_to(complaint):
            return None
        contact = vault.load_contact(session=session, keys=self.keys, complaint_id=complaint.id)
        address = address_of(contact)
        if address is None:
            return None
        centre = centre_languages(session=session, tenant=complaint.tenant_id)
        return progress_email(
            delivery_id=row["id"], sender=self.settings.smtp_from, to=address,
            lang=language_of(complaint, centre), followup_url=self.followup_url,
        )  # fmt: skip

    def relay(self, runtime: ServiceRuntime) -> DeliveryRelay:
        if self._relay is None:
            s = self.settings
            self._relay = DeliveryRelay(
                runtime.session_factory, complainant_mail, SmtpMailer.from_settings(s),
                self.render, service=runtime.name, max_attempts=s.mail_max_attempts,
                retry_first_s=s.mail_retry_first_s, max_backoff_s=s.mail_max_backoff_s,
                read_session_factory=runtime.read_session_factory,
            )  # fmt: skip
        return self._relay

    def send_due(self, runtime: ServiceRuntime) -> int:
        """One pass of the relay (the worker runs it when `relay`'s doorbell rings or a
        message falls due): how many were sent."""
        return self.relay(runtime).run_once()
