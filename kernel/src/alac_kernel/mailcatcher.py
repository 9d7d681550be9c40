"""A local mail catcher: a real SMTP server (aiosmtpd) on loopback that keeps every message it
receives as an .eml file in a folder, instead of passing it on.

`alac up` runs one so the embedded platform's e-mails can be read under <data>/mail/; the
tests run one (optionally with STARTTLS and AUTH) and read what was delivered.

    catcher = MailCatcher(folder, port=8025).start()
    ... catcher.messages() ...
    catcher.stop()
"""

from __future__ import annotations

import email
import email.policy
import os
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class _KeepAsFiles:
    """aiosmtpd handler: each message accepted is written to `folder` (atomically: a reader
    never sees half a file), with the envelope recipients in an X-Catcher-To header."""

    def __init__(
        self, folder: Path, refuse: Callable[[], str | None], refused_domains: set[str]
    ) -> None:
        self.folder = folder
        self.refuse = refuse
        self.refused_domains = refused_domains

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.rpartition("@")[2].lower() in self.refused_domains:
            # As a real server words it: the address is in the answer.
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        answer = self.refuse()
        if answer:
            return answer
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        name = f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode()
        head = f"X-Catcher-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        partial = self.folder / f".{name}.part"
        partial.write_bytes(head + data)
        os.chmod(partial, 0o600)  # staff addresses: readable by the owner only
        partial.rename(self.folder / name)
        return "250 Message accepted for delivery"


class MailCatcher:
    """An SMTP server on `host:port` that keeps messages under `folder`.

    With `tls` (cert file, key file) it offers STARTTLS and requires it; with `credentials`
    (user, password) it requires AUTH (over TLS). `refuse_with` set to an SMTP answer such as
    "451 4.3.0 try later" makes it refuse every message until set back to None;
    `refused_domains` (lower case) are refused at RCPT for good (550), every other recipient
    accepted.
    """

    def __init__(
        self,
        folder: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: tuple[Path, Path] | None = None,
        credentials: tuple[str, str] | None = None,
        refused_domains: set[str] | None = None,
    ) -> None:
        self.refused_domains = set(refused_domains or ())
        self.folder = Path(folder)
        self.host = host
        self.port = port
        self.tls = tls
        self.credentials = credentials
        self.refuse_with: str | None = None
        self.auth_attempts: list[str] = []
        self._controller: Controller | None = None
        self._lock = threading.Lock()

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword) or self.credentials is None:
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode()
        self.auth_attempts.append(user)
        ok = (user, auth_data.password.decode()) == self.credentials
        return AuthResult(success=ok, handled=False)

    def start(self) -> MailCatcher:
        kwargs: dict[str, Any] = {}
        if self.tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            kwargs.update(tls_context=context, require_starttls=True)
        if self.credentials is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True)
            kwargs["auth_require_tls"] = self.tls is not None
        if self.port == 0:
            self.port = _free_port(self.host)
        controller = Controller(
            _KeepAsFiles(self.folder, lambda: self.refuse_with, self.refused_domains),
            hostname=self.host,
            port=self.port,
            # The catcher is reached by address; the name in its greeting need not resolve.
            server_hostname="alac-mail-catcher",
            **kwargs,
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def files(self) -> list[Path]:
        if not self.folder.exists():
            return []
        return sorted(p for p in self.folder.glob("*.eml"))

    def messages(self) -> list[EmailMessage]:
        """Every message received so far, oldest first."""
        return [read_message(path) for path in self.files()]


def read_message(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    if not isinstance(message, EmailMessage):  # policy.default makes an EmailMessage
        raise TypeError(f"{path} was not read as an EmailMessage")
    return message


def _free_port(host: str) -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


__all__ = ["MailCatcher", "read_message"]
