"""Bulk import of historical complaints from CSV or XLSX.

Columns are the API's field names (`crux`, `channel`, `area`, ...; `complainant.sex`,
`contact.phone`, `consent.media`; lists separated by `;`) plus `external_id` (required, the
source's id: re-running a file creates nothing new) and `received_at` (required; a value
without offset is read in `--utc-offset`). Every row is checked before anything is written:
a dry run reports every bad row with its line and reason; a real run writes all rows in one
transaction, or none if any row is bad."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alac_intake import receipts, record, service
from alac_intake.i18n import message
from alac_intake.models import Complaint
from alac_intake.schemas import ComplaintCreate
from alac_intake.vault.crypto import MasterKeys
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.outbox import Outbox
from alac_kernel.problems import Problem

IMPORTER = "file-import"
BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
BOOL_FIELDS = {"anonymous", "safe_to_contact", "consent.formal_action",
               "consent.documents_to_authorities", "consent.media"}  # fmt: skip
LIST_FIELDS = {"documents_requested", "documents_received"}
INT_FIELDS = {"years_pending"}


@dataclass
class BulkReport:
    rows: int = 0
    created: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # (line, field, reason)


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line, {column: value}) with empty cells left out; line 1 is the header."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            it = sheet.iter_rows(values_only=True)
            header = [str(h).strip() if h is not None else "" for h in next(it, ())]
            out = []
            for n, values in enumerate(it, start=2):
                row = {
                    h: v for h, v in zip(header, values, strict=False) if h and v not in (None, "")
                }
                if row:
                    out.append((n, row))
            return out
        finally:
            book.close()
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        out = []
        for row in reader:
            cleaned = {k.strip(): v for k, v in row.items() if k and v not in (None, "")}
            if cleaned:
                out.append((reader.line_num, cleaned))
        return out


def _value(name: str, raw: Any, offset: timezone) -> Any:
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


def to_payload(row: dict[str, Any], offset: timezone) -> tuple[str | None, dict[str, Any]]:
    """(external_id, API-shaped body) of one row."""
    body: dict[str, Any] = {}
    external = row.get("external_id")
    for column, raw in row.items():
        if column == "external_id":
            continue
        value = _value(column, raw, offset)
        if "." in column:
            group, key = column.split(".", 1)
            body.setdefault(group, {})[key] = value
        else:
            body[column] = value
    return (str(external).strip() if external not in (None, "") else None), body


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
) -> BulkReport:
    report = BulkReport()
    offset = timezone(utc_offset)
    principal = Principal(
        subject=IMPORTER, username=None, tenant=tenant, office=office, roles=frozenset(),
        client_id=None, token_id=None,
    )  # fmt: skip
    rows = read_rows(path)
    report.rows = len(rows)
    checked: list[tuple[int, str, ComplaintCreate]] = []
    seen: dict[str, int] = {}
    with session_scope(factory, tenant=tenant) as session:
        for line, raw in rows:
            external, body = to_payload(raw, offset)
            errors: list[tuple[str, str]] = []
            if external is None:
                errors.append(("external_id", "field required"))
            elif external in seen:
                errors.append(("external_id", f"duplicate of line {seen[external]}"))
            else:
                seen[external] = line
            if "received_at" not in body:
                errors.append(("received_at", "field required"))
            try:
                payload = ComplaintCreate.model_validate({**body, "office": office})
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
                fields = payload.model_dump(
                    exclude={"contact", "office", "received_at", "anonymous"}
                )
                for e in record.check_codes(
                    session=session, tenant=tenant, fields=fields, lang=lang,
                    area=payload.area, region=payload.complainant.region,
                ):  # fmt: skip
                    errors.append((e["field"].removeprefix("body."), e["reason"]))
                if payload.anonymous and payload.contact and not payload.contact.is_empty():
                    errors.append(("contact", message("anonymous_with_contact", lang)))
            for name, reason in errors:
                report.bad.append((line, name, reason))
            if not errors and payload is not None and external is not None:
                checked.append((line, external, payload))
    if dry_run or report.bad:
        return report
    ids = [f"file:{external}"[:300] for _, external, _ in checked]
    drawn = {eid: receipts.issue() for eid in ids}  # slow hashes before the transaction
    try:
        with session_scope(factory, tenant=tenant) as session:
            existing = set(
                session.execute(
                    select(Complaint.external_id).where(Complaint.external_id.in_(ids))
                ).scalars()
            ) if ids else set()  # fmt: skip
            for (_, external, payload), eid in zip(checked, ids, strict=True):
                if eid in existing:
                    report.already.append(external)
                    continue
                accepted = service.register_complaint(
                    session=session, outbox=outbox, principal=principal, payload=payload,
                    correlation_id=None, keys=keys, lang=lang, receipt=drawn[eid],
                    registered_by=IMPORTER, external_id=eid,
                )  # fmt: skip
                report.created.append(accepted.id)
    except Problem as problem:  # a check that passed above failed in the transaction
        report.created, report.already = [], []
        report.bad.append((0, "file", problem.detail))
    return report
