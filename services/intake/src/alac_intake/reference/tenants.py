"""What intake learns from the tenant registry's events (it never reads the registry):

- tenant.onboarded / tenant.updated: the centre's offices that take public complaints become
  rows of the `public_offices` list (parent = tenant), its own age bands (if it has them)
  become its version of `age_bands`, the languages it works in its version of `languages`
  (a complaint's preferred language is one of them), its data keys are made in the vault at once, and its
  retention period becomes its retention policy (on onboarding, and when the registry
  changes it);
- tenant.suspended: nothing here (its people cannot sign in; the public form still names the
  office, so a complaint sent meanwhile is kept, not lost);
- tenant.offboarded: its public offices are retired and its data keys deleted, which destroys
  every contact and attachment encrypted under them (the registry exported its archive
  first); its complaint rows go with them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from alac_intake.database import all_tables
from alac_intake.lifecycle import service as lifecycle
from alac_intake.reference.models import ReferenceValue
from alac_intake.reference.service import (
    TENANT_LISTS,
    centre_languages,
    is_current,
    replace_tenant_list,
    rows,
)
from alac_intake.vault import service as vault
from alac_kernel.crypto import MasterKeys
from alac_kernel.events import Event
from alac_kernel.tenants.archive import tenant_tables

# The registry counts retention in years, intake's policy in days (leap days not counted: a
# day or two early is on the side of erasing).
DAYS_A_YEAR = 365


def apply_tenant(session: Session, event: Event, *, keys: MasterKeys) -> None:
    tenant_id = event.data["tenant_id"]
    spec: dict[str, Any] = event.data["tenant"]
    today = date.today()
    _sync_public_offices(session, tenant_id, spec.get("offices", []), today)
    bands = (spec.get("reference") or {}).get("age_bands")
    if bands and "age_bands" in TENANT_LISTS:
        replace_tenant_list(
            session=session, tenant=tenant_id, list_name="age_bands", items=bands, today=today
        )
    _sync_languages(session, tenant_id, spec.get("languages") or [], today)
    # The tenant's keys exist from the start (not on its first complaint): onboarding has
    # made everything the centre needs.
    vault.ensure_keys(session=session, keys=keys, tenant=tenant_id)
    # The registry's retention period becomes the tenant's policy when the centre is onboarded
    # and whenever the registry changes it; in between the tenant admin may set its own
    # (PUT /v1/retention-policy), which a change of another registry field leaves alone.
    years = spec.get("retention_years")
    if years and (event.type == "tenant.onboarded" or "retention_years" in _changed(event)):
        lifecycle.set_retention(session=session, tenant=tenant_id, days=years * DAYS_A_YEAR)


def _sync_languages(session: Session, tenant_id: str, wanted: list[str], today: date) -> None:
    """The centre's version of `languages`: the platform's rows (their labels) of the languages
    it works in, in the registry's order; a new version only when they change, so an update of
    another field does not retire and re-add the same rows."""
    if not wanted or centre_languages(session=session, tenant=tenant_id) == wanted:
        return
    platform = {
        r.code: r for r in rows(session=session, list_names=["languages"], tenant=None)["languages"]
    }
    items = [
        {"code": code, "label_en": platform[code].label_en, "label_ru": platform[code].label_ru,
         "label_kk": platform[code].label_kk}
        for code in wanted if code in platform
    ]  # fmt: skip
    replace_tenant_list(
        session=session, tenant=tenant_id, list_name="languages", items=items, today=today
    )


def _changed(event: Event) -> list[str]:
    return list(event.data.get("changed") or [])


def _public_rows(session: Session, tenant_id: str) -> list[ReferenceValue]:
    return list(
        session.execute(
            select(ReferenceValue).where(
                ReferenceValue.list_name == "public_offices", ReferenceValue.parent == tenant_id
            )
        ).scalars()
    )


def _sync_public_offices(
    session: Session, tenant_id: str, offices: list[dict[str, Any]], today: date
) -> None:
    wanted = {o["code"]: o for o in offices if o.get("accepts_public", True)}
    current = {r.code: r for r in _public_rows(session, tenant_id) if is_current(r, today)}
    for code, row in current.items():
        if code not in wanted:
            row.valid_to = today  # retired: old complaints keep a readable office
    for code, office in wanted.items():
        names = office["names"]
        existing = current.get(code)
        if existing is None:
            session.add(
                ReferenceValue(
                    list_name="public_offices", code=code, parent=tenant_id, tenant_id=None,
                    label_en=names["en"], label_ru=names["ru"], label_kk=names["kk"],
                    valid_from=None, valid_to=None, version=1,
                )
            )  # fmt: skip
        elif (existing.label_en, existing.label_ru, existing.label_kk) != (
            names["en"], names["ru"], names["kk"]
        ):  # fmt: skip
            existing.label_en, existing.label_ru, existing.label_kk = (
                names["en"], names["ru"], names["kk"]
            )  # fmt: skip
            existing.version += 1
    session.flush()


# Kept: reference rows (handled apart: the public offices are retired, not deleted), and the
# kernel's tables (alac_kernel.tenants.archive: events still to deliver, the standing).
KEEP = {"reference_values"}


def retire_public_offices(session: Session, tenant_id: str) -> None:
    """The public form no longer offers the tenant's offices (old complaints keep a readable
    office): nothing new arrives for it."""
    yesterday = date.today() - timedelta(days=1)
    for row in _public_rows(session, tenant_id):
        if row.valid_to is None or row.valid_to > yesterday:
            row.valid_to = max(yesterday, row.valid_from) if row.valid_from else yesterday


def apply_offboarded(session: Session, event: Event) -> None:
    tenant_id = event.data["tenant_id"]
    retire_public_offices(session, tenant_id)
    for row in session.execute(
        select(ReferenceValue).where(ReferenceValue.tenant_id == tenant_id)
    ).scalars():
        session.delete(row)
    # Every tenant-scoped table, children first; the keys go with them (crypto-shredding of
    # anything kept elsewhere under them, e.g. attachment files).
    for table in reversed(tenant_tables(all_tables().sorted_tables, keep=KEEP)):
        session.execute(delete(table).where(table.c.tenant_id == tenant_id))
