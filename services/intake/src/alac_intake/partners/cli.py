"""`alac partners ...`: partner systems through intake's HTTP API (docs/partners.md).

`register`, `list`, `rotate-secret` and `revoke` need a tenant admin's token; `subscribe`,
`subscriptions`, `deliveries`, `replay` and `feed` a partner system's token (client
credentials). Errors print one line (the problem's detail) and exit 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import typer

app = typer.Typer(
    help="Partner systems: registration, webhooks, the event feed.", no_args_is_help=True
)

# Tests hand in a client bound to the in-process app (Starlette's TestClient is an httpx.Client).
client_factory: Callable[[str], httpx.Client] = lambda url: httpx.Client(  # noqa: E731
    base_url=url, timeout=60.0
)

Url = Annotated[
    str, typer.Option("--url", envvar="ALAC_INTAKE_URL", help="Base URL of the intake API")
]
Token = Annotated[
    str | None,
    typer.Option("--token", envvar="ALAC_TOKEN", help="Access token (see `alac token`)"),
]
DEFAULT_URL = "http://127.0.0.1:8001"


def _call(url: str, token: str | None, method: str, path: str, **kwargs: Any) -> Any:
    if not token:
        typer.echo("alac partners: give --token or set ALAC_TOKEN (see `alac token`)", err=True)
        raise typer.Exit(2)
    client = client_factory(url)
    try:
        response = client.request(
            method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )
    except httpx.HTTPError as exc:
        typer.echo(f"alac partners: cannot reach the intake API at {url}: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        client.close()
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except (ValueError, AttributeError):
            detail = response.text
        typer.echo(f"alac partners: {response.status_code} {detail}", err=True)
        raise typer.Exit(1)
    return response.json() if response.content else None


def _print(body: Any) -> None:
    typer.echo(json.dumps(body, ensure_ascii=False, indent=2))


@app.command("register")
def register(
    client_id: Annotated[str, typer.Argument(help="OAuth client id for the partner system")],
    name: Annotated[str, typer.Option(help="Name of the partner organisation")],
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Register a partner system of your tenant; prints its client secret (shown once)."""
    _print(_call(url, token, "POST", "/v1/partners", json={"client_id": client_id, "name": name}))


@app.command("list")
def list_partners(url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Your tenant's partner systems."""
    _print(_call(url, token, "GET", "/v1/partners"))


@app.command("rotate-secret")
def rotate_secret(partner_id: str, url: Url = DEFAULT_URL, token: Token = None) -> None:
    """A new client secret (shown once); the previous one works for the grace period."""
    _print(_call(url, token, "POST", f"/v1/partners/{partner_id}/secret"))


@app.command("revoke")
def revoke(partner_id: str, url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Delete the partner's client at the identity provider; its records are kept."""
    _call(url, token, "DELETE", f"/v1/partners/{partner_id}")
    typer.echo(f"partner {partner_id} revoked")


@app.command("subscribe")
def subscribe(
    webhook_url: Annotated[str, typer.Argument(help="https:// URL of the receiver")],
    event_type: Annotated[
        list[str], typer.Option("--event", help="partner.complaint_received, ... (repeat)")
    ],
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Subscribe a receiver (partner token); prints the whsec_ signing secret (shown once)."""
    body = {"url": webhook_url, "event_types": event_type}
    _print(_call(url, token, "POST", "/v1/webhooks", json=body))


@app.command("subscriptions")
def subscriptions(url: Url = DEFAULT_URL, token: Token = None) -> None:
    """The partner's webhook subscriptions with their delivery counts."""
    _print(_call(url, token, "GET", "/v1/webhooks"))


@app.command("deliveries")
def deliveries(subscription_id: str, url: Url = DEFAULT_URL, token: Token = None) -> None:
    """The delivery log of a subscription, newest first."""
    _print(_call(url, token, "GET", f"/v1/webhooks/{subscription_id}/deliveries"))


@app.command("enable")
def enable(subscription_id: str, url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Enable a (disabled) subscription again; waiting deliveries go out."""
    _print(_call(url, token, "PATCH", f"/v1/webhooks/{subscription_id}", json={"status": "active"}))


@app.command("replay")
def replay(
    subscription_id: str,
    after: Annotated[str | None, typer.Option(help="Feed cursor; default: from the start")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Deliver again every event after a feed cursor."""
    path = f"/v1/webhooks/{subscription_id}/replay"
    _print(_call(url, token, "POST", path, json={"after": after}))


@app.command("feed")
def feed(
    after: Annotated[str | None, typer.Option(help="Cursor from a previous page")] = None,
    wait: Annotated[float, typer.Option(min=0, max=30, help="Long polling, seconds")] = 0,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """One page of the partner's event feed (events and the `next` cursor)."""
    params: dict[str, Any] = {"wait": wait}
    if after:
        params["after"] = after
    _print(_call(url, token, "GET", "/v1/feed", params=params))
