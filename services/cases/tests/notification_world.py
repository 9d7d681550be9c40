"""The cases service alone with a real SMTP server on loopback (the mail catcher, aiosmtpd),
fed with contract-valid events on the real log bus, as analytics' tests are: the events other
services would publish (complaint.message_posted, alert.pattern_detected, ...) are published
here; cases' own (deadlines, assignments) come from its real code through its outbox."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from alac_cases.app import create_app
from alac_cases.case.models import Case
from alac_cases.notifications.delivery import mail_relay
from alac_cases.notifications.models import deliveries
from alac_cases.staff.models import StaffMember
from alac_kernel.db import new_id, session_scope, utcnow
from alac_kernel.events import Event, new_event
from alac_kernel.mailcatcher import MailCatcher
from alac_kernel.runtime import ServiceRuntime
from alac_kernel.testing.alone import service_alone
from alac_kernel.testing.harness import InProcessIssuer, publish_event

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "events"
CRUX = "Директор школы требует взятку за зачисление ребёнка."

# username -> (tenant, office, role, language); e-mail is <username>@<tenant>.example.org
STAFF = {
    "lena": ("tk", "almaty", "lawyer", "kk"),
    "laura": ("tk", "almaty", "lawyer", "en"),
    "kazbek": ("tk", "almaty", "coordinator", "ru"),
    "tamara": ("tk", "almaty", "tenant-admin", "en"),
    "vera": ("tk", "almaty", "volunteer", "ru"),
    "dana": ("ndi", "shymkent", "lawyer", "ru"),
    "nurlan": ("ndi", "shymkent", "coordinator", "en"),
}


class World:
    def __init__(self, client: TestClient, issuer: InProcessIssuer, catcher: MailCatcher) -> None:
        self.client = client
        self.issuer = issuer
        self.catcher = catcher
        self.runtime: ServiceRuntime = client.app.state.runtime  # type: ignore[attr-defined]
        self.relay = self.runtime.relay()
        spec = next(c for c in self.runtime.consumers if c.group == "cases-notifications")
        self.consumer = self.runtime.event_consumer(spec)
        self.consumer.poll_timeout_s = 0.0
        self.mail = mail_relay(self.runtime)

    # ------------------------------------------------------------ people and cases

    def subject(self, username: str) -> str:
        return self.issuer.dev.subject_of(username)

    def headers(self, username: str, **extra: str) -> dict[str, str]:
        return self.issuer.headers(username, **extra)

    def email(self, username: str) -> str:
        return f"{username}@{STAFF[username][0]}.example.org"

    def add_staff(self) -> None:
        with session_scope(self.runtime.session_factory, all_tenants=True) as session:
            for username, (tenant, office, role, language) in STAFF.items():
                session.add(
                    StaffMember(
                        id=new_id(), tenant_id=tenant, subject=self.subject(username),
                        office=office, role=role, active=True, added_at=utcnow(),
                        username=username, display_name=username.title(),
                        email=self.email(username), language=language,
                    )
                )  # fmt: skip

    def open_case(self, *, assignee: str | None = "lena", tenant: str = "tk") -> Case:
        """A case as cases opens it from a complaint (the complaint side is intake's test)."""
        now = utcnow()
        case = Case(
            id=str(uuid.uuid4()), tenant_id=tenant, complaint_id=str(uuid.uuid4()),
            office=STAFF[assignee][1] if assignee else "almaty", status="assessment",
            channel="hotline", request_type="case", area="education", anonymous=False,
            crux=CRUX, received_at=now, opened_at=now, version=1,
            assignee=self.subject(assignee) if assignee else None,
        )  # fmt: skip
        with session_scope(self.runtime.session_factory, tenant=tenant) as session:
            session.add(case)
        return case

    # ------------------------------------------------------------ events

    def publish(
        self, type_: str, subject: str, data: dict[str, Any], *, tenant: str = "tk"
    ) -> Event:
        event = new_event(
            type=type_, source=f"/alac/{type_.split('.')[0]}", subject=subject, tenant=tenant,
            version=1, data=data,
        )  # fmt: skip
        self.runtime.contracts.validate(event)
        self._put(event)
        return event

    def _put(self, event: Event) -> None:
        publish_event(self.runtime, event)

    def example(self, type_: str) -> dict[str, Any]:
        folder = CONTRACTS / type_ / "examples"
        return json.loads(next(iter(sorted(folder.glob("*.json")))).read_text())["data"]

    def message_posted(
        self, case: Case, *, direction: str = "from_complainant", at: datetime | None = None
    ) -> Event:
        return self.publish(
            "complaint.message_posted",
            case.complaint_id,
            {
                "complaint_id": case.complaint_id,
                "office": case.office,
                "message_id": str(uuid.uuid4()),
                "direction": direction,
                "posted_at": (at or utcnow()).isoformat(),
            },
            tenant=case.tenant_id,
        )

    def pump(self) -> int:
        """Publish cases' outbox and apply everything the notification group has."""
        self.relay.run_once()
        total = 0
        while moved := self.consumer.run_once():
            total += moved
        return total

    def redeliver_everything(self) -> int:
        """Publish again every event cases recorded (a relay that died before marking them
        published does that): the group's inbox must make it harmless."""
        table = self.runtime.tables.outbox
        with session_scope(self.runtime.session_factory, all_tenants=True) as session:
            payloads = list(session.execute(select(table.c.payload)).scalars())
        for payload in payloads:
            self._put(Event.from_json(payload))
        return self.pump()

    # ------------------------------------------------------------ mail

    def send_mail(self, now: datetime | None = None) -> int:
        return self.mail.run_once(now)

    def inbox_of(self, username: str) -> list[EmailMessage]:
        return [m for m in self.catcher.messages() if m["X-Catcher-To"] == self.email(username)]

    def deliveries(self) -> list[dict[str, Any]]:
        with session_scope(self.runtime.session_factory, all_tenants=True) as session:
            return [dict(r) for r in session.execute(select(deliveries)).mappings()]

    def notifications(self, username: str, **params: Any) -> dict[str, Any]:
        response = self.client.get(
            "/v1/notifications", params=params, headers=self.headers(username)
        )
        assert response.status_code == 200, response.text
        return response.json()


def body_text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def body_html(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()  # type: ignore[union-attr]


@contextlib.contextmanager
def build(
    tmp: Path, *, tls: tuple[Path, Path, Path] | None = None, flavour: str = "sqlite"
) -> Iterator[World]:
    """`tls`: (CA, certificate, key) to run the SMTP server with STARTTLS and AUTH;
    `flavour` postgres: the service's database and the log bus on a throwaway PostgreSQL
    (alac_kernel.testing.alone)."""
    credentials = ("alac-mail", "mail-secret") if tls else None
    catcher = MailCatcher(
        tmp / "mail", tls=(tls[1], tls[2]) if tls else None, credentials=credentials
    ).start()
    with contextlib.ExitStack() as stack:
        stack.callback(catcher.stop)
        client, issuer = stack.enter_context(
            service_alone(
                create_app,
                flavour,
                tmp,
                smtp_port=catcher.port,
                smtp_timeout_s=5,
                smtp_starttls=tls is not None,
                smtp_username=credentials[0] if credentials else None,
                smtp_password=credentials[1] if credentials else None,
                smtp_ca_file=tls[0] if tls else None,
                mail_retry_first_s=60,
                web_url="https://console.alac.test",
            )
        )
        world = World(client, issuer, catcher)
        stack.callback(world.consumer.close)
        world.add_staff()
        yield world


def later(moment: datetime | None, seconds: float = 1) -> datetime:
    return (moment or utcnow()) + timedelta(seconds=seconds)
