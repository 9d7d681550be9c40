"""`alac cases ...`: operating the cases service from the command line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from alac_cases.runtime import CasesRuntime
    from alac_kernel.auth.principal import Principal
    from alac_kernel.auth.verifier import TokenVerifier
    from alac_kernel.settings import Settings

app = typer.Typer(help="Cases: audit trail, deadlines, and following cases.", no_args_is_help=True)

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

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="Cases database (default: from ALAC_* settings)"),
]


def _session_factory(database_url: str | None) -> sessionmaker[Session]:
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


def _build_runtime(settings: Settings) -> CasesRuntime:
    # The service is imported once the database is known to be there: a command run from the
    # wrong folder says so without loading it.
    from alac_cases.app import build_runtime

    return build_runtime(settings)


@app.command("verify-audit")
def verify_audit(database_url: DatabaseUrl = None) -> None:
    """Check every tenant's hash chain; exit 1 naming each edited or deleted entry."""
    factory = _session_factory(database_url)  # before the service: a missing one is one line
    import alac_cases.case.metadata  # noqa: F401 - every table mapped
    from alac_cases.audit.service import verify
    from alac_kernel.db import session_scope

    with session_scope(factory, all_tenants=True) as session:
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
    from alac_kernel.operations import runtime_for_operation

    runtime = runtime_for_operation("cases", _build_runtime)
    try:
        from alac_cases.app import run_deadlines as run_pass

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
    from alac_kernel.operations import runtime_for_operation

    runtime = runtime_for_operation("cases", _build_runtime)
    try:
        from alac_cases.letters.service import encrypt_plaintext

        report = encrypt_plaintext(
            factory=runtime.session_factory,
            keys=runtime.master_keys,
            store=runtime.letters,
            batch_size=batch_size,
        )
    finally:
        runtime.close()
    typer.echo(
        f"encrypted {report['encrypted']} letters; {report['missing']} without a file marked erased"
    )


# --- following a case: the service's use cases, as the signed-in caller ---------------------
#
# These commands run where the cases database is (like the operator commands above) and call
# the same use cases as the HTTP API, as the person whose access token they are given: the
# token is verified against the issuer, the permission matrix applies, the audit trail names
# that person. A refusal is one line on stderr (exit 1), as the API would answer it.


@dataclass
class Service:
    runtime: CasesRuntime
    verifier: TokenVerifier


@contextmanager
def operating_service() -> Iterator[Service]:
    """The cases service on its existing database (or one line and exit 2)."""
    from alac_kernel.auth.verifier import TokenVerifier
    from alac_kernel.operations import runtime_for_operation

    runtime = runtime_for_operation("cases", _build_runtime)
    verifier = TokenVerifier.from_settings(runtime.settings)
    try:
        yield Service(runtime, verifier)
    finally:
        verifier.close()
        runtime.close()


# Where the commands below find the service. A module-level factory so that tests can hand in
# the in-process one.
service_factory: Callable[[], AbstractContextManager[Service]] = operating_service


def in_process(app: Any) -> Callable[[], AbstractContextManager[Service]]:
    """A service factory for a cases app running in this process (tests, tools): its runtime
    and token verifier, left open for their owner."""
    from contextlib import nullcontext

    from alac_kernel.auth.fastapi import STATE_VERIFIER

    service = Service(app.state.runtime, getattr(app.state, STATE_VERIFIER))
    return lambda: nullcontext(service)


@contextmanager
def _caller(token: str | None, permission: str) -> Iterator[tuple[CasesRuntime, Principal]]:
    """The service and the verified caller holding `permission`; a refusal exits 1."""
    from alac_cases.permissions import require
    from alac_kernel.auth.verifier import AuthError
    from alac_kernel.command_line import one_line
    from alac_kernel.errors import DomainError

    if not token:
        typer.echo("alac cases: an access token is required (--token or ALAC_TOKEN)", err=True)
        raise typer.Exit(2)
    with service_factory() as service:
        try:
            principal = service.verifier.verify(token)
        except AuthError as exc:
            typer.echo(f"401 Unauthorized: the access token was refused ({exc.reason})", err=True)
            raise typer.Exit(1) from None
        refusal = service.runtime.standing.refusal(principal.tenant)
        if refusal:  # as the API answers a suspended centre's still-valid token
            typer.echo(f"403 Forbidden: the centre {principal.tenant!r} is {refusal}", err=True)
            raise typer.Exit(1)
        try:
            yield service.runtime, require(principal, permission)
        except DomainError as error:
            typer.echo(one_line(error), err=True)
            raise typer.Exit(1) from None


