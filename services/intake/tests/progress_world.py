"""Progress e-mails driven by hand: intake alone (conftest.py's harness) with its case consumer
run one record at a time, its complainant-mail task and a real SMTP server on loopback (the
kernel's mail catcher). Shared by the progress e-mail tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from alac_intake.progress.models import complainant_mail
from alac_kernel.db import session_scope, utcnow
from alac_kernel.events import Event, new_event
from alac_kernel.mailcatcher import MailCatcher
from alac_kernel.testing.alone import FLAVOURS

WEB = "https://alac.example.org"
FOLLOWUP = f"{WEB}/follow-up"
TEXTS = json.loads(
    (
        Path(__file__).resolve().parents[1]
        / "src" / "alac_intake" / "progress" / "templates" / "texts.json"
    ).read_text("utf-8")
)  # fmt: skip


class Mailing:
    """Intake alone (this folder's harness, conftest.py) with its case consumer driven one
    record at a time, its complainant-mail task and the SMTP server."""

    def __init__(self, intake: Any, catcher: MailCatcher) -> None:
        self.client, self.issuer, self.runtime = intake.intake, intake.issuer, intake.runtime
        self.publish = intake.publish  # what cases would publish, checked against its contract
        self.catcher = catcher
        spec = next(c for c in self.runtime.consumers if c.group == "intake")
        self.consumer = self.runtime.event_consumer(spec)
        self.consumer.poll_timeout_s = 0.0
        self.mail_task = next(t for t in self.runtime.periodic if t.name == "complainant-mail")
        self.versions: dict[str, int] = {}

    def file(self, crux: str, *, by: str = "vera", **fields: Any) -> tuple[str, str]:
        """(complaint id, receipt code) of a hotline complaint recorded by `by`."""
        body = {"channel": "hotline", "crux": crux, "request_type": "case", **fields}
        created = self.client.post("/v1/complaints", json=body, headers=self.issuer.headers(by))
        assert created.status_code == 201, created.text
        return created.json()["id"], created.json()["receipt_code"]

    def case_event(
        self, type_: str, case_id: str, complaint_id: str, *, tenant: str = "tk",
        office: str = "almaty", **data: Any,
    ) -> Event:  # fmt: skip
        """The case's next event (its aggregate version counted here, as cases counts it)."""
        self.versions[case_id] = self.versions.get(case_id, 0) + 1
        now = utcnow().isoformat()
        body: dict[str, Any] = {"case_id": case_id, "complaint_id": complaint_id,
                                "office": office}  # fmt: skip
        if type_ == "case.opened":
            body |= {"opened_at": now, "status": "triage", "channel": "hotline",
                     "anonymous": data.pop("anonymous", False)}  # fmt: skip
        elif type_ == "case.status_changed":
            body |= {"changed_at": now, "reason": "documents received"}
        else:
            body |= {"closed_at": now, "outcome": "resolved"}
        event = new_event(
            type=type_, source="/alac/cases", subject=case_id, tenant=tenant,
            version=self.versions[case_id], data={**body, **data},
        )  # fmt: skip
        return self.publish(event)

    def registry(self, type_: str, spec: dict[str, Any]) -> None:
        """The tenant registry's next event of a centre, published and applied by intake's
        tenant consumer."""
        from tenant_registry import tenant_event

        key = f"tenant:{spec['id']}"
        self.versions[key] = self.versions.get(key, 0) + 1
        self.publish(tenant_event(type_, spec, version=self.versions[key]))
        spec_ = next(c for c in self.runtime.consumers if c.group == "intake-tenants")
        consumer = self.runtime.event_consumer(spec_)
        consumer.poll_timeout_s = 0.0
        try:
            assert consumer.run_once() == 1
        finally:
            consumer.close()

    def consume(self) -> int:
        total = 0
        while moved := self.consumer.run_once():
            total += moved
        return total

    def send(self) -> int:
        """One pass of the worker's complainant-mail task."""
        return self.mail_task.run(self.runtime)

    def deliveries(self) -> list[dict[str, Any]]:
        with session_scope(self.runtime.session_factory, all_tenants=True) as session:
            rows = session.execute(select(complainant_mail).order_by(complainant_mail.c.seq))
            return [dict(r) for r in rows.mappings()]

    def status(self, code: str) -> str:
        found = self.client.get("/v1/follow-up/status", headers={"Receipt-Code": code})
        return found.json()["status"]


@pytest.fixture(params=FLAVOURS)
def intake(request: pytest.FixtureRequest, tmp_path: Path, build_intake: Any) -> Iterator[Mailing]:
    """Intake on SQLite and on PostgreSQL with its mail going to a catcher of its own."""
    catcher = MailCatcher(tmp_path / "mail").start()
    try:
        with build_intake(
            request.param, tmp_path, web_url=WEB, smtp_host=catcher.host,
            smtp_port=catcher.port, smtp_timeout_s=5,
            smtp_from="Legal Advice Centre <no-reply@alac.example.org>",
            # Retries come quickly here; the tests wait for the delivery, never for a time.
            mail_retry_first_s=0.05, mail_max_backoff_s=0.2,
        ) as built:  # fmt: skip
            mailing = Mailing(built, catcher)
            try:
                yield mailing
            finally:
                mailing.consumer.close()
    finally:
        catcher.stop()
