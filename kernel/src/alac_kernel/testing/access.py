"""Every endpoint x every role, from the services' OpenAPI documents, against one matrix.

`make verify` (over HTTP, against the services as processes) and the suite's short version
(`tests/integration/test_access_matrix.py`, in-process) share this probe. It enumerates every
operation of every service's OpenAPI document and sends it as each caller (volunteer, lawyer,
coordinator, tenant admin, analyst, network analyst, platform admin, partner system,
anonymous, and staff of another tenant and of another office), then checks each answer:

- never a 5xx;
- a caller whose role is not in `MATRIX` for the operation gets 403 (401 when anonymous);
  a caller whose role is in it is let through (neither 401 nor 403);
- no 2xx answer names a record the caller may not see (the kernel's visibility rule: another
  tenant's, another office's, or any record for a counts-only role): neither its ids nor its
  own word. GET operations are tried with the ids of every seeded record in their path.

Writes are sent with an id that does not exist and an empty body, so the probe changes
nothing: what is checked is who is let in, not what the write does.

`MATRIX` is written out here rather than read from the services' code: it is the expectation
the code is held to, so a role widened or dropped on an endpoint, or an endpoint added without
an entry, fails (`unlisted`). `cases` keeps its own permission names (alac_cases.permissions);
this is the platform-wide view by route.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from alac_kernel.auth import roles
from alac_kernel.auth.principal import Principal
from alac_kernel.visibility import visibility

PUBLIC = "public"  # no token needed (a complainant's follow-up, the web form, probes)
_ABBREVIATIONS = {
    "V": roles.VOLUNTEER,
    "L": roles.LAWYER,
    "C": roles.COORDINATOR,
    "TA": roles.TENANT_ADMIN,
    "A": roles.ANALYST,
    "NA": roles.NETWORK_ANALYST,
    "P": roles.PARTNER,
    "PA": roles.PLATFORM_ADMIN,
}
_HEALTH = {"GET /healthz": PUBLIC, "GET /readyz": PUBLIC}

# Per service, "METHOD /path" -> the roles let in (abbreviated above) or PUBLIC.
_TABLE: dict[str, dict[str, str]] = {
    "intake": {
        **_HEALTH,
        # complaints are taken by staff on the hotline and in the office, and by partner
        # systems; the tenant admin reads them (duplicates, retention) but does not file them
        "POST /v1/complaints": "V L C P",
        "GET /v1/complaints/{complaint_id}": "V L C TA P",
        "PATCH /v1/complaints/{complaint_id}": "V L C",
        "POST /v1/public/complaints": PUBLIC,
        "POST /v1/complaints/{complaint_id}/attachments": "V L C",
        "GET /v1/complaints/{complaint_id}/attachments": "V L C TA",
        "GET /v1/complaints/{complaint_id}/attachments/{attachment_id}": "V L C TA",
        # the complainant's contact: only those who act on the case
        "GET /v1/complaints/{complaint_id}/contact": "L C",
        "GET /v1/reference/{list_name}": PUBLIC,
        "PUT /v1/reference/{list_name}": "TA",
        # the complainant's follow-up: the receipt code is the credential
        "POST /v1/follow-up/attachments": PUBLIC,
        "GET /v1/follow-up/status": PUBLIC,
        "GET /v1/follow-up/messages": PUBLIC,
        "POST /v1/follow-up/messages": PUBLIC,
        "POST /v1/follow-up/consent": PUBLIC,
        "POST /v1/follow-up/withdraw": PUBLIC,
        "POST /v1/complaints/{complaint_id}/messages": "V L C",
        "GET /v1/complaints/{complaint_id}/messages": "V L C",
        "GET /v1/messages/unanswered": "V L C",
        "POST /v1/complaints/{complaint_id}/withdraw": "C",
        "POST /v1/complaints/{complaint_id}/erase-personal-data": "C",
        "GET /v1/retention-policy": "TA",
        "PUT /v1/retention-policy": "TA",
        "GET /v1/complaints/{complaint_id}/possible-duplicates": "V L C TA",
        "POST /v1/complaints/duplicate-check": "V L C TA",
        # partner systems: registered by the tenant admin, then on their own
        "GET /v1/partners": "TA",
        "POST /v1/partners": "TA",
        "GET /v1/partners/{partner_id}": "TA",
        "DELETE /v1/partners/{partner_id}": "TA",
        "POST /v1/partners/{partner_id}/secret": "TA",
        "GET /v1/partner/complaints": "P",
        "GET /v1/webhooks": "P",
        "POST /v1/webhooks": "P",
        "GET /v1/webhooks/{subscription_id}": "P",
        "PATCH /v1/webhooks/{subscription_id}": "P",
        "DELETE /v1/webhooks/{subscription_id}": "P",
        "GET /v1/webhooks/{subscription_id}/deliveries": "P",
        "POST /v1/webhooks/{subscription_id}/replay": "P",
        "GET /v1/feed": "P",
        # progress e-mails to complainants that failed, for the tenant admin to send again
        "GET /v1/complainant-mail/failed": "TA",
        "POST /v1/complainant-mail/{delivery_id}/retry": "TA",
        # a suspended centre's rows for its offboarding archive (cases calls it)
        "POST /v1/tenants/{tenant_id}/archive": "PA",
    },
    "cases": {
        **_HEALTH,
        "GET /v1/cases": "V L C TA",
        "GET /v1/cases/by-complaint/{complaint_id}": "V L C TA",
        "GET /v1/cases/{case_id}": "V L C TA",
        "GET /v1/cases/{case_id}/file": "V L C TA",
        "POST /v1/cases/{case_id}/transitions": "L C",
        "POST /v1/cases/{case_id}/quick-answer": "V L C",
        "GET /v1/cases/{case_id}/history": "V L C",
        "GET /v1/triage": "V L C",
        "POST /v1/cases/{case_id}/assignment": "L C",
        "GET /v1/staff": "L C TA",
        "POST /v1/staff": "TA",
        "POST /v1/staff/invitations": "TA",
        "POST /v1/staff/{who}/move": "TA",
        "POST /v1/staff/{who}/deactivate": "TA",
        "GET /v1/cases/{case_id}/consents": "L C",
        "POST /v1/cases/{case_id}/consents": "L C",
        "GET /v1/cases/{case_id}/actions": "V L C",
        "POST /v1/cases/{case_id}/actions": "L C",
        "GET /v1/cases/{case_id}/notes": "V L C",
        "POST /v1/cases/{case_id}/notes": "V L C",
        "GET /v1/cases/{case_id}/audit": "C TA",
        "GET /v1/deadline-rules": "L C TA",
        "PUT /v1/deadline-rules/{code}": "TA",
        "GET /v1/cases/{case_id}/deadlines": "L C",
        "POST /v1/cases/{case_id}/deadlines": "L C",
        "POST /v1/cases/{case_id}/deadlines/{deadline_id}/met": "L C",
        "GET /v1/overdue": "L C",
        # a letter of support is written and signed by a lawyer
        "POST /v1/cases/{case_id}/letters": "L",
        "GET /v1/cases/{case_id}/letters": "L C",
        "GET /v1/cases/{case_id}/letters/{letter_id}.pdf": "L C",
        "GET /v1/cases/{case_id}/referrals": "L C",
        "POST /v1/cases/{case_id}/referrals": "L C",
        # the tenant registry belongs to the network's platform admin alone
        "GET /v1/tenants": "PA",
        "POST /v1/tenants": "PA",
        "GET /v1/tenants/{tenant_id}": "PA",
        "PATCH /v1/tenants/{tenant_id}": "PA",
        # the caller's own centre (name, time zone, logo): every staff role of a tenant
        "GET /v1/tenant": "V L C TA A",
        "POST /v1/tenants/{tenant_id}/suspend": "PA",
        "POST /v1/tenants/{tenant_id}/reactivate": "PA",
        "POST /v1/tenants/{tenant_id}/offboard": "PA",
        "GET /v1/notifications": "V L C TA",
        "POST /v1/notifications/read-all": "V L C TA",
        "POST /v1/notifications/{notification_id}/read": "V L C TA",
        "GET /v1/notifications/preferences": "V L C TA",
        "PUT /v1/notifications/preferences": "V L C TA",
        "GET /v1/notifications/deliveries": "TA",
        "GET /v1/notifications/rules": "C TA",
        "PUT /v1/notifications/rules": "TA",
    },
    "analytics": {
        **_HEALTH,
        # aggregates: never for volunteers (no counts on the hotline) nor partner systems
        "GET /v1/stats/summary": "L C TA A",
        "GET /v1/reports/statistics": "L C TA A",
        "GET /v1/dashboard/timeseries": "L C TA A",
        "GET /v1/dashboard/breakdown": "L C TA A",
        "GET /v1/network/statistics": "NA",
        "GET /v1/privacy/settings": "TA",
        "PUT /v1/privacy/settings": "TA",
        "GET /v1/alerts": "C TA A",
        # the complaints behind an alert are records: not for the counts-only analyst
        "GET /v1/alerts/{alert_id}/complaints": "C TA",
        "POST /v1/alerts/detect": "C TA A",
        "POST /v1/alerts/{alert_id}/acknowledge": "C TA A",
        "POST /v1/alerts/{alert_id}/dismiss": "C TA A",
        "GET /v1/proposals": "L C TA A",
        "POST /v1/proposals": "C TA",
        "GET /v1/proposals/{proposal_id}": "L C TA A",
        "PATCH /v1/proposals/{proposal_id}": "C TA",
        "GET /v1/reports/proposals": "L C TA A",
    },
    "search": {
        **_HEALTH,
        "GET /v1/search": "V L C TA A",
        "GET /v1/search/similar/{complaint_id}": "V L C TA",
    },
}


def _roles(spec: str) -> frozenset[str] | None:
    return None if spec == PUBLIC else frozenset(_ABBREVIATIONS[a] for a in spec.split())


#: (service, "METHOD /path") -> the roles let in; None: public.
MATRIX: dict[tuple[str, str], frozenset[str] | None] = {
    (service, operation): _roles(spec)
    for service, operations in _TABLE.items()
    for operation, spec in operations.items()
}

#: An id no record has: writes are probed with it, so the probe changes nothing.
NO_SUCH_ID = "00000000-0000-4000-8000-00000000dead"


@dataclass(frozen=True)
class Caller:
    """Who probes: a label for the table, their role (None: anonymous), tenant and office."""

    label: str
    role: str | None
    tenant: str | None = None
    office: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Record:
    """A seeded record (a complaint and its case): its path values and the strings that would
    give it away in an answer (ids, a word of its own)."""

    tenant: str
    office: str
    path_values: Mapping[str, str]
    markers: frozenset[str]


@dataclass
class AccessReport:
    operations: int = 0
    tried: int = 0
    server_errors: int = 0
    leaks: int = 0
    mismatches: int = 0  # an answer that disagrees with MATRIX
    unlisted: list[str] = field(default_factory=list)  # operations MATRIX does not name
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.server_errors or self.leaks or self.mismatches or self.unlisted)


def sees(caller: Caller, record: Record) -> bool:
    """The kernel's visibility rule applied to a probe caller and a seeded record."""
    if caller.role is None or caller.tenant != record.tenant:
        return False
    seen = visibility(
        Principal(
            subject=caller.label,
            username=None,
            tenant=caller.tenant,
            office=caller.office,
            roles=frozenset({caller.role}),
            client_id=None,
            token_id=None,
        )
    )
    return seen.records and seen.sees_office(record.office)


