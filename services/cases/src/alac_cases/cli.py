"""`alac cases ...`: operating the cases service from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

app = typer.Typer(help="Cases: audit trail, deadlines, and following cases.", no_args_is_help=True)

# The HTTP client of the API commands below. A module-level factory so that tests can hand in
# a client bound to the in-process app (Starlette's TestClient is an httpx.Client).
client_factory: Callable[[str], httpx.Client] = lambda url: httpx.Client(  # noqa: E731
    base_url=url, timeout=30.0
)

Url = Annotated[
    str, typer.Option("--url", envvar="ALAC_CASES_URL", help="Base URL of the cases API")
]
Token = Annotated[
    str | None,
    typer.Option("--token", envvar="ALAC_TOKEN", help="Access token (see `alac token`)"),
]
Version = Annotated[
    int | None,
    typer.Option(
        "--version",
        help="Case version last read (optimistic lock); default: read the current one first",
    ),
]
DEFAULT_URL = "http://127.0.0.1:8002"

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="Cases database (default: from ALAC_* settings)"),
]


def _session_factory(database_url: str | None):  # type: ignore[no-untyped-def]
    from alac_kernel.db import make_engine, make_session_factory
    from alac_kernel.operations import NotSetUp, require_database
    from alac_kernel.settings import Settings

    if database_url is None:
        try:
            database_url = require_database(Settings(), "cases")
        except NotSetUp as exc:
            typer.echo(f"alac cases: {exc}", err=True)
            raise typer.Exit(2) from None
    return make_session_factory(make_engine(database_url))


@app.command("verify-audit")
def verify_audit(database_url: DatabaseUrl = None) -> None:
    """Check every tenant's hash chain; exit 1 naming each edited or deleted entry."""
    import alac_cases.domain_models  # noqa: F401 - every table mapped
    from alac_cases.audit.service import verify
    from alac_kernel.db import session_scope

    with session_scope(_session_factory(database_url), all_tenants=True) as session:
        checked, breaks = verify(session=session)
    for found in breaks:
        typer.echo(f"BROKEN tenant={found.tenant_id} seq={found.seq}: {found.problem}", err=True)
    if breaks:
        typer.echo(f"audit trail NOT intact: {len(breaks)} problem(s) in {checked} entries")
        raise typer.Exit(1)
    typer.echo(f"audit trail intact: {checked} entries")


@app.command("run-deadlines")
def run_deadlines() -> None:
    """One deadline scheduler pass: emit case.deadline_approaching / case.deadline_missed."""
    from alac_cases.app import build_runtime
    from alac_cases.app import run_deadlines as run_pass
    from alac_kernel.operations import runtime_for_operation

    runtime = runtime_for_operation("cases", build_runtime)
    try:
        result = run_pass(runtime)
    finally:
        runtime.close()
    typer.echo(f"deadlines: {result.approaching} approaching, {result.missed} missed")


@app.command("encrypt-letters")
def encrypt_letters(
    batch_size: int = typer.Option(100, min=1, help="Letters encrypted per transaction."),
) -> None:
    """Encrypt the letter PDFs stored in plaintext before encryption at rest (once, after
    upgrading; the service keeps running)."""
    from alac_cases.app import build_runtime
    from alac_cases.letters.service import encrypt_plaintext
    from alac_cases.letters.store import letter_store_for
    from alac_kernel.operations import runtime_for_operation

    runtime = runtime_for_operation("cases", build_runtime)
    try:
        report = encrypt_plaintext(
            factory=runtime.session_factory,
            keys=runtime.master_keys,  # type: ignore[attr-defined]
            store=letter_store_for(runtime.settings),
            batch_size=batch_size,
        )
    finally:
        runtime.close()
    typer.echo(
        f"encrypted {report['encrypted']} letters; {report['missing']} without a file marked erased"
    )


# --- following a case through the HTTP API -------------------------------------------------