Body = TypeVar("Body", bound=BaseModel)


def _valid(model: type[Body], **fields: Any) -> Body:
    """The command's input checked by the API's own body model; a bad value exits 2 naming it."""
    try:
        return model.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or model.__name__
        typer.echo(f"alac cases: {where}: {first['msg']}", err=True)
        raise typer.Exit(2) from None


def _print(model: BaseModel | list[BaseModel]) -> None:
    body = [m.model_dump(mode="json") for m in model] if isinstance(model, list) else (
        model.model_dump(mode="json")
    )  # fmt: skip
    typer.echo(json.dumps(body, ensure_ascii=False, indent=2))


def _version(runtime: CasesRuntime, principal: Principal, case_id: str, version: int | None) -> int:
    from alac_cases.case import service

    if version is not None:
        return version
    return service.get_case(runtime, principal, case_id=case_id).version


def _case(case: object) -> BaseModel:
    from alac_cases.case.schemas import CaseRead

    return CaseRead.model_validate(case, from_attributes=True)


@app.command("list")
def list_cases(
    office: Annotated[str | None, typer.Option(help="Only this office")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    token: Token = None,
) -> None:
    """Cases, newest first (JSON page)."""
    from alac_cases.case import service
    from alac_cases.case.schemas import case_page

    with _caller(token, "case.read") as (runtime, principal):
        cases = service.list_cases(runtime, principal, office=office, status=status, limit=limit)
    _print(case_page(cases, limit))


@app.command("show")
def show(
    case_id: str,
    history: Annotated[
        bool, typer.Option("--history", help="Add status changes and assignments")
    ] = False,
    token: Token = None,
) -> None:
    """One case (with --history: its status changes and assignments too)."""
    from alac_cases.case import service
    from alac_cases.workflow import service as workflow
    from alac_cases.workflow.views import HistoryRead

    with _caller(token, "case.read") as (runtime, principal):
        case = _case(service.get_case(runtime, principal, case_id=case_id))
        if not history:
            _print(case)
            return
    with _caller(token, "history.read") as (runtime, principal):
        steps = workflow.history(runtime, principal, case_id=case_id)
    typer.echo(
        json.dumps(
            {
                "case": case.model_dump(mode="json"),
                "history": HistoryRead.model_validate(steps, from_attributes=True).model_dump(
                    mode="json"
                ),
            },
            ensure_ascii=False,
            indent=2,
        )
    )


def _move(case_id: str, token: str | None, version: int | None, **fields: Any) -> None:
    from alac_cases.workflow import service as workflow
    from alac_cases.workflow.views import TransitionIn

    body = _valid(TransitionIn, **fields)
    with _caller(token, "case.transition") as (runtime, principal):
        case = workflow.move(
            runtime, principal, case_id=case_id,
            expected=_version(runtime, principal, case_id, version),
            to_status=body.to_status, reason=body.reason, outcome=body.outcome,
        )  # fmt: skip
    _print(_case(case))


@app.command("transition")
def transition(
    case_id: str,
    to_status: str,
    reason: Annotated[str, typer.Option(help="Why (recorded in the history)")],
    outcome: Annotated[str | None, typer.Option(help="When closing")] = None,
    version: Version = None,
    token: Token = None,
) -> None:
    """Move a case to another status (a refusal lists the statuses allowed from here)."""
    _move(case_id, token, version, to_status=to_status, reason=reason, outcome=outcome)


@app.command("close")
def close(
    case_id: str,
    outcome: Annotated[str, typer.Option(help="resolved, advice_given, rejected, ...")],
    reason: Annotated[str, typer.Option(help="Why (recorded in the history)")],
    version: Version = None,
    token: Token = None,
) -> None:
    """Close a case with an outcome."""
    _move(case_id, token, version, to_status="closed", reason=reason, outcome=outcome)


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
    token: Token = None,
) -> None:
    """Assign a case by hand (--assignee) or to the least loaded lawyer (--least-loaded)."""
    from alac_cases.staff import service as staff
    from alac_cases.staff.views import AssignmentIn

    if (assignee is None) == (not least_loaded):
        typer.echo("give exactly one of --assignee and --least-loaded", err=True)
        raise typer.Exit(2)
    strategy = "least_loaded" if least_loaded else "by_hand"
    body = _valid(AssignmentIn, assignee=assignee, strategy=strategy)
    with _caller(token, "case.assign") as (runtime, principal):
        case = staff.assign(
            runtime, principal, case_id=case_id,
            expected=_version(runtime, principal, case_id, version),
            assignee=body.assignee, strategy=body.strategy,
        )  # fmt: skip
    _print(_case(case))


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
    token: Token = None,
) -> None:
    """Record a new consent version (the scopes the client agreed to)."""
    from alac_cases.consent import service
    from alac_cases.consent.views import ConsentIn, ConsentRead

    body = _valid(
        ConsentIn, scopes=scope or [], withdrawn=withdrawn, how_given=how_given, note=note
    )
    with _caller(token, "consent.write") as (runtime, principal):
        recorded = service.record_consent(
            runtime, principal, case_id=case_id,
            expected=_version(runtime, principal, case_id, version), scopes=list(body.scopes),
            withdrawn=body.withdrawn, how_given=body.how_given, note=body.note,
        )  # fmt: skip
    _print(ConsentRead.model_validate(recorded.record, from_attributes=True))


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
    token: Token = None,
) -> None:
    """Record an action (meeting, advice, authority response, ...); consent-gated."""
    from alac_cases.actions import service
    from alac_cases.actions.views import ActionIn, ActionRead

    body = _valid(
        ActionIn, action_type=action_type, summary=summary, occurred_at=occurred_at,
        involves=involves or [],
    )  # fmt: skip
    with _caller(token, "action.write") as (runtime, principal):
        recorded = service.record_action(
            runtime, principal, case_id=case_id,
            expected=_version(runtime, principal, case_id, version),
            action_type=body.action_type, summary=body.summary,
            occurred_at=body.occurred_at, involves=list(body.involves),
        )  # fmt: skip
    _print(ActionRead.model_validate(recorded.record, from_attributes=True))


