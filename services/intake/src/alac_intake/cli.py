"""`alac intake ...`: operate the vault (keys, retention) and import complaints (mail, files).
Each command calls a use case on intake's runtime; a refusal (a domain error) is one line on
stderr."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from alac_kernel.command_line import one_line
from alac_kernel.errors import DomainError, InvalidFields

if TYPE_CHECKING:
    from alac_intake.runtime import IntakeRuntime
    from alac_kernel.settings import Settings

app = typer.Typer(
    help="Operate intake: vault keys, retention, mail and file imports.", no_args_is_help=True
)


@contextmanager
def intake_runtime() -> Iterator[IntakeRuntime]:
    """Intake's runtime on its existing database (or one line and exit 2, never a new one),
    closed afterwards. A domain error is one line on stderr (alac_kernel.command_line): a bad
    option (InvalidFields, naming the option) exits 2, any other refusal 1."""
    from alac_kernel.operations import runtime_for_operation

    runtime = runtime_for_operation("intake", _build_runtime)
    try:
        yield runtime
    except DomainError as error:
        typer.echo(f"alac intake: {one_line(error)}", err=True)
        raise typer.Exit(2 if isinstance(error, InvalidFields) else 1) from None
    finally:
        runtime.close()


def _build_runtime(settings: Settings) -> IntakeRuntime:
    # The service is imported once the database is known to be there: a command run from the
    # wrong folder says so without loading it (a second of CPU).
    from alac_intake.app import build_runtime

    return build_runtime(settings)


@app.command("rotate-keys")
def rotate_keys(
    batch_size: int = typer.Option(200, min=1, help="Contacts re-encrypted per transaction."),
) -> None:
    """New data key per tenant, every key re-wrapped under the current master key
    (ALAC_INTAKE_MASTER_KEY; old ones in ALAC_INTAKE_PREVIOUS_MASTER_KEYS), contacts re-encrypted
    in small batches. The service keeps running: rows name their key version."""
    with intake_runtime() as runtime:
        from alac_intake.vault.service import rotate_keys as rotate

        report = rotate(
            factory=runtime.session_factory, keys=runtime.master_keys, batch_size=batch_size
        )
    typer.echo(
        f"rotated: {report['tenants']} tenant data keys, {report['rewrapped']} keys re-wrapped, "
        f"{report['reencrypted']} contacts re-encrypted"
    )


@app.command("encrypt-attachments")
def encrypt_attachments(
    batch_size: int = typer.Option(100, min=1, help="Attachments encrypted per transaction."),
) -> None:
    """Encrypt the attachments stored in plaintext before encryption at rest (once, after
    upgrading); the service keeps running. Running it again finds nothing to do."""
    with intake_runtime() as runtime:
        from alac_intake.attachments.service import encrypt_plaintext

        report = encrypt_plaintext(
            factory=runtime.session_factory, keys=runtime.master_keys,
            store=runtime.attachments, batch_size=batch_size,
        )  # fmt: skip
    typer.echo(
        f"encrypted {report['encrypted']} attachments; "
        f"{report['missing']} rows without their file removed"
    )


@app.command("purge-expired")
def purge_expired() -> None:
    """Erase personal data (contacts, attachments) older than each tenant's retention period; emits
    complaint.personal_data_purged per complaint."""
    with intake_runtime() as runtime:
        from alac_intake.lifecycle.service import purge_expired as purge

        count = purge(
            factory=runtime.session_factory, outbox=runtime.outbox, store=runtime.attachments
        )
    typer.echo(f"purged personal data of {count} complaints")


def _check_office(runtime: IntakeRuntime, tenant: str, office: str) -> None:
    from alac_intake.reference.offices import check_receiving_office

    check_receiving_office(
        runtime.session_factory, tenant=tenant, office=office, tenant_field="--tenant",
        office_field="--office",
    )  # fmt: skip


@app.command("import-mail")
def import_mail(
    paths: list[Path] = typer.Argument(..., exists=True, dir_okay=False, help=".eml or mbox"),
    tenant: str = typer.Option(..., help="The receiving centre (tenant)."),
    office: str = typer.Option(..., help="The receiving office."),
) -> None:
    """Create complaints (channel email) from RFC 5322 messages with their attachments; the
    sender's address goes to the vault. Idempotent by Message-ID. Prints each new complaint's
    receipt code, to send back to the complainant."""
    with intake_runtime() as runtime:
        from alac_intake.channels.mail import import_mail as run

        _check_office(runtime, tenant, office)
        report = run(
            factory=runtime.session_factory, outbox=runtime.outbox, keys=runtime.master_keys,
            store=runtime.attachments, max_bytes=runtime.attachment_max_bytes,
            paths=list(paths), tenant=tenant, office=office,
        )  # fmt: skip
    for message_id, complaint_id, code in report.created:
        typer.echo(f"created {complaint_id} from {message_id}; receipt code {code}")
    for where, reason in report.warnings:
        typer.echo(f"warning {where}: {reason}", err=True)
    for where, reason in report.bad:
        typer.echo(f"skipped {where}: {reason}", err=True)
    typer.echo(
        f"{len(report.created)} created, {len(report.already)} already imported, "
        f"{len(report.bad)} skipped"
    )
    if report.bad:
        raise typer.Exit(1)


@app.command("import-file")
def import_file(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A .csv or .xlsx file"),
    tenant: str = typer.Option(..., help="The receiving centre (tenant)."),
    office: str = typer.Option(..., help="The receiving office."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row, write nothing."),
    utc_offset_hours: float = typer.Option(5.0, help="Offset of received_at values without one."),
    historical: bool = typer.Option(
        False,
        "--historical",
        help="Complaints handled before the platform: no case is opened, no service times "
        "are counted, retention runs from received_at.",
    ),  # fmt: skip
) -> None:
    """Import complaints from a file: every row is checked first and nothing is written if any
    is bad; then rows are written in short batches (idempotent by the `external_id` column, so
    a re-run completes an interrupted import); each created complaint emits complaint.received.
    """
    with intake_runtime() as runtime:
        from alac_intake.channels.bulk import ImportRefused
        from alac_intake.channels.bulk import import_file as run

        _check_office(runtime, tenant, office)
        try:
            report = run(
                factory=runtime.session_factory, outbox=runtime.outbox, keys=runtime.master_keys,
                path=path, tenant=tenant, office=office, dry_run=dry_run,
                utc_offset=timedelta(hours=utc_offset_hours), historical=historical,
            )  # fmt: skip
        except ImportRefused as refused:
            typer.echo(f"{path.name}: {refused}; nothing written", err=True)
            raise typer.Exit(1) from None
    for line, name, reason in report.bad:
        typer.echo(f"line {line}: {name}: {reason}", err=True)
    if report.stopped_at is not None:
        typer.echo(
            f"stopped at line {report.stopped_at}: {len(report.created)} created and "
            f"{len(report.already)} already imported before it are kept; fix the cause and "
            "run the same file again to complete it"
        )
        raise typer.Exit(1)
    if report.bad:
        typer.echo(f"{len(report.bad)} problems in {report.rows} rows; nothing written")
        raise typer.Exit(1)
    if dry_run:
        typer.echo(f"{report.rows} rows checked, all good; nothing written (dry run)")
        return
    typer.echo(f"{len(report.created)} created, {len(report.already)} already imported")
