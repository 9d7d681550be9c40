"""The kernel mail module and delivery outbox, against a real SMTP server on loopback
(aiosmtpd: the mail catcher of `alac up`), with STARTTLS and AUTH on a throwaway CA."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select, update

from alac_kernel.db import make_engine, make_session_factory, session_scope, utcnow
from alac_kernel.delivery import DeliveryOutbox, DeliveryRelay, add_delivery_table
from alac_kernel.errors import Conflict, NotFound
from alac_kernel.mail import MailUndelivered, SmtpMailer, compose, message_id
from alac_kernel.mailcatcher import MailCatcher, _free_port
from alac_kernel.runtime import run_woken
from alac_kernel.settings import Settings
from alac_kernel.testing.https_receiver import make_certificates

SENDER = "ALAC <notifications@alac.example>"


def _message(delivery_id: str = "d-1", to: str = "lawyer@example.org") -> EmailMessage:
    return compose(
        delivery_id=delivery_id,
        sender=SENDER,
        to=to,
        subject="Срок подходит",
        text="Дело ALM-2026-0001: срок через 2 рабочих дня.",
        html="<p>Дело <b>ALM-2026-0001</b>: срок через 2 рабочих дня.</p>",
        language="ru",
    )


def test_compose_is_multipart_alternative_with_a_stable_message_id() -> None:
    message = _message()
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert message["Message-ID"] == "<d-1@alac.example>" == message_id("d-1", SENDER)
    assert _message()["Message-ID"] == message["Message-ID"]
    assert message["Content-Language"] == "ru"
    assert message["Auto-Submitted"] == "auto-generated"


def test_plain_smtp_to_the_catcher(tmp_path: Path) -> None:
    catcher = MailCatcher(tmp_path / "mail").start()
    try:
        SmtpMailer(host=catcher.host, port=catcher.port).send(_message())
        [got] = catcher.messages()
    finally:
        catcher.stop()
    assert got["Message-ID"] == "<d-1@alac.example>"
    assert got["X-Catcher-To"] == "lawyer@example.org"
    assert got["Subject"] == "Срок подходит"
    assert "срок через 2 рабочих дня" in got.get_body(("plain",)).get_content()
    assert "<b>ALM-2026-0001</b>" in got.get_body(("html",)).get_content()


@pytest.fixture
def certificates(tmp_path: Path) -> tuple[Path, Path, Path]:
    return make_certificates(tmp_path / "tls")


def test_starttls_and_auth(tmp_path: Path, certificates: tuple[Path, Path, Path]) -> None:
    ca, cert, key = certificates
    catcher = MailCatcher(tmp_path / "mail", tls=(cert, key), credentials=("alac", "s3cret"))
    catcher.start()
    try:
        settings = Settings(
            smtp_host="127.0.0.1",
            smtp_port=catcher.port,
            smtp_starttls=True,
            smtp_username="alac",
            smtp_password="s3cret",  # noqa: S106
            smtp_ca_file=ca,
        )
        SmtpMailer.from_settings(settings).send(_message())
        assert len(catcher.messages()) == 1
        assert catcher.auth_attempts == ["alac"]

        wrong = SmtpMailer(
            host="127.0.0.1",
            port=catcher.port,
            starttls=True,
            username="alac",
            password="wrong",  # noqa: S106
            ca_file=ca,
        )
        with pytest.raises(MailUndelivered, match="refused the credentials"):
            wrong.send(_message("d-2"))
        # The system CAs do not know the throwaway CA: no credentials go to an unproven server.
        untrusted = SmtpMailer(
            host="127.0.0.1", port=catcher.port, starttls=True, username="alac", password="s3cret"
        )  # noqa: S106
        with pytest.raises(MailUndelivered, match="no trusted TLS connection"):
            untrusted.send(_message("d-3"))
        # Without STARTTLS the server refuses the message (it requires TLS).
        with pytest.raises(MailUndelivered):
            SmtpMailer(host="127.0.0.1", port=catcher.port).send(_message("d-4"))
        assert len(catcher.messages()) == 1
    finally:
        catcher.stop()


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    catcher = MailCatcher(tmp_path / "mail").start()
    port = catcher.port
    catcher.stop()
    with pytest.raises(MailUndelivered, match=f"127.0.0.1:{port} cannot be reached") as caught:
        SmtpMailer(host="127.0.0.1", port=port, timeout_s=2).send(_message())
    assert caught.value.permanent is False
    assert caught.value.status == 503


class World:
    """A service's database with a delivery table, and a relay whose render uses the payload."""

    def __init__(self, tmp: Path, catcher: MailCatcher, **relay_options: object) -> None:
        metadata = MetaData()
        self.table = add_delivery_table(metadata, "mail_deliveries")
        self.engine = make_engine(f"sqlite:///{tmp / 'svc.db'}")
        metadata.create_all(self.engine)
        self.factory = make_session_factory(self.engine)
        self.outbox = DeliveryOutbox(self.table)
        self.rendered: list[str] = []
        self.relay = DeliveryRelay(
            self.factory,
            self.table,
            SmtpMailer(host=catcher.host, port=catcher.port, timeout_s=5),
            self.render,
            service="test",
            **{"retry_first_s": 60, **relay_options},  # type: ignore[arg-type]
        )

    def render(self, session, row) -> EmailMessage | None:  # type: ignore[no-untyped-def]
        payload = json.loads(row["payload"])
        self.rendered.append(row["id"])
        if payload.get("gone"):
            return None
        return _message(row["id"], to=payload["to"])

    def enqueue(self, key: str, **kwargs: object) -> str | None:
        with session_scope(self.factory, tenant="t1") as session:
            return self.outbox.enqueue(
                session,
                tenant_id="t1",
                dedupe_key=key,
                kind="test",
                recipient="user-1",
                payload=kwargs.pop("payload", {"to": "lawyer@example.org"}),  # type: ignore[arg-type]
                event_id="e-1",
                **kwargs,  # type: ignore[arg-type]
            )

    def row(self, delivery_id: str):  # type: ignore[no-untyped-def]
        with session_scope(self.factory, all_tenants=True) as session:
            return (
                session.execute(select(self.table).where(self.table.c.id == delivery_id))
                .mappings()
                .one()
            )