# --- the tenant registry and staff administration ------------------------------------------

tenants_app = typer.Typer(
    help="The tenant registry: onboard, update, list, suspend, reactivate and offboard centres "
    "(platform admin).",
    no_args_is_help=True,
)
staff_app = typer.Typer(
    help="Staff of your centre: invite, move, deactivate (tenant admin).", no_args_is_help=True
)


def _tenant(record: object) -> BaseModel:
    from alac_cases.tenancy.views import TenantRead

    return TenantRead.model_validate(record, from_attributes=True)


@tenants_app.command("onboard")
def tenants_onboard(
    file: Annotated[
        Path, typer.Option("--file", help="The centre as YAML (docs/tenancy.md shows one)")
    ],
    token: Token = None,
) -> None:
    """Onboard a centre in one step (re-run the same file to resume an interrupted one)."""
    from alac_cases.tenancy import service
    from alac_kernel.tenants import SpecError, load_spec_file

    try:
        spec = load_spec_file(file)
    except SpecError as exc:
        first = exc.errors[0]
        more = f" (and {len(exc.errors) - 1} more)" if len(exc.errors) > 1 else ""
        where = first["field"] or str(file)
        typer.echo(f"alac tenants onboard: {file}: {where}: {first['reason']}{more}", err=True)
        raise typer.Exit(2) from None
    with _caller(token, "tenant.admin") as (runtime, _):
        record, _done = service.onboard(
            session_factory=runtime.session_factory, outbox=runtime.outbox,
            identity=runtime.identity, spec=spec,
        )  # fmt: skip
    _print(_tenant(record))


@tenants_app.command("update")
def tenants_update(
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            help="The centre as YAML with its `id`: each field given replaces the registry's "
            "(the onboarding file, edited, will do; its `admin` is left out)",
        ),
    ],
    version: Annotated[
        int | None,
        typer.Option(help="Tenant version last read (default: read the current one first)"),
    ] = None,
    token: Token = None,
) -> None:
    """Change a centre's names, offices or settings; announces tenant.updated."""
    from alac_cases.tenancy import service, update
    from alac_kernel.tenants import SpecError, TenantChange, read_centre_file
    from alac_kernel.tenants.spec import field_errors

    def refuse(where: str, reason: str) -> typer.Exit:
        typer.echo(f"alac tenants update: {file}: {where}: {reason}", err=True)
        return typer.Exit(2)

    try:
        data = read_centre_file(file)
    except SpecError as exc:
        raise refuse(exc.errors[0]["field"], exc.errors[0]["reason"]) from None
    data.pop("admin", None)  # the onboarding file as is: its first admin was invited once
    tenant_id = data.get("id")
    if not isinstance(tenant_id, str):
        raise refuse("id", "the id of the centre to change is required")
    try:
        change = TenantChange.model_validate(data)
    except ValidationError as exc:
        first = field_errors(exc, prefix="")[0]
        raise refuse(first["field"], first["reason"]) from None
    with _caller(token, "tenant.admin") as (runtime, _):
        expected = version
        if expected is None:
            expected = service.one_tenant(runtime.session_factory, tenant_id).version
        record, changed = update.update(
            session_factory=runtime.session_factory, outbox=runtime.outbox,
            tenant_id=tenant_id, change=change, expected=expected,
        )  # fmt: skip
    if not changed:
        typer.echo(f"{tenant_id}: nothing to change", err=True)
    _print(_tenant(record))