def _call(url: str, token: str | None, method: str, path: str, **kwargs: Any) -> Any:
    """One request; a problem answer exits 1 with its detail (and field errors) on stderr."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    client = client_factory(url)
    try:
        response = client.request(method, path, headers=headers, **kwargs)
    except httpx.HTTPError as exc:
        typer.echo(f"cannot reach the cases API at {url}: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        client.close()
    if response.status_code >= 400:
        try:
            problem = response.json()
        except ValueError:
            problem = {"detail": response.text}
        typer.echo(
            f"{response.status_code}: {problem.get('detail', response.reason_phrase)}", err=True
        )
        for error in problem.get("errors", []):
            typer.echo(f"  {error.get('field')}: {error.get('reason')}", err=True)
        for extra in ("allowed", "missing_consent", "current_status", "current_version"):
            if extra in problem:
                typer.echo(f"  {extra}: {json.dumps(problem[extra])}", err=True)
        raise typer.Exit(1)
    return response.json()


def _print(body: Any) -> None:
    typer.echo(json.dumps(body, ensure_ascii=False, indent=2))


def _version(url: str, token: str | None, case_id: str, version: int | None) -> int:
    if version is not None:
        return version
    return _call(url, token, "GET", f"/v1/cases/{case_id}")["version"]


def _change(url: str, token: str | None, case_id: str, path: str, body: dict, version: int | None):
    body = {**body, "version": _version(url, token, case_id, version)}
    return _call(url, token, "POST", f"/v1/cases/{case_id}/{path}", json=body)


@app.command("list")
def list_cases(
    office: Annotated[str | None, typer.Option(help="Only this office")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Cases, newest first (JSON page)."""
    params = {"limit": limit, **({"office": office} if office else {})}
    params.update({"status": status} if status else {})
    _print(_call(url, token, "GET", "/v1/cases", params=params))