def operations(openapi: Mapping[str, Any]) -> Iterable[tuple[str, str, dict[str, Any]]]:
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path, operation


def _query(operation: Mapping[str, Any], word: str) -> dict[str, str]:
    """Values for the required query parameters, so an allowed caller reaches the data."""
    today = dt.date.today()
    known = {
        "q": word,
        "from": (today - dt.timedelta(days=60)).isoformat(),
        "to": (today + dt.timedelta(days=1)).isoformat(),
        "dimension": "area",
    }
    return {
        p["name"]: known.get(p["name"], "x")
        for p in operation.get("parameters", [])
        if p.get("in") == "query" and p.get("required")
    }


def _headers(operation: Mapping[str, Any]) -> dict[str, str]:
    return {
        p["name"]: "NOSUCHCODE"
        for p in operation.get("parameters", [])
        if p.get("in") == "header" and p.get("required")
    }


Send = Callable[..., httpx.Response]


def probe_access(
    openapis: Mapping[str, Mapping[str, Any]],
    send: Send,
    callers: Iterable[Caller],
    records: Iterable[Record],
    word: str,
) -> AccessReport:
    """Probe every operation of `openapis` (service -> document) as every caller.

    `send(service, method, url, headers=..., params=..., json=...)` performs one request;
    `word` is what a search is for (a word the seeded records share)."""
    callers, records = list(callers), list(records)
    report = AccessReport()
    listed = set()
    for service, openapi in openapis.items():
        for method, path, operation in operations(openapi):
            key = (service, f"{method} {path}")
            listed.add(key)
            if key not in MATRIX:
                report.unlisted.append(f"{service} {method} {path}")
                continue
            report.operations += 1
            names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"]
            # GET of a record: once per seeded record (its ids in the path); the rest, and
            # every write, with an id nobody has.
            by_record = method == "GET" and any(n in r.path_values for r in records for n in names)
            targets: list[Record | None] = list(records) if by_record else [None]
            for target in targets:
                url = path
                for name in names:
                    value = target.path_values.get(name, NO_SUCH_ID) if target else NO_SUCH_ID
                    url = url.replace("{" + name + "}", value)
                for caller in callers:
                    _probe_one(
                        report, send, service, method, url, operation, caller, target, records,
                        MATRIX[key], word,
                    )  # fmt: skip
    for service, operation_key in MATRIX:
        if service in openapis and (service, operation_key) not in listed:
            report.unlisted.append(f"{service} {operation_key} (in MATRIX, not in the OpenAPI)")
    return report


