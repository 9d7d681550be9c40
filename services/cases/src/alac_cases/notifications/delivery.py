"""Staff e-mails: rendered at send time, in the recipient's language (from the staff
registry), as plain text and HTML from the jinja2 templates, and sent through the kernel's
delivery relay (retries, at most once each).

A message carries the title (case reference, codes, dates), a link into the console and a
line on why it came; never a name, a contact or the complaint's text. Rendering returns None
(the delivery is cancelled) when the recipient left, has no e-mail address or switched e-mail
off since the decision.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_cases.notifications import messages, service
from alac_cases.notifications.models import Notification, deliveries
from alac_cases.tenancy.service import display_name, languages_of
from alac_kernel import languages
from alac_kernel.delivery import DeliveryRelay
from alac_kernel.mail import SmtpMailer, compose
from alac_kernel.runtime import ServiceRuntime
from alac_kernel.settings import Settings

_templates = Environment(
    loader=PackageLoader("alac_cases.notifications", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


class StaffMail:
    """The relay's `render` for notification deliveries."""

    def __init__(self, settings: Settings) -> None:
        self.sender = settings.smtp_from
        self.web_url = settings.web_url.rstrip("/")

    def __call__(self, session: Session, row: Mapping[str, Any]) -> EmailMessage | None:
        tenant, subject = row["tenant_id"], row["recipient"]
        person = service.recipient(session=session, tenant=tenant, subject=subject)
        if person is None or not person["active"] or not person["email"]:
            return None
        if not service.preference(session=session, tenant=tenant, subject=subject).email:
            return None
        centre = languages_of(session=session, tenant_id=tenant)
        # A staff member whose entry names no language (or one the centre does not work in)
        # gets the centre's fallback (alac_kernel.languages.for_centre: Russian, the language
        # staff are invited in by default, when the centre works in it).
        language = languages.for_centre(person["language"], centre)
        payload = json.loads(row["payload"])
        common = {
            "language": language,
            "open": messages.text("open", language),
            "why": messages.text(
                "why",
                language,
                tenant=display_name(session=session, tenant_id=tenant, language=language),
            ),
        }
        if row["kind"] == "digest":
            told = list(
                session.execute(
                    select(Notification)
                    .where(Notification.digest_id == row["id"])
                    .order_by(Notification.created_at)
                ).scalars()
            )
            if not told:
                return None
            subject_line = messages.text(
                "digest_subject", language, date=payload["day"], count=len(told)
            )
            items = [
                {"title": messages.title(n.kind, language, n.params), "link": self.link(n.link)}
                for n in told
            ]
            fields = {
                **common,
                "subject": subject_line,
                "intro": messages.text("digest_intro", language),
                "items": items,
            }
            name = "digest"
        else:
            notification = session.get(Notification, payload["notification_id"])
            if notification is None:
                return None
            subject_line = messages.title(notification.kind, language, notification.params)
            fields = {**common, "title": subject_line, "link": self.link(notification.link)}
            name = "notification"
        return compose(
            delivery_id=row["id"],
            sender=self.sender,
            to=person["email"],
            subject=subject_line,
            text=_templates.get_template(f"{name}.txt.j2").render(**fields),
            html=_templates.get_template(f"{name}.html.j2").render(**fields),
            language=language,
        )

    def link(self, path: str) -> str:
        return f"{self.web_url}{path}"


def mail_relay(runtime: ServiceRuntime) -> DeliveryRelay:
    """The runtime's relay for notification e-mails (made once, kept on the runtime)."""
    relay = getattr(runtime, "notification_mail", None)
    if relay is None:
        settings = runtime.settings
        relay = DeliveryRelay(
            runtime.session_factory,
            deliveries,
            SmtpMailer.from_settings(settings),
            StaffMail(settings),
            service=runtime.name,
            max_attempts=settings.mail_max_attempts,
            retry_first_s=settings.mail_retry_first_s,
            max_backoff_s=settings.mail_max_backoff_s,
            read_session_factory=runtime.read_session_factory,
        )
        runtime.notification_mail = relay  # type: ignore[attr-defined]
    return relay


def send_due(runtime: ServiceRuntime) -> int:
    """One pass of the relay (the worker's task, woken by `mail_relay`'s doorbell)."""
    return mail_relay(runtime).run_once()
