"""Bulk import of historical complaints from CSV or XLSX.

Columns are the API's field names (`crux`, `channel`, `area`, ...; `complainant.sex`,
`contact.phone`, `consent.media`; lists separated by `;`) plus `external_id` (required, the
source's id: re-running a file creates nothing new) and `received_at` (required; a value
without offset is read in `--utc-offset`).

Every row is checked first, in read-only sessions that never take intake's write lock: a dry run
reports every bad row with its line and reason; a real run writes nothing if any row is bad.
Then rows are written in batches of `BATCH_ROWS`, each batch its own short transaction with its
events, so the web form and the other channels get the write lock between batches instead of
waiting (and timing out) behind the whole file. All or nothing *in effect*: a run stopped half
way (a crash, or a check that passed but failed when written) leaves whole batches written, and
re-running the same file completes it, since rows whose external_id is stored are skipped.

The file is untrusted input: rows and uncompressed size are limited
(`ALAC_INTAKE_IMPORT_MAX_ROWS`, `ALAC_INTAKE_IMPORT_MAX_BYTES`), XLSX is read streaming and
refused if it is not a sound zip of XML or declares a DTD or entities, and a CSV that is not
UTF-8 is refused with the line where decoding failed. Such a refusal is an `ImportRefused`:
one line for the CLI."""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from xml.parsers import expat

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from alac_intake.complaints import record
from alac_intake.complaints.models import Complaint
from alac_intake.complaints.schemas import ComplaintCreate
from alac_intake.complaints.service import register_complaint
from alac_intake.i18n import message
from alac_intake.vault.crypto import MasterKeys
from alac_kernel.auth.principal import Principal
from alac_kernel.db import is_sqlite, make_engine, make_session_factory, session_scope
from alac_kernel.errors import DomainError
from alac_kernel.outbox import Outbox

IMPORTER = "file-import"
BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
BOOL_FIELDS = {"anonymous", "safe_to_contact", "consent.formal_action",
               "consent.documents_to_authorities", "consent.media"}  # fmt: skip
LIST_FIELDS = {"documents_requested", "documents_received"}
INT_FIELDS = {"years_pending"}
PHONE_FIELDS = {"contact.phone"}

DEFAULT_MAX_ROWS = 50_000
DEFAULT_MAX_BYTES = 100 * 1024 * 1024  # a CSV, or an XLSX unpacked
#: Rows per write transaction: short enough that a web-form POST waiting for the write lock
#: is answered within a second or two, long enough not to pay a commit per row.
BATCH_ROWS = 100
#: Rows checked per read-only session, so no read snapshot is held for the whole file.
CHECK_ROWS = 1000
_XML_MEMBERS = (".xml", ".rels", ".vml")
_DIGITS_POINT_ZERO = re.compile(r"(\d+)\.0*")
_SCIENTIFIC = re.compile(r"[0-9](\.[0-9]+)?[eE]\+?[0-9]+")


class ImportRefused(Exception):
    """The file as a whole cannot be imported (unreadable, too large, unsafe); the message is
    the one line the CLI prints."""


@dataclass
class BulkReport:
    rows: int = 0
    created: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (line, field, reason)
    #: A batch failed after earlier ones were written: those stay, a re-run completes the file.
    stopped_at: int | None = None


