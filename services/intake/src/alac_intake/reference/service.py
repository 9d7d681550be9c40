"""Looking up and checking reference codes; reading a list and replacing a tenant's own
version of one (the API's use cases, which own their transactions)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from alac_intake.i18n import message
from alac_intake.reference.models import ReferenceValue
from alac_intake.reference.schemas import ReferenceItem, ReferenceList, TenantListItem
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.errors import NotFound

if TYPE_CHECKING:
    from alac_intake.runtime import IntakeRuntime

LISTS = (
    "channels", "request_types", "areas", "sub_areas", "authority_levels",
    "respondent_body_types", "corruption_related", "non_corruption_reasons", "heard_from",
    "prior_legal_help", "procedural_stages", "documents", "education_levels", "residence_types",
    "complainant_types", "sexes", "languages", "outcomes", "age_bands", "regions", "cities",
    "public_offices",
)  # fmt: skip
# Lists a tenant may have its own rows of (set from the tenant registry's events, tenants.py).
TENANT_LISTS = frozenset({"age_bands", "languages"})
# Of those, the ones only the registry sets: the languages a centre works in are the registry's
# `languages` (cases letters and mail by them too), so a tenant admin changes them there.
REGISTRY_LISTS = frozenset({"languages"})
# Lists whose refused code is answered with what is offered: a complainant's language is
# refused because the centre does not work in it, not because the platform does not know it.
OFFERED_REASONS = {"languages": "centre_language"}


class Dated(Protocol):
    """What the checks read of a reference row: an ORM ReferenceValue or a plain row."""

    list_name: str
    code: str
    parent: str | None
    tenant_id: str | None
    valid_from: date | None
    valid_to: date | None


R = TypeVar("R", bound=Dated)


def is_current(row: Dated, on: date) -> bool:
    return (row.valid_from is None or row.valid_from <= on) and (
        row.valid_to is None or on < row.valid_to
    )


def rows(
    *, session: Session, list_names: Iterable[str], tenant: str | None
) -> dict[str, list[ReferenceValue]]:
    """Rows of each list for a tenant: the tenant's own rows where it has any, else defaults."""
    names = list(set(list_names))
    found = session.execute(
        select(ReferenceValue)
        .where(ReferenceValue.list_name.in_(names))
        .where(or_(ReferenceValue.tenant_id.is_(None), ReferenceValue.tenant_id == tenant))
        .order_by(ReferenceValue.id)
    ).scalars()
    return _by_list(found, names)


_t = ReferenceValue.__table__
_CODES = (
    select(_t.c.list_name, _t.c.code, _t.c.parent, _t.c.tenant_id, _t.c.valid_from, _t.c.valid_to)
    .where(_t.c.list_name.in_(bindparam("names", expanding=True)))
    .where(or_(_t.c.tenant_id.is_(None), _t.c.tenant_id == bindparam("tenant")))
    .order_by(_t.c.id)
)


def code_rows(
    *, session: Session, list_names: Iterable[str], tenant: str | None
) -> dict[str, list[Dated]]:
    """`rows` as plain rows, without labels: what the checks read on every registration (a
    Core query costs a fraction of loading ORM objects)."""
    names = list(set(list_names))
    found = session.connection().execute(_CODES, {"names": names, "tenant": tenant})
    return _by_list(cast(Iterable[Dated], found), names)


def _by_list(found: Iterable[R], names: list[str]) -> dict[str, list[R]]:
    out: dict[str, list[R]] = {name: [] for name in names}
    for row in found:
        out[row.list_name].append(row)
    for name, items in out.items():
        own = [r for r in items if r.tenant_id is not None]
        if own and name in TENANT_LISTS:
            out[name] = own
        else:
            out[name] = [r for r in items if r.tenant_id is None]
    return out


def centre_languages(*, session: Session, tenant: str) -> list[str] | None:
    """The languages the centre works in (its own `languages` rows, from the registry), or None
    when it has none (not in the registry: every language, as before the registry)."""
    found = rows(session=session, list_names=["languages"], tenant=tenant)["languages"]
    own = [r.code for r in found if r.tenant_id is not None and is_current(r, date.today())]
    return own or None


def label(row: ReferenceValue, lang: str) -> str:
    return {"kk": row.label_kk, "ru": row.label_ru}.get(lang, row.label_en)


@dataclass(frozen=True)
class CodeCheck:
    """One code to check: the API field, its list, the value, and an optional parent code."""

    field: str
    list_name: str
    value: str
    parent: str | None = None
    what: str = ""