@pytest.fixture
def catcher(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = MailCatcher(tmp_path / "mail").start()
    yield server
    server.stop()


def test_enqueue_is_once_per_key_and_sent_once(tmp_path: Path, catcher: MailCatcher) -> None:
    world = World(tmp_path, catcher)
    first = world.enqueue("event-1:user-1")
    assert first is not None
    assert world.enqueue("event-1:user-1") is None
    assert world.relay.run_once() == 1
    assert world.relay.run_once() == 0
    [got] = catcher.messages()
    assert got["Message-ID"] == f"<{first}@alac.example>"
    row = world.row(first)
    assert row["state"] == "sent" and row["attempts"] == 1 and row["sent_at"] is not None
    assert row["language"] == "ru"


def test_outage_delays_then_delivers_without_duplicates(
    tmp_path: Path, catcher: MailCatcher
) -> None:
    world = World(tmp_path, catcher)
    catcher.refuse_with = "451 4.3.0 try again later"
    delivery = world.enqueue("k1")
    assert world.relay.run_once() == 0
    row = world.row(delivery)
    assert row["state"] == "pending" and row["attempts"] == 1
    assert "451" in row["last_error"]
    retry_at = row["next_attempt_at"]
    assert retry_at > utcnow()
    catcher.refuse_with = None
    assert world.relay.run_once() == 0  # not due yet
    assert world.relay.run_once(now=retry_at + timedelta(seconds=1)) == 1
    assert world.relay.run_once(now=retry_at + timedelta(seconds=2)) == 0
    assert len(catcher.messages()) == 1
    failing = world.outbox.listing
    with session_scope(world.factory, all_tenants=True) as session:
        assert failing(session, tenant_id="t1", status="failed") == []
        assert len(failing(session, tenant_id="t1", status="sent")) == 1


def test_gives_up_after_max_attempts_and_on_permanent_refusal(
    tmp_path: Path, catcher: MailCatcher
) -> None:
    world = World(tmp_path, catcher, max_attempts=2)
    catcher.refuse_with = "451 4.3.0 try again later"
    delivery = world.enqueue("k1")
    world.relay.run_once()
    later = world.row(delivery)["next_attempt_at"] + timedelta(seconds=1)
    world.relay.run_once(now=later)
    row = world.row(delivery)
    assert row["state"] == "failed" and row["attempts"] == 2
    catcher.refuse_with = "554 5.7.1 rejected"
    refused = world.enqueue("k2")
    world.relay.run_once()
    assert world.row(refused)["state"] == "failed"
    with session_scope(world.factory, all_tenants=True) as session:
        shown = world.outbox.listing(session, tenant_id="t1", status="failed")
        assert {r["id"] for r in shown} == {delivery, refused}
        assert world.outbox.listing(session, tenant_id="t2", status="failed") == []
    assert catcher.messages() == []


def test_held_back_until_not_before_and_cancelled_when_nothing_to_send(
    tmp_path: Path, catcher: MailCatcher
) -> None:
    world = World(tmp_path, catcher)
    later = utcnow() + timedelta(hours=8)
    held = world.enqueue("k1", not_before=later)
    gone = world.enqueue("k2", payload={"gone": True})
    assert world.relay.run_once() == 0
    assert world.row(gone)["state"] == "cancelled"
    assert world.row(held)["state"] == "pending"
    assert 0 < world.relay.next_due_in_s() <= 8 * 3600
    assert world.relay.run_once(now=later) == 1
    assert len(catcher.messages()) == 1


def _until(condition, within_s: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_worker_sleeps_until_a_delivery_is_enqueued_or_a_retry_falls_due(
    tmp_path: Path, catcher: MailCatcher
) -> None:
    world = World(tmp_path, catcher, retry_first_s=1)
    assert world.relay.next_due_in_s() is None
    catcher.refuse_with = "451 4.3.0 try again later"
    stop = threading.Event()
    # The worker's loop with a safety net of an hour: only the doorbell (an enqueue) and the
    # retry's due time can wake it in time.
    worker = threading.Thread(
        target=run_woken,
        args=("mail", world.relay.run_once, world.relay, stop, 3600.0),
        daemon=True,
    )
    worker.start()
    try:
        delivery = world.enqueue("k1")
        _until(lambda: world.row(delivery)["attempts"] >= 1)
        assert world.row(delivery)["state"] == "pending"  # refused: retried after a backoff
        catcher.refuse_with = None
        _until(lambda: world.row(delivery)["state"] == "sent")  # no ring: the retry was due
    finally:
        stop.set()
        world.relay.doorbell.ring_local()
        worker.join(timeout=10)
    assert not worker.is_alive()
    assert world.row(delivery)["state"] == "sent"
    assert len(catcher.messages()) == 1
    assert world.relay.next_due_in_s() is None


def test_interrupted_send_is_never_retried(tmp_path: Path, catcher: MailCatcher) -> None:
    world = World(tmp_path, catcher, sending_lease_s=60)
    delivery = world.enqueue("k1")
    # A relay claimed the row and died before marking it (the server may have taken it).
    with session_scope(world.factory, all_tenants=True) as session:
        session.execute(
            update(world.table)
            .where(world.table.c.id == delivery)
            .values(state="sending", claimed_at=utcnow() - timedelta(minutes=5))
        )
    assert world.relay.run_once() == 0
    row = world.row(delivery)
    assert row["state"] == "failed" and "interrupted" in row["last_error"]
    assert catcher.messages() == []


def test_production_refuses_smtp_credentials_in_clear() -> None:
    production = {
        "profile": "production",
        "auth_issuer": "https://keycloak.example.org/realms/alac",
        "database_url": "postgresql+psycopg://alac@db/alac",
        "bus_backend": "kafka",
        "smtp_host": "smtp.example.org",
        "smtp_username": "alac",
        "smtp_password": "secret",
    }
    with pytest.raises(ValueError, match="ALAC_SMTP_STARTTLS=true"):
        Settings(**production)
    assert Settings(**production, smtp_starttls=True).smtp_starttls is True


def test_retry_by_hand_only_what_the_server_surely_did_not_take(
    tmp_path: Path, catcher: MailCatcher
) -> None:
    world = World(tmp_path, catcher)
    catcher.refuse_with = "554 5.7.1 rejected"
    refused = world.enqueue("k1")
    world.relay.run_once()
    assert world.row(refused)["state"] == "failed" and world.row(refused)["claimed_at"] is None
    with session_scope(world.factory, all_tenants=True) as session:
        with pytest.raises(NotFound):  # another tenant's is not found
            world.outbox.retry(session, tenant_id="t2", delivery_id=refused)
        row = world.outbox.retry(session, tenant_id="t1", delivery_id=refused)
        assert row["state"] == "pending" and row["attempts"] == 1
    catcher.refuse_with = None
    assert world.relay.run_once() == 1
    assert world.row(refused)["state"] == "sent" and world.row(refused)["attempts"] == 2
    with session_scope(world.factory, all_tenants=True) as session, pytest.raises(Conflict):
        world.outbox.retry(session, tenant_id="t1", delivery_id=refused)  # sent: not again

    # Interrupted while sending: the server may have taken it, so never by hand either.
    interrupted = world.enqueue("k2")
    with session_scope(world.factory, all_tenants=True) as session:
        session.execute(
            update(world.table)
            .where(world.table.c.id == interrupted)
            .values(state="sending", claimed_at=utcnow() - timedelta(hours=1))
        )
    world.relay.run_once()
    assert world.row(interrupted)["state"] == "failed"
    with session_scope(world.factory, all_tenants=True) as session:
        with pytest.raises(Conflict) as refused_again:
            world.outbox.retry(session, tenant_id="t1", delivery_id=interrupted)
    assert "twice" in str(refused_again.value)
    assert "дважды" in refused_again.value.detail_in("ru")
    assert world.relay.run_once() == 0 and len(catcher.messages()) == 1


def test_the_catcher_refuses_chosen_domains_for_good(tmp_path: Path) -> None:
    server = MailCatcher(tmp_path / "mail", refused_domains={"refused.example"}).start()
    try:
        mailer = SmtpMailer(host=server.host, port=server.port, timeout_s=5)
        with pytest.raises(MailUndelivered) as refused:
            mailer.send(_message("d-1", to="someone@Refused.example"))
        assert refused.value.permanent and "550" in str(refused.value)
        mailer.send(_message("d-2", to="someone@taken.example"))
        assert [m["X-Catcher-To"] for m in server.messages()] == ["someone@taken.example"]
    finally:
        server.stop()


def test_an_error_on_quit_after_the_message_was_taken_is_not_a_failure() -> None:
    """The server answered 250 to DATA, then failed QUIT: the message is delivered.

    Calling it undelivered would make the relay send it again and the recipient get it twice.
    """
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP as SMTPServer

    taken: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            taken.append(envelope.content)  # type: ignore[attr-defined]
            return "250 OK"

    class FailingQuit(SMTPServer):
        async def smtp_QUIT(self, arg: str) -> None:
            await self.push("421 closing without a goodbye")
            self._handler_coroutine.cancel()  # drop the line as a crashing server would

    class QuitFailingController(Controller):
        def factory(self) -> SMTPServer:
            return FailingQuit(self.handler)

    port = _free_port("127.0.0.1")
    controller = QuitFailingController(
        Handler(), hostname="127.0.0.1", port=port, server_hostname="quit-fails"
    )
    controller.start()
    try:
        SmtpMailer(host="127.0.0.1", port=port).send(_message())
    finally:
        controller.stop()
    assert len(taken) == 1