def limits_from_env() -> tuple[int, int]:
    """(max rows, max bytes) from ALAC_INTAKE_IMPORT_MAX_ROWS / ALAC_INTAKE_IMPORT_MAX_BYTES."""
    out = []
    for name, default in (("ALAC_INTAKE_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS),
                          ("ALAC_INTAKE_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)):  # fmt: skip
        raw = os.environ.get(name, "").strip()
        if not raw:
            out.append(default)
            continue
        if not raw.isdigit() or int(raw) < 1:
            raise ImportRefused(f"{name} must be a positive whole number, not {raw!r}")
        out.append(int(raw))
    return out[0], out[1]


def read_rows(
    path: Path, *, max_rows: int = DEFAULT_MAX_ROWS, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[tuple[int, dict[str, Any]]]:
    """(line, {column: value}) with empty cells left out; line 1 is the header. Reading stops
    (ImportRefused) as soon as the file has more than `max_rows` rows after the header."""
    lines: Iterator[Sequence[Any]]
    if path.suffix.lower() == ".xlsx":
        lines = _xlsx_lines(path, max_bytes)
    else:
        lines = _csv_lines(path, max_bytes)
    header = [str(h).strip() if h is not None else "" for h in next(lines, ())]
    out = []
    for n, values in enumerate(lines, start=2):
        if n - 1 > max_rows:
            raise ImportRefused(
                f"more than {max_rows} rows (ALAC_INTAKE_IMPORT_MAX_ROWS); split the file"
            )
        row = {h: v for h, v in zip(header, values, strict=False) if h and v not in (None, "")}
        if row:
            out.append((n, row))
    return out


def _csv_lines(path: Path, max_bytes: int) -> Iterator[list[str]]:
    size = path.stat().st_size
    if size > max_bytes:
        raise ImportRefused(
            f"the file has {size} bytes, over the limit of {max_bytes} "
            "(ALAC_INTAKE_IMPORT_MAX_BYTES); split it"
        )
    data = path.read_bytes()
    try:
        # Strict UTF-8 (a BOM, as Excel's "CSV UTF-8" writes, is dropped): no guessing between
        # cp1251, KOI8-R and Latin-1, which would silently turn Cyrillic into other letters.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRefused(
            f"line {line}: the file is not UTF-8 (byte 0x{data[exc.start]:02x} cannot be "
            'decoded; Windows-1251 or Latin-1?); save it as "CSV UTF-8" and try again'
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        yield from reader
    except csv.Error as exc:
        raise ImportRefused(f"line {reader.line_num}: not a readable CSV row ({exc})") from None


def _xlsx_lines(path: Path, max_bytes: int) -> Iterator[tuple[Any, ...]]:
    _check_xlsx(path, max_bytes)
    from openpyxl import load_workbook

    try:
        # read_only streams the sheet row by row instead of building every cell in memory.
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises anything from KeyError to TypeError on junk
        raise ImportRefused(f"not a readable XLSX file ({_why(exc)})") from None
    try:
        if not book.worksheets:
            raise ImportRefused("not a readable XLSX file (no worksheet)")
        rows = book.worksheets[0].iter_rows(values_only=True)
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # a broken sheet shows itself only while it is read
                raise ImportRefused(f"not a readable XLSX file ({_why(exc)})") from None
            yield values
    finally:
        book.close()


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:160]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Doctype(Exception):
    pass


class _Root(Exception):
    pass


def _check_xlsx(path: Path, max_bytes: int) -> None:
    """Refuse an XLSX that is not a zip, unpacks to more than `max_bytes`, or whose XML parts
    declare a DTD or entities (billion laughs, external entities)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportRefused(f"not a readable XLSX file ({_why(exc)})") from None
    with archive:
        members = archive.infolist()
        # zipfile never returns more than a member's declared size, so the declared sizes
        # bound what openpyxl can unpack, whatever the compression ratio.
        total = sum(m.file_size for m in members)
        if total > max_bytes:
            raise ImportRefused(
                f"the XLSX unpacks to {total} bytes, over the limit of {max_bytes} "
                "(ALAC_INTAKE_IMPORT_MAX_BYTES); split it"
            )
        for member in members:
            if member.filename.lower().endswith(_XML_MEMBERS):
                _refuse_dtd(archive, member)


def _refuse_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    # A DTD can only come before the root element, so expat (which reads UTF-16 and any
    # declared encoding too) is stopped at the first element: the prolog is all it reads.
    parser = expat.ParserCreate()

    def doctype(*_: Any) -> None:
        raise _Doctype

    def root(*_: Any) -> None:
        raise _Root

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = root
    try:
        with archive.open(member) as handle:
            while chunk := handle.read(64 * 1024):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Root:
        return
    except _Doctype:
        raise ImportRefused(
            f"XLSX refused: {member.filename} declares a DTD or entities, which a spreadsheet "
            "never needs (they can expand without bound or read other files)"
        ) from None
    except (expat.ExpatError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ImportRefused(f"not a readable XLSX file ({member.filename}: {_why(exc)})") from None


class _CellError(ValueError):
    pass


def _phone(raw: Any) -> Any:
    """A phone typed into Excel as a number (77015554433, 77015554433.0) as its digits."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        # Integers up to 2**53 are exact in a float; every phone number is far below.
        if raw.is_integer() and 0 < raw < 2**53:
            return str(int(raw))
        raise _CellError("a phone number, not a fraction; format the column as text")
    text = str(raw).strip()
    whole = _DIGITS_POINT_ZERO.fullmatch(text)
    if whole:
        return whole.group(1)
    if _SCIENTIFIC.fullmatch(text):
        # "7.70155E+10" is what Excel shows of 77015554433: the last digits are gone.
        raise _CellError(
            "written in scientific notation, so digits are lost; format the column as text "
            "in the spreadsheet and export again"
        )
    return text


def _value(name: str, raw: Any, offset: timezone) -> Any:
    if name in PHONE_FIELDS:
        return _phone(raw)
    if name in BOOL_FIELDS and isinstance(raw, str):
        return BOOLEANS.get(raw.strip().lower(), raw)
    if name in LIST_FIELDS and isinstance(raw, str):
        return [v.strip() for v in raw.split(";") if v.strip()]
    if name in INT_FIELDS and isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    if name in INT_FIELDS and isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if name == "received_at":
        if isinstance(raw, datetime):
            return raw if raw.tzinfo else raw.replace(tzinfo=offset)
        if isinstance(raw, date):
            return datetime.combine(raw, time(), offset)
        text = str(raw).strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return text  # pydantic names the problem
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=offset)
    return str(raw).strip() if not isinstance(raw, (bool, int, float, datetime)) else raw


def to_payload(
    row: dict[str, Any], offset: timezone
) -> tuple[str | None, dict[str, Any], list[tuple[str, str]]]:
    """(external_id, API-shaped body, [(column, reason)] of cells that could not be read)."""
    body: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    external = row.get("external_id")
    for column, raw in row.items():
        if column == "external_id":
            continue
        try:
            value = _value(column, raw, offset)
        except _CellError as exc:
            errors.append((column, str(exc)))
            continue
        if "." in column:
            group, key = column.split(".", 1)
            body.setdefault(group, {})[key] = value
        else:
            body[column] = value
    return (str(external).strip() if external not in (None, "") else None), body, errors


def _reader(factory: sessionmaker[Session]) -> tuple[sessionmaker[Session], Engine | None]:
    """Sessions for checking: on SQLite a read-only engine (deferred BEGIN, never the write
    lock; under WAL it neither waits for nor blocks writers). Elsewhere reads take no lock."""
    engine = factory.kw.get("bind")
    if engine is None or not is_sqlite(engine):
        return factory, None
    reader = make_engine(engine.url.render_as_string(hide_password=False), read_only=True)
    return make_session_factory(reader), reader


def import_file(
    *,
    factory: sessionmaker[Session],
    outbox: Outbox,
    keys: MasterKeys,
    path: Path,
    tenant: str,
    office: str,
    dry_run: bool,
    utc_offset: timedelta = timedelta(hours=5),
    lang: str = "en",
    historical: bool = False,
    max_rows: int | None = None,
    max_bytes: int | None = None,
    batch_rows: int | None = None,
) -> BulkReport:
    """Check every row, then (not a dry run, no bad row) write them in batches. Raises
    ImportRefused when the file as a whole cannot be read."""
    report = BulkReport()
    offset = timezone(utc_offset)
    env_rows, env_bytes = limits_from_env()
    rows = read_rows(path, max_rows=max_rows or env_rows, max_bytes=max_bytes or env_bytes)
    report.rows = len(rows)
    reader, reader_engine = _reader(factory)
    try:
        checked = _check(reader, rows, report, tenant=tenant, office=office, offset=offset,
                         lang=lang)  # fmt: skip
        if dry_run or report.bad:
            return report
        principal = Principal(
            subject=IMPORTER, username=None, tenant=tenant, office=office, roles=frozenset(),
            client_id=None, token_id=None,
        )  # fmt: skip
        size = batch_rows or BATCH_ROWS
        for start in range(0, len(checked), size):
            batch = checked[start : start + size]
            if not _write_batch(factory, reader, outbox, keys, principal, batch, report,
                                lang=lang, historical=historical, offset=offset):  # fmt: skip
                break
        return report
    finally:
        if reader_engine is not None:
            reader_engine.dispose()


def _check(
    factory: sessionmaker[Session],
    rows: list[tuple[int, dict[str, Any]]],
    report: BulkReport,
    *,
    tenant: str,
    office: str,
    offset: timezone,
    lang: str,
) -> list[tuple[int, str, ComplaintCreate]]:
    checked: list[tuple[int, str, ComplaintCreate]] = []
    seen: dict[str, int] = {}
    for chunk in range(0, len(rows), CHECK_ROWS):
        with session_scope(factory, tenant=tenant) as session:
            for line, raw in rows[chunk : chunk + CHECK_ROWS]:
                errors = _check_row(session, line, raw, seen, tenant=tenant, office=office,
                                    offset=offset, lang=lang, checked=checked)  # fmt: skip
                report.bad.extend((line, name, reason) for name, reason in errors)
    return checked


def _check_row(
    session: Session,
    line: int,
    raw: dict[str, Any],
    seen: dict[str, int],
    *,
    tenant: str,
    office: str,
    offset: timezone,
    lang: str,
    checked: list[tuple[int, str, ComplaintCreate]],
) -> list[tuple[str, str]]:
    external, body, errors = to_payload(raw, offset)
    if external is None:
        errors.append(("external_id", "field required"))
    elif external in seen:
        errors.append(("external_id", f"duplicate of line {seen[external]}"))
    else:
        seen[external] = line
    if "received_at" not in body:
        errors.append(("received_at", "field required"))
    try:
        payload: ComplaintCreate | None = ComplaintCreate.model_validate({**body, "office": office})
    except ValidationError as exc:
        for e in exc.errors():
            name = ".".join(str(p) for p in e["loc"])
            kind = e["type"]
            reason = ("unknown column" if kind == "extra_forbidden" else
                      "field required" if kind == "missing" else
                      e["msg"].removeprefix("Value error, "))  # fmt: skip
            errors.append((name, reason))
        payload = None
    if payload is not None:
        fields = payload.model_dump(exclude={"contact", "office", "received_at", "anonymous"})
        # Codes as of the day received: a 2008 complaint names the regions of 2008.
        for problem in record.check_codes(
            session=session, tenant=tenant, fields=fields, lang=lang, area=payload.area,
            region=payload.complainant.region, on=record.codes_date(payload.received_at, offset),
        ):  # fmt: skip
            errors.append((problem["field"].removeprefix("body."), problem["reason"]))
        if payload.anonymous and payload.contact and not payload.contact.is_empty():
            errors.append(("contact", message("anonymous_with_contact", lang)))
    if not errors and payload is not None and external is not None:
        checked.append((line, external, payload))
    return errors


def _external_id(external: str) -> str:
    return f"file:{external}"[:300]


def _write_batch(
    factory: sessionmaker[Session],
    reader: sessionmaker[Session],
    outbox: Outbox,
    keys: MasterKeys,
    principal: Principal,
    batch: list[tuple[int, str, ComplaintCreate]],
    report: BulkReport,
    *,
    lang: str,
    historical: bool,
    offset: timezone,
) -> bool:
    """Write one batch in one transaction; False (and the reason in the report) if it failed,
    in which case none of its rows were written."""
    ids = [_external_id(external) for _, external, _ in batch]
    with session_scope(reader, tenant=principal.tenant) as session:
        stored = _stored_in(session, ids)
    created: list[str] = []
    already: list[str] = []
    line = batch[0][0]
    try:
        with session_scope(factory, tenant=principal.tenant) as session:
            # Again inside the transaction: another run of the same file may have written some.
            stored = _stored_in(session, ids)
            for (row_line, external, payload), eid in zip(batch, ids, strict=True):
                line = row_line  # the row a failure is reported at
                if eid in stored:
                    already.append(external)
                    continue
                accepted = register_complaint(
                    session=session, outbox=outbox, principal=principal, payload=payload,
                    correlation_id=None, keys=keys, lang=lang,
                    registered_by=IMPORTER,
                    external_id=eid, historical=historical,
                    codes_on=record.codes_date(payload.received_at, offset),
                )  # fmt: skip
                created.append(accepted.id)
    except DomainError as problem:  # a check that passed above failed when written
        reason = problem.detail
        if problem.errors:
            reason = "; ".join(f"{e['field'].removeprefix('body.')}: {e['reason']}"
                               for e in problem.errors)  # fmt: skip
        report.bad.append((line, "row", reason))
        report.stopped_at = line
        return False
    report.created.extend(created)
    report.already.extend(already)
    return True


def _stored_in(session: Session, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    stored = session.execute(select(Complaint.external_id).where(Complaint.external_id.in_(ids)))
    return {external_id for external_id in stored.scalars() if external_id is not None}