def check(
    *,
    session: Session,
    tenant: str,
    checks: list[CodeCheck],
    lang: str,
    on: date,
    allow_retired: frozenset[str] = frozenset(),
) -> list[dict[str, str]]:
    """Errors [{field, reason}] for codes that are unknown, retired, or under another parent.

    `allow_retired` names fields whose stored value did not change: a retired code already on an
    old complaint stays acceptable when the complaint is updated.
    """
    if not checks:
        return []
    lists = code_rows(session=session, list_names={c.list_name for c in checks}, tenant=tenant)
    errors: list[dict[str, str]] = []
    for c in checks:
        what = c.what or c.field.rsplit(".", 1)[-1]
        candidates = [r for r in lists[c.list_name] if r.code == c.value]
        offered_reason = OFFERED_REASONS.get(c.list_name)
        if offered_reason and not any(is_current(r, on) for r in candidates):
            if c.field in allow_retired and candidates:
                continue  # kept on an old complaint
            offered = ", ".join(r.code for r in lists[c.list_name] if is_current(r, on))
            errors.append(
                {"field": c.field, "reason": message(offered_reason, lang, offered=offered)}
            )
            continue
        if not candidates:
            errors.append(
                {
                    "field": c.field,
                    "reason": message("unknown_code", lang, what=what, value=c.value),
                }
            )
            continue
        if c.field not in allow_retired and not any(is_current(r, on) for r in candidates):
            if all(r.valid_from is not None and on < r.valid_from for r in candidates):
                # Checked as of an old complaint's date: shymkent_city before 2018 is no
                # retired code but one that did not exist yet.
                errors.append(
                    {
                        "field": c.field,
                        "reason": message(
                            "not_yet_valid_code", lang, what=what, value=c.value, on=on.isoformat()
                        ),
                    }
                )
                continue
            errors.append(
                {
                    "field": c.field,
                    "reason": message("retired_code", lang, what=what, value=c.value),
                }
            )
            continue
        if c.parent is not None and all(r.parent != c.parent for r in candidates):
            errors.append(
                {
                    "field": c.field,
                    "reason": message(
                        "wrong_parent", lang, what=what, value=c.value, parent=c.parent
                    ),
                }
            )
    return errors


def replace_tenant_list(
    *, session: Session, tenant: str, list_name: str, items: list[dict[str, str]], today: date
) -> list[ReferenceValue]:
    """Give a tenant its own version of a list (age bands): the tenant's current rows are
    retired today and the new ones start today, so complaints already recorded keep codes that
    stay readable. A tenant's first own version starts open-ended, so historical complaints
    imported later can use it."""
    if list_name not in TENANT_LISTS:
        raise ValueError(f"{list_name} is not a per-tenant list")
    own = (
        session.execute(
            select(ReferenceValue).where(
                ReferenceValue.list_name == list_name, ReferenceValue.tenant_id == tenant
            )
        )
        .scalars()
        .all()
    )
    current = [r for r in own if is_current(r, today)]
    version = max((r.version for r in own), default=0) + 1
    for row in current:
        if row.valid_from == today:
            session.delete(row)  # replaced again the same day: keep one version per day
        else:
            row.valid_to = today
    session.flush()
    starts = today if own else None
    added = [
        ReferenceValue(
            list_name=list_name,
            code=item["code"],
            parent=None,
            tenant_id=tenant,
            label_en=item["label_en"],
            label_ru=item["label_ru"],
            label_kk=item["label_kk"],
            valid_from=starts,
            valid_to=None,
            version=version,
        )
        for item in items
    ]
    session.add_all(added)
    session.flush()
    return added


# ------------------------------------------------------------------ use cases


def item(row: ReferenceValue, lang: str, on: date) -> ReferenceItem:
    return ReferenceItem(
        code=row.code, label=label(row, lang), parent=row.parent, valid_from=row.valid_from,
        valid_to=row.valid_to, current=is_current(row, on),
    )  # fmt: skip


def reference_list(
    rt: IntakeRuntime, list_name: str, *, lang: str, tenant: str | None,
    include_retired: bool, on: date,
) -> ReferenceList:  # fmt: skip
    """A list as of `on`, labels in `lang` (a tenant's own version where it has one)."""
    if list_name not in LISTS:
        raise NotFound("reference list")
    with session_scope(rt.session_factory) as session:
        found = rows(session=session, list_names=[list_name], tenant=tenant)[list_name]
        items = [item(r, lang, on) for r in found if include_retired or is_current(r, on)]
    return ReferenceList(list=list_name, lang=lang, items=items)


def replace_own_list(
    rt: IntakeRuntime, principal: Principal, list_name: str, items: list[TenantListItem], *,
    lang: str,
) -> ReferenceList:  # fmt: skip
    """The tenant admin's new version of a per-tenant list (replace_tenant_list)."""
    if list_name not in TENANT_LISTS or list_name in REGISTRY_LISTS:
        raise NotFound("per-tenant reference list")
    today = date.today()
    with session_scope(rt.session_factory, tenant=principal.tenant) as session:
        added = replace_tenant_list(
            session=session, tenant=principal.tenant, list_name=list_name,
            items=[i.model_dump() for i in items], today=today,
        )  # fmt: skip
        return ReferenceList(list=list_name, lang=lang, items=[item(r, lang, today) for r in added])
