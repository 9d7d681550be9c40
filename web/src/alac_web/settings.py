"""Settings of the web front end, from `ALAC_WEB_*` environment variables.

The front end knows the services only by their base URLs: it is a client of their public
APIs like any other, so it can run on another host than the services."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# `npm ci` in web/ puts the pinned browser assets here (see web/package.json).
DEFAULT_ASSETS = PACKAGE.parents[1] / "node_modules"


@dataclass(frozen=True)
class WebSettings:
    intake_url: str = "http://127.0.0.1:8001"
    cases_url: str = "http://127.0.0.1:8002"
    search_url: str = "http://127.0.0.1:8004"
    analytics_url: str = "http://127.0.0.1:8003"
    # The OIDC issuer staff sign in with (Keycloak's realm URL, or the development issuer),
    # and this front end's client there: public, authorization code flow with PKCE.
    issuer_url: str = "http://127.0.0.1:8090/realms/alac-dev"
    client_id: str = "alac-web"
    data_dir: Path = Path("data")
    assets_dir: Path = DEFAULT_ASSETS
    default_language: str = "ru"
    # Cookies get `Secure` on https requests anyway; this forces it (e.g. behind a TLS proxy
    # whose X-Forwarded-Proto is not passed on). On http://127.0.0.1 a Secure cookie would
    # never come back and every form would fail, so it is not the default.
    secure_cookies: bool = False
    timeout_s: float = 15.0
    # The largest attachment, as intake reads it (ALAC_INTAKE_ATTACHMENT_MAX_BYTES, else the
    # request body limit): a larger file is refused here, before the complaint is filed.
    attachment_max_bytes: int = 1_000_000
    # Staff pages show times in the tenant's zone as the registry holds it (zones.py); this
    # one for a tenant the registry does not know, or while cases cannot be reached.
    time_zone: str = "Asia/Almaty"

    @classmethod
    def from_env(cls) -> WebSettings:
        env = os.environ
        return cls(
            intake_url=env.get("ALAC_WEB_INTAKE_URL", cls.intake_url).rstrip("/"),
            cases_url=env.get("ALAC_WEB_CASES_URL", cls.cases_url).rstrip("/"),
            search_url=env.get("ALAC_WEB_SEARCH_URL", cls.search_url).rstrip("/"),
            analytics_url=env.get("ALAC_WEB_ANALYTICS_URL", cls.analytics_url).rstrip("/"),
            issuer_url=env.get(
                "ALAC_WEB_ISSUER_URL", env.get("ALAC_AUTH_ISSUER", cls.issuer_url)
            ).rstrip("/"),
            client_id=env.get("ALAC_WEB_CLIENT_ID", cls.client_id),
            data_dir=Path(env.get("ALAC_DATA_DIR", str(cls.data_dir))),
            assets_dir=Path(env.get("ALAC_WEB_ASSETS_DIR", str(DEFAULT_ASSETS))),
            default_language=env.get("ALAC_WEB_DEFAULT_LANGUAGE", cls.default_language),
            secure_cookies=env.get("ALAC_WEB_SECURE_COOKIES", "false").lower() in ("1", "true"),
            time_zone=env.get("ALAC_WEB_TIME_ZONE", cls.time_zone),
            attachment_max_bytes=int(
                env.get(
                    "ALAC_INTAKE_ATTACHMENT_MAX_BYTES",
                    env.get("ALAC_MAX_BODY_BYTES", cls.attachment_max_bytes),
                )
            ),
        )

    def secure_for(self, scheme: str) -> bool:
        """Cookies get `Secure` on https (as the app sees it: directly, or through a proxy's
        X-Forwarded-Proto that uvicorn trusts), or always with ALAC_WEB_SECURE_COOKIES."""
        return self.secure_cookies or scheme == "https"

    def secret(self) -> bytes:
        """The key that signs CSRF tokens: `ALAC_WEB_SECRET`, else one kept in the data folder
        (mode 0600) so a restart does not invalidate the forms people have open."""
        given = os.environ.get("ALAC_WEB_SECRET")
        if given:
            return given.encode()
        path = self.data_dir / "web-secret.key"
        if path.exists():
            return path.read_bytes()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race: use its key
            return path.read_bytes()
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key
