"""Outgoing e-mail: one message shape and one SMTP sender for every service.

A message is multipart/alternative (plain text first, HTML second, so a reader that shows no
HTML still reads it) with a Message-ID derived from the delivery id: the same delivery always
carries the same Message-ID, so a mail system that sees it twice can tell.

The sender speaks SMTP with smtplib: STARTTLS with the server's certificate verified against
the system's CAs (or ALAC_SMTP_CA_FILE), AUTH when a user name is set, and a timeout. Any
failure is a `MailUndelivered` (a kernel `Unavailable`), with `permanent` set when the server
refused the recipient or the message for good (5xx), so the delivery outbox stops retrying.

    message = compose(delivery_id=d, sender=settings.smtp_from, to="lawyer@example.org",
                      subject="...", text="...", html="<p>...</p>", language="ru")
    SmtpMailer.from_settings(settings).send(message)
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any

from alac_kernel.db import utcnow
from alac_kernel.errors import Unavailable
from alac_kernel.settings import Settings


class MailUndelivered(Unavailable):
    """The mail server did not take the message. `permanent`: it refused it for good (a 5xx
    answer to the recipient or the message), so trying again would not help."""

    default_title = "Mail not delivered"

    def __init__(self, detail: str, *, permanent: bool = False, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.permanent = permanent


def message_id(delivery_id: str, sender: str) -> str:
    """`<delivery-id@sender's domain>`: stable for a delivery, unique across deliveries."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "alac.localhost"
    return f"<{delivery_id}@{domain}>"


def compose(
    *,
    delivery_id: str,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    language: str,
) -> EmailMessage:
    """A multipart/alternative message (text/plain, then text/html) for one recipient."""
    message = EmailMessage(policy=SMTP)
    message["Message-ID"] = message_id(delivery_id, sender)
    message["Date"] = format_datetime(utcnow())
    message["From"] = sender
    message["To"] = Address(addr_spec=to) if "<" not in to else to
    message["Subject"] = subject
    # RFC 3834: an automatic message; vacation responders and the like do not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    # After the parts: setting content moves Content-* headers into the first part.
    message["Content-Language"] = language
    return message


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0
    ca_file: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpMailer:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=(
                settings.smtp_password.get_secret_value() if settings.smtp_password else None
            ),
            timeout_s=settings.smtp_timeout_s,
            ca_file=settings.smtp_ca_file,
        )

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def tls_context(self) -> ssl.SSLContext:
        # Certificate and host name verified: a relay that cannot prove who it is gets no
        # credentials and no message.
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)

    def send(self, message: EmailMessage) -> None:
        """Hand `message` to the server; raise `MailUndelivered` unless it took it."""
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
            try:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=self.tls_context())
                    smtp.ehlo()
                if self.username:
                    if not self.starttls and self.host not in ("127.0.0.1", "::1", "localhost"):
                        raise MailUndelivered(
                            f"refusing to send SMTP credentials to {self.where} without STARTTLS"
                        )
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
            finally:
                _hang_up(smtp)
        except MailUndelivered:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise MailUndelivered(
                f"the mail server at {self.where} refused the recipient ({codes[0] if codes else '?'})",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise MailUndelivered(
                f"the mail server at {self.where} refused the credentials ({exc.smtp_code})"
            ) from None
        except smtplib.SMTPResponseException as exc:
            # smtplib hands the server's text over as bytes (str from some servers' replies).
            error = exc.smtp_error
            reason = (
                error.decode(errors="replace") if isinstance(error, bytes) else str(error or "")
            )
            raise MailUndelivered(
                f"the mail server at {self.where} answered {exc.smtp_code} {reason}".strip(),
                permanent=isinstance(exc, smtplib.SMTPDataError | smtplib.SMTPSenderRefused)
                and exc.smtp_code >= 500,
            ) from None
        except ssl.SSLError as exc:
            raise MailUndelivered(
                f"no trusted TLS connection to the mail server at {self.where}: {exc.reason}"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise MailUndelivered(f"the mail server at {self.where}: {exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailUndelivered(
                f"the mail server at {self.where} cannot be reached: {type(exc).__name__}: {exc}"
            ) from None


__all__ = ["MailUndelivered", "SmtpMailer", "compose", "message_id"]


def _hang_up(smtp: smtplib.SMTP) -> None:
    """Say QUIT, ignoring what the server answers.

    Once DATA was answered 250 the message is the server's: an error on QUIT (or a dropped
    connection) must not make the caller retry it, or the recipient would get it twice.
    """
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
