"""Demo data loaded on the first `alac up`: complaints like the ones the centres receive
(seeds/000), submitted through the public intake API as the demo volunteers would."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

from alac_kernel.auth.dev_issuer import DEMO_USERS

DEMO_COMPLAINTS: list[tuple[str, dict]] = [
    (
        "vera",
        {
            "channel": "hotline",
            "request_type": "case",
            "area": "education",
            "crux": "Школа требует с родителей деньги на ремонт класса, без квитанций. Директор угрожает не выдать аттестат.",
            # She left an e-mail and agreed to be contacted: intake tells her of progress
            # (docs/notifications.md), which the local mail catcher keeps.
            "contact": {"name": "Айгерим", "email": "aigerim@example.kz"},
            "preferred_language": "ru",
            "safe_to_contact": True,
            "complainant": {
                "sex": "female",
                "age_band": "age_46_60",
                "education": "higher",
                "residence": "urban",
                "region": "almaty_city",
            },
        },
    ),
    (
        "vera",
        {
            "channel": "hotline",
            "request_type": "information_request",
            "area": "housing",
            "crux": "Как оспорить решение КСК о повышении платы за содержание дома?",
            "anonymous": True,
        },
    ),
    (
        "vera",
        {
            "channel": "walk_in",
            "request_type": "case",
            "area": "judicial_system",
            "crux": "Решение суда о взыскании долга не исполняется два года, судебный исполнитель бездействует.",
            "complainant": {
                "sex": "male",
                "age_band": "age_46_60",
                "education": "secondary",
                "residence": "suburban",
            },
        },
    ),
    (
        "vera",
        {
            "channel": "email",
            "request_type": "case",
            "area": "property_rights",
            "crux": "Akimat withdrew our land plot for state needs without compensation; the notice came after the deadline to appeal.",
            "complainant": {
                "type": "initiative_group",
                "residence": "rural",
                "region": "almaty_region",
            },
        },
    ),
    (
        "vera",
        {
            "channel": "hotline",
            "request_type": "case",
            "area": "police",
            "anonymous": True,
            "crux": "Участковый требует взятку за то, чтобы не составлять протокол на моего сына.",
        },
    ),
    (
        "askar",
        {
            "channel": "hotline",
            "request_type": "case",
            "area": "judicial_system",
            "crux": "Сот шешімі орындалмай жатыр, сот орындаушысы жауап бермейді.",
            "complainant": {
                "sex": "female",
                "age_band": "age_26_35",
                "residence": "urban",
                "region": "astana_city",
            },
        },
    ),
    (
        "askar",
        {
            "channel": "web_form",
            "request_type": "information_request",
            "area": "healthcare",
            "crux": "Больница требует оплату за операцию, которая должна быть бесплатной по квоте.",
        },
    ),
    (
        "askar",
        {
            "channel": "letter",
            "request_type": "case",
            "area": "property_rights",
            "crux": "Долевое строительство: застройщик не сдал дом, деньги дольщиков не возвращает.",
            "complainant": {"sex": "male", "education": "higher", "residence": "urban"},
        },
    ),
    (
        "nurlan",
        {
            "channel": "mobile_clinic",
            "request_type": "case",
            "area": "education",
            "crux": "В университете преподаватель требует деньги за сдачу экзамена.",
            "complainant": {
                "sex": "female",
                "age_band": "age_18_25",
                "residence": "urban",
                "region": "shymkent_city",
            },
        },
    ),
    (
        "nurlan",
        {
            "channel": "hotline",
            "request_type": "information_request",
            "area": "labour",
            "anonymous": True,
            "crux": "Работодатель не выплачивает зарплату три месяца. Куда обращаться?",
        },
    ),
]


def password_of(username: str) -> str:
    return next(u.password for u in DEMO_USERS if u.username == username)


def fetch_token(token_url: str, username: str, password: str | None = None) -> str:
    response = httpx.post(
        token_url,
        data={
            "grant_type": "password",
            "client_id": "alac-cli",
            "username": username,
            "password": password or password_of(username),
        },
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["access_token"]


def load(token_url: str, intake_url: str) -> int:
    """Submit the demo complaints; idempotent keys make a re-run harmless."""
    tokens: dict[str, str] = {}
    for index, (user, complaint) in enumerate(DEMO_COMPLAINTS):
        if user not in tokens:
            tokens[user] = fetch_token(token_url, user)
        response = httpx.post(
            f"{intake_url}/v1/complaints",
            json=complaint,
            headers={"Authorization": f"Bearer {tokens[user]}", "Idempotency-Key": f"demo-{index}"},
            timeout=30,
        )
        if response.status_code >= 400:
            raise RuntimeError(
                f"demo complaint {index} refused: {response.status_code} {response.text}"
            )
    return len(DEMO_COMPLAINTS)


DEMO_TENANTS = Path(__file__).with_name("demo_tenants")


def demo_centres() -> list[dict]:
    """The demo centres as `POST /v1/tenants` bodies (tk, then its partner ndi)."""
    from alac_kernel.tenants import load_spec_file

    return [
        json.loads(load_spec_file(DEMO_TENANTS / f"{name}.yaml").model_dump_json())
        for name in ("tk", "ndi")
    ]


def onboard_demo_tenants(token_url: str, cases_url: str, client: httpx.Client | None = None) -> int:
    """Onboard the demo centres through the registry as a platform admin (pavel) would; a
    centre already onboarded (409 on body.id) counts as done. Returns how many were new."""
    token = fetch_token(token_url, "pavel")
    http = client or httpx.Client(base_url=cases_url, timeout=60)
    made = 0
    try:
        for body in demo_centres():
            response = http.post(
                "/v1/tenants", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            if response.status_code == 201:
                made += 1
            elif response.status_code != 409:
                raise RuntimeError(
                    f"demo centre {body['id']} refused: {response.status_code} {response.text}"
                )
    finally:
        if client is None:
            http.close()
    return made


# Demo staff with e-mail addresses and languages in the staff registry (invited by the tenant
# admin tamara), so the demo's notifications reach the local mail catcher in their language.
DEMO_STAFF = (
    {"username": "lena", "email": "lena@tk.example.org", "first_name": "Lena",
     "last_name": "Demo", "office": "almaty", "role": "lawyer", "language": "kk"},
    {"username": "kazbek", "email": "kazbek@tk.example.org", "first_name": "Kazbek",
     "last_name": "Demo", "office": "almaty", "role": "coordinator", "language": "ru"},
)  # fmt: skip


def make_demo_notifications(token_url: str, cases_url: str, timeout_s: float = 60) -> str:
    """Register the demo lawyer and coordinator with e-mail addresses, assign a demo case to
    the lawyer (she is told: "case assigned") and give it a deadline due tomorrow (the
    deadline pass tells her it approaches within a minute). Returns the case id."""
    with httpx.Client(base_url=cases_url, timeout=30) as http:
        admin = {"Authorization": f"Bearer {fetch_token(token_url, 'tamara')}"}
        for person in DEMO_STAFF:
            response = http.post("/v1/staff/invitations", json=person, headers=admin)
            if response.status_code not in (200, 201):
                raise RuntimeError(
                    f"demo staff {person['username']} refused: {response.status_code} {response.text}"
                )
        coordinator = {"Authorization": f"Bearer {fetch_token(token_url, 'kazbek')}"}
        lawyer = {"Authorization": f"Bearer {fetch_token(token_url, 'lena')}"}
        case = _first_case(http, coordinator, timeout_s)
        assigned = http.post(
            f"/v1/cases/{case['id']}/assignment",
            json={"assignee": "lena", "version": case["version"]},
            headers=coordinator,
        )
        if assigned.status_code != 200:
            raise RuntimeError(f"demo assignment refused: {assigned.status_code} {assigned.text}")
        due = http.post(
            f"/v1/cases/{case['id']}/deadlines",
            json={"due_on": (date.today() + timedelta(days=1)).isoformat()},
            headers=lawyer,
        )
        if due.status_code != 201:
            raise RuntimeError(f"demo deadline refused: {due.status_code} {due.text}")
        return str(case["id"])


def _first_case(http: httpx.Client, headers: dict[str, str], timeout_s: float) -> dict:
    """The oldest demo case of the Almaty office (cases opens them from intake's events)."""
    deadline = time.monotonic() + timeout_s
    while True:
        items = (
            http.get("/v1/cases", params={"office": "almaty", "limit": 200}, headers=headers)
            .json()
            .get("items", [])
        )
        cases = [c for c in items if c.get("request_type") == "case"]
        if cases:
            return cases[-1]
        if time.monotonic() > deadline:
            raise RuntimeError("no demo case was opened in time for the demo notifications")
        time.sleep(0.5)