def _probe_one(
    report: AccessReport,
    send: Send,
    service: str,
    method: str,
    url: str,
    operation: Mapping[str, Any],
    caller: Caller,
    target: Record | None,
    records: list[Record],
    allowed: frozenset[str] | None,
    word: str,
) -> None:
    body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
    response = send(
        service,
        method,
        url,
        headers={**_headers(operation), **caller.headers},
        params=_query(operation, word),
        json=body,
    )
    report.tried += 1
    status = response.status_code
    where = f"{service} {method} {url} as {caller.label}: {status}"
    if status >= 500:
        report.server_errors += 1
        report.failures.append(f"5xx: {where} {response.text[:200]}")
        return
    if allowed is not None:
        if caller.role is None:
            expected_refusal = 401
        elif caller.role not in allowed:
            expected_refusal = 403
        else:
            expected_refusal = None
        if expected_refusal is not None and status != expected_refusal:
            report.mismatches += 1
            report.failures.append(f"matrix: {where}, expected {expected_refusal}")
        elif expected_refusal is None and status in (401, 403):
            report.mismatches += 1
            report.failures.append(f"matrix: {where}, expected the role to be let in")
    if not 200 <= status < 300:
        return
    if target is not None and not sees(caller, target):
        report.leaks += 1
        report.failures.append(f"leak: {where} for a record of {target.tenant}/{target.office}")
        return
    hidden = [m for r in records if not sees(caller, r) for m in r.markers if m in response.text]
    if hidden:
        report.leaks += 1
        report.failures.append(f"leak: {where} names {hidden[:3]}")