@tenants_app.command("list")
def tenants_list(token: Token = None) -> None:
    """Every tenant with its status."""
    from alac_cases.tenancy import service

    with _caller(token, "tenant.admin") as (runtime, _):
        _print([_tenant(r) for r in service.every_tenant(runtime.session_factory)])


@tenants_app.command("suspend")
def tenants_suspend(
    tenant_id: str,
    reason: Annotated[str | None, typer.Option(help="Why (kept with the event)")] = None,
    token: Token = None,
) -> None:
    """Suspend a centre: its people cannot sign in; data is kept."""
    from alac_cases.tenancy import service

    with _caller(token, "tenant.admin") as (runtime, _):
        record = service.suspend(
            session_factory=runtime.session_factory, outbox=runtime.outbox,
            identity=runtime.identity, tenant_id=tenant_id, reason=reason,
        )  # fmt: skip
    _print(_tenant(record))


@tenants_app.command("reactivate")
def tenants_reactivate(tenant_id: str, token: Token = None) -> None:
    """Lift a suspension."""
    from alac_cases.tenancy import service

    with _caller(token, "tenant.admin") as (runtime, _):
        record = service.reactivate(
            session_factory=runtime.session_factory, outbox=runtime.outbox,
            identity=runtime.identity, tenant_id=tenant_id,
        )  # fmt: skip
    _print(_tenant(record))


@tenants_app.command("offboard")
def tenants_offboard(tenant_id: str, token: Token = None) -> None:
    """Export a suspended centre's archive, then delete it everywhere."""
    from alac_cases.tenancy import archive, service

    with _caller(token, "tenant.admin") as (runtime, _):
        record, path = service.offboard(
            session_factory=runtime.session_factory, outbox=runtime.outbox,
            identity=runtime.identity, tenant_id=tenant_id,
            archive_dir=runtime.settings.data_dir / "archives", export=archive.export_tenant,
            intake_rows=lambda: runtime.intake_archive.fetch(tenant_id, token or ""),
        )  # fmt: skip
    typer.echo(f"archive: {path}", err=True)
    _print(_tenant(record))


def _member(member: object) -> BaseModel:
    from alac_cases.staff.views import StaffRead

    return StaffRead.model_validate(member, from_attributes=True)


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
    token: Token = None,
) -> None:
    """Invite a person into an office of your centre."""
    from alac_cases.staff import administration
    from alac_cases.staff.views import InvitationIn

    body = _valid(
        InvitationIn, username=username, email=email, first_name=first_name,
        last_name=last_name, office=office, role=role, position=position, language=language,
    )  # fmt: skip
    with _caller(token, "staff.write") as (runtime, principal):
        member = administration.invite(runtime, principal, **body.model_dump())
    _print(_member(member))


@staff_app.command("move")
def staff_move(
    who: Annotated[str, typer.Argument(help="Username, e-mail or id")],
    office: Annotated[str | None, typer.Option()] = None,
    role: Annotated[str | None, typer.Option()] = None,
    token: Token = None,
) -> None:
    """Move a person to another office and/or role."""
    from alac_cases.staff import administration
    from alac_cases.staff.views import MoveIn

    body = _valid(MoveIn, office=office, role=role)
    with _caller(token, "staff.write") as (runtime, principal):
        member = administration.move(runtime, principal, who=who, **body.model_dump())
    _print(_member(member))


@staff_app.command("deactivate")
def staff_deactivate(
    who: Annotated[str, typer.Argument(help="Username, e-mail or id")],
    token: Token = None,
) -> None:
    """Deactivate a person: no more sign-in or new assignments; their name stays."""
    from alac_cases.staff import administration

    with _caller(token, "staff.write") as (runtime, principal):
        member = administration.deactivate(runtime, principal, who=who)
    _print(_member(member))