@app.command("show")
def show(
    case_id: str,
    history: Annotated[
        bool, typer.Option("--history", help="Add status changes and assignments")
    ] = False,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """One case (with --history: its status changes and assignments too)."""
    case = _call(url, token, "GET", f"/v1/cases/{case_id}")
    if history:
        case = {"case": case, "history": _call(url, token, "GET", f"/v1/cases/{case_id}/history")}
    _print(case)


@app.command("transition")
def transition(
    case_id: str,
    to_status: str,
    reason: Annotated[str, typer.Option(help="Why (recorded in the history)")],
    outcome: Annotated[str | None, typer.Option(help="When closing")] = None,
    version: Version = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Move a case to another status (a refusal lists the statuses allowed from here)."""
    body = {"to_status": to_status, "reason": reason, "outcome": outcome}
    _print(_change(url, token, case_id, "transitions", body, version))


@app.command("close")
def close(
    case_id: str,
    outcome: Annotated[str, typer.Option(help="resolved, advice_given, rejected, ...")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the history)")],
    version: Version = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Close a case with an outcome."""
    body = {"to_status": "closed", "reason": reason, "outcome": outcome}
    _print(_change(url, token, case_id, "transitions", body, version))


@app.command("assign")
def assign(
    case_id: str,
    assignee: Annotated[
        str | None, typer.Option(help="A staff member's username, e-mail or id, e.g. lena")
    ] = None,
    least_loaded: Annotated[
        bool, typer.Option("--least-loaded", help="The office's least loaded lawyer")
    ] = False,
    version: Version = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Assign a case by hand (--assignee) or to the least loaded lawyer (--least-loaded)."""
    if (assignee is None) == (not least_loaded):
        typer.echo("give exactly one of --assignee and --least-loaded", err=True)
        raise typer.Exit(2)
    body = {"strategy": "least_loaded"} if least_loaded else {"assignee": assignee}
    _print(_change(url, token, case_id, "assignment", body, version))


@app.command("consent")
def consent(
    case_id: str,
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="formal_action, documents_to_authorities, media, ..."),
    ] = None,
    withdrawn: Annotated[bool, typer.Option("--withdrawn", help="Withdraw all consent")] = False,
    how_given: Annotated[
        str, typer.Option(help="signed_form, in_person, phone, ...")
    ] = "signed_form",
    note: Annotated[str | None, typer.Option()] = None,
    version: Version = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Record a new consent version (the scopes the client agreed to)."""
    body = {"scopes": scope or [], "withdrawn": withdrawn, "how_given": how_given, "note": note}
    _print(_change(url, token, case_id, "consents", body, version))


@app.command("action")
def action(
    case_id: str,
    action_type: str,
    summary: Annotated[str, typer.Option(help="What happened (never in events)")],
    occurred_at: Annotated[
        str | None, typer.Option(help="ISO 8601 with a timezone; default: now")
    ] = None,
    involves: Annotated[
        list[str] | None, typer.Option("--involves", help="Further consent scopes it needs")
    ] = None,
    version: Version = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Record an action (meeting, advice, authority response, ...); consent-gated."""
    body: dict[str, Any] = {"action_type": action_type, "summary": summary}
    if occurred_at:
        body["occurred_at"] = occurred_at
    if involves:
        body["involves"] = involves
    _print(_change(url, token, case_id, "actions", body, version))


# --- the tenant registry and staff administration ------------------------------------------

tenants_app = typer.Typer(
    help="The tenant registry: onboard, list, suspend, reactivate and offboard centres "
    "(platform admin).",
    no_args_is_help=True,
)
staff_app = typer.Typer(
    help="Staff of your centre: invite, move, deactivate (tenant admin).", no_args_is_help=True
)


@tenants_app.command("onboard")
def tenants_onboard(
    file: Annotated[
        Path, typer.Option("--file", help="The centre as YAML (docs/tenancy.md shows one)")
    ],
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Onboard a centre in one step (re-run the same file to resume an interrupted one)."""
    from alac_kernel.tenants import SpecError, load_spec_file

    try:
        spec = load_spec_file(file)
    except SpecError as exc:
        first = exc.errors[0]
        more = f" (and {len(exc.errors) - 1} more)" if len(exc.errors) > 1 else ""
        where = first["field"] or str(file)
        typer.echo(f"alac tenants onboard: {file}: {where}: {first['reason']}{more}", err=True)
        raise typer.Exit(2) from None
    body = json.loads(spec.model_dump_json())
    _print(_call(url, token, "POST", "/v1/tenants", json=body))


@tenants_app.command("list")
def tenants_list(url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Every tenant with its status."""
    _print(_call(url, token, "GET", "/v1/tenants"))


@tenants_app.command("suspend")
def tenants_suspend(
    tenant_id: str,
    reason: Annotated[str | None, typer.Option(help="Why (kept with the event)")] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Suspend a centre: its people cannot sign in; data is kept."""
    _print(_call(url, token, "POST", f"/v1/tenants/{tenant_id}/suspend", json={"reason": reason}))


@tenants_app.command("reactivate")
def tenants_reactivate(tenant_id: str, url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Lift a suspension."""
    _print(_call(url, token, "POST", f"/v1/tenants/{tenant_id}/reactivate"))


@tenants_app.command("offboard")
def tenants_offboard(tenant_id: str, url: Url = DEFAULT_URL, token: Token = None) -> None:
    """Export a suspended centre's archive, then delete it everywhere."""
    _print(_call(url, token, "POST", f"/v1/tenants/{tenant_id}/offboard"))


@staff_app.command("invite")
def staff_invite(
    username: str,
    email: Annotated[str, typer.Option(help="Where the invitation goes")],
    first_name: Annotated[str, typer.Option()],
    last_name: Annotated[str, typer.Option()],
    office: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="volunteer, lawyer, coordinator or analyst")],
    position: Annotated[str | None, typer.Option(help="Shown under the name on letters")] = None,
    language: Annotated[str, typer.Option(help="kk, ru or en")] = "ru",
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Invite a person into an office of your centre."""
    body = {
        "username": username, "email": email, "first_name": first_name,
        "last_name": last_name, "office": office, "role": role, "position": position,
        "language": language,
    }  # fmt: skip
    _print(_call(url, token, "POST", "/v1/staff/invitations", json=body))


@staff_app.command("move")
def staff_move(
    who: Annotated[str, typer.Argument(help="Username, e-mail or id")],
    office: Annotated[str | None, typer.Option()] = None,
    role: Annotated[str | None, typer.Option()] = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Move a person to another office and/or role."""
    body = {k: v for k, v in {"office": office, "role": role}.items() if v is not None}
    _print(_call(url, token, "POST", f"/v1/staff/{who}/move", json=body))


@staff_app.command("deactivate")
def staff_deactivate(
    who: Annotated[str, typer.Argument(help="Username, e-mail or id")],
    url: Url = DEFAULT_URL,
    token: Token = None,
) -> None:
    """Deactivate a person: no more sign-in or new assignments; their name stays."""
    _print(_call(url, token, "POST", f"/v1/staff/{who}/deactivate"))