#: The demo users the probe signs in as: (label, username, role, tenant, office).
DEMO_CALLERS: tuple[tuple[str, str, str, str, str | None], ...] = (
    ("volunteer", "vera", roles.VOLUNTEER, "tk", "almaty"),
    ("lawyer", "lena", roles.LAWYER, "tk", "almaty"),
    ("coordinator", "kazbek", roles.COORDINATOR, "tk", "almaty"),
    ("tenant admin", "tamara", roles.TENANT_ADMIN, "tk", "almaty"),
    ("analyst", "anuar", roles.ANALYST, "tk", "almaty"),
    ("network analyst", "nadia", roles.NETWORK_ANALYST, "network", None),
    ("platform admin", "pavel", roles.PLATFORM_ADMIN, "network", None),
    ("partner system (ndi)", "partner-ndi", roles.PARTNER, "ndi", None),
    ("other office: volunteer", "askar", roles.VOLUNTEER, "tk", "astana"),
    ("other tenant: volunteer", "nurlan", roles.VOLUNTEER, "ndi", "shymkent"),
    ("other tenant: lawyer", "dana", roles.LAWYER, "ndi", "shymkent"),
)


def demo_callers(headers_of: Callable[[str], Mapping[str, str]]) -> list[Caller]:
    """The probe's callers, with `headers_of(username)` (a bearer token), and anonymous."""
    return [
        Caller(label, role, tenant, office, headers_of(username))
        for label, username, role, tenant, office in DEMO_CALLERS
    ] + [Caller("anonymous", None)]


def seed_records(
    send: Send,
    headers_of: Callable[[str], Mapping[str, str]],
    settle: Callable[[], None],
    word: str,
    attempts: int = 120,
) -> list[Record]:
    """One complaint of tk/almaty (by vera) and one of ndi/shymkent (by nurlan), each with
    `word` and a word of its own in its crux, and their cases once `settle()` (the pump, or
    a pause) has let cases open them."""
    records = []
    for filer, reader, tenant, office in (
        ("vera", "kazbek", "tk", "almaty"),
        ("nurlan", "dana", "ndi", "shymkent"),
    ):
        own = f"{word}{tenant}"
        complaint = send(
            "intake",
            "POST",
            "/v1/complaints",
            headers={**headers_of(filer), "Idempotency-Key": f"access-{own}"},
            params={},
            json={
                "channel": "hotline",
                "request_type": "case",
                "area": "education",
                "crux": f"The clerk of the akimat asked for a bribe ({word}, {own}).",
            },
        )
        if complaint.status_code != 201:
            raise RuntimeError(f"seeding a complaint as {filer}: {complaint.status_code}")
        complaint_id = complaint.json()["id"]
        for _ in range(attempts):
            case = send(
                "cases",
                "GET",
                f"/v1/cases/by-complaint/{complaint_id}",
                headers=headers_of(reader),
                params={},
                json=None,
            )
            if case.status_code == 200:
                break
            settle()
        else:
            raise RuntimeError(f"no case opened for the complaint of {filer}")
        case_id = case.json()["id"]
        records.append(
            Record(
                tenant,
                office,
                {"complaint_id": complaint_id, "case_id": case_id},
                frozenset({complaint_id, case_id, own}),
            )
        )
    return records
