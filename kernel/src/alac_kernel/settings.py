"""Settings shared by every service, read from `ALAC_*` environment variables.

Two profiles: `embedded` (one machine: SQLite, the embedded log, the development token issuer)
and `production` (PostgreSQL, Kafka, Keycloak). The production profile refuses the embedded
shortcuts, so a misconfigured deployment fails at start instead of running insecurely.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_REALM = "alac-dev"
"""Realm name the development issuer uses; production refuses issuers under this realm."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ALAC_", extra="ignore")

    profile: Literal["embedded", "production"] = "embedded"
    data_dir: Path = Path("data")

    # Each service process has its own database. Left empty, an embedded SQLite file
    # `<data_dir>/<service>.db` is used.
    database_url: str | None = None

    bus_backend: Literal["log", "kafka"] = "log"
    # The embedded log's database; empty means `<data_dir>/bus.db`.
    bus_url: str | None = None
    bus_partitions: int = Field(default=4, ge=1, le=256)
    kafka_bootstrap: str = "localhost:9092"
    kafka_client_options: dict[str, object] = Field(default_factory=dict)
    topic_prefix: str = "alac."

    # Consumers: attempts before a record goes to the dead-letter topic.
    consumer_max_attempts: int = Field(default=3, ge=1)
    consumer_batch_size: int = Field(default=100, ge=1)
    consumer_poll_timeout_s: float = Field(default=0.2, gt=0)
    run_workers: bool = True  # run the relay and consumers inside the service process

    relay_batch_size: int = Field(default=200, ge=1)
    relay_interval_s: float = Field(default=0.05, gt=0)
    relay_max_backoff_s: float = Field(default=30.0, gt=0)

    # OIDC (Keycloak in production; the development issuer in the embedded mode).
    auth_issuer: str = f"http://127.0.0.1:8090/realms/{DEV_REALM}"
    auth_jwks_url: str | None = None  # default: <issuer>/protocol/openid-connect/certs
    auth_audience: str = "alac-api"
    auth_client_id: str = "alac-api"  # roles are read from resource_access.<client>.roles
    auth_leeway_s: int = Field(default=30, ge=0, le=300)
    auth_jwks_min_refresh_s: float = Field(default=10.0, ge=0)

    # Intake's base URL, for the consumers that ask its key service for a complaint's text
    # key (alac_kernel.sealed_text): search and cases.
    intake_url: str = "http://127.0.0.1:8001"

    # Identity administration (alac_kernel.identity: onboarding, staff): Keycloak's admin API
    # of the realm of `identity_admin_issuer` (default: auth_issuer), called as a confidential
    # client with realm-management roles. The defaults are the development issuer's.
    identity_admin_issuer: str | None = None
    identity_admin_client_id: str = "alac-admin"
    identity_admin_client_secret: str = "alac-admin-dev-secret"  # noqa: S105
    identity_send_email: bool = False  # invitations by e-mail need SMTP configured in Keycloak

    # The web front end's public address: links in e-mails point there.
    web_url: str = "http://127.0.0.1:8000"

    # Outgoing e-mail (alac_kernel.mail). The embedded default is the local mail catcher that
    # `alac up` starts on loopback (it keeps each message as a file under <data_dir>/mail/);
    # production points these at the operator's relay, with STARTTLS and credentials.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "ALAC Platform <notifications@alac.localhost>"
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    # A CA bundle to verify the server's certificate with instead of the system's (a private
    # CA; the tests' throwaway certificate).
    smtp_ca_file: Path | None = None
    # Delivery outbox (alac_kernel.delivery): attempts before a message is given up (visible
    # to the tenant admin), and the longest wait between two attempts.
    mail_max_attempts: int = Field(default=8, ge=1)
    mail_retry_first_s: float = Field(default=30.0, gt=0)  # doubled after each failed attempt
    mail_max_backoff_s: float = Field(default=900.0, gt=0)

    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    # Addresses of the operator's own reverse proxies, comma-separated: only from these is
    # X-Forwarded-For believed (alac_kernel.limits.client_address).
    trusted_proxies: str = ""

    @property
    def trusted_proxy_set(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.trusted_proxies.split(",") if a.strip())

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _production_refuses_embedded_shortcuts(self) -> Settings:
        if self.profile == "production":
            if f"/realms/{DEV_REALM}" in self.auth_issuer:
                raise ValueError(
                    "the production profile refuses the development token issuer "
                    f"(ALAC_AUTH_ISSUER={self.auth_issuer!r}); point it at Keycloak"
                )
            if self.database_url is None or self.database_url.startswith("sqlite"):
                raise ValueError("the production profile needs ALAC_DATABASE_URL (PostgreSQL)")
            if self.bus_backend != "kafka":
                raise ValueError("the production profile needs ALAC_BUS_BACKEND=kafka")
            if self.smtp_username and not self.smtp_starttls:
                raise ValueError(
                    "the production profile refuses to send SMTP credentials in clear; "
                    "set ALAC_SMTP_STARTTLS=true"
                )
        return self

    def database_url_for(self, service: str) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / f'{service}.db').resolve()}"

    @cached_property
    def log_url(self) -> str:
        if self.bus_url:
            return self.bus_url
        return f"sqlite:///{(self.data_dir / 'bus.db').resolve()}"

    @property
    def jwks_url(self) -> str:
        return self.auth_jwks_url or f"{self.auth_issuer}/protocol/openid-connect/certs"

    def topic(self, aggregate_type: str) -> str:
        """Topic per aggregate type, e.g. `alac.complaint`."""
        return f"{self.topic_prefix}{aggregate_type}"
