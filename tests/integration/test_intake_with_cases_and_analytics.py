"""What intake's complaints cause in the other services (moved here from intake's own tests,
which run intake alone): the complainant's consent answer, given with the receipt code,
becomes a consent version of the case and lets the lawyer act; a historical import opens no
case and is counted on the day it was received."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from alac_intake.channels.bulk import import_file

NAMED = {
    "channel": "hotline",
    "crux": "Акимат требует взятку за разрешение на киоск.",
    "contact": {"name": "Айгуль", "phone": "+77010000001"},
}


def test_the_complainants_consent_answer_is_recorded_by_the_case(sqlite_platform):
    p = sqlite_platform
    r = p.intake.post("/v1/complaints", json=NAMED, headers=p.headers("vera"))
    assert r.status_code == 201, r.text
    cid, code = r.json()["id"], r.json()["receipt_code"]
    p.pump()
    assert p.cases.post(
        "/v1/staff", json={"subject": "lena", "office": "almaty", "role": "lawyer"},
        headers=p.headers("tamara"),
    ).status_code == 200  # fmt: skip
    items = p.cases.get("/v1/cases", params={"limit": 200}, headers=p.headers("lena")).json()
    (case,) = [c for c in items["items"] if c["complaint_id"] == cid]
    path, version = f"/v1/cases/{case['id']}", case["version"]

    def step(suffix, user, body, status=200):
        nonlocal version
        resp = p.cases.post(f"{path}/{suffix}", json={**body, "version": version},
                            headers=p.headers(user))  # fmt: skip
        assert resp.status_code == status, resp.text
        if status == 200:
            version = int(resp.headers["ETag"].strip('"'))
        return resp

    step("assignment", "kazbek", {"assignee": "lena"})
    step("transitions", "lena", {"to_status": "assessment", "reason": "in mandate"})
    step("transitions", "lena", {"to_status": "awaiting_consent", "reason": "needs a letter"})
    p.pump()
    status = p.intake.get("/v1/follow-up/status", headers={"Receipt-Code": code}).json()
    assert status["status"] == "awaiting_your_consent"
    # without consent the lawyer cannot act
    refused = step("transitions", "lena", {"to_status": "in_action", "reason": "go"}, 409)
    assert "formal_action" in refused.text

    answer = p.intake.post(
        "/v1/follow-up/consent", json={"formal_action": True, "media": False},
        headers={"Receipt-Code": code},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    p.pump()
    consents = p.cases.get(f"{path}/consents", headers=p.headers("lena")).json()
    assert [(c["scopes"], c["how_given"], c["withdrawn"]) for c in consents] == [
        (["formal_action"], "intake_record", False)
    ]
    version = p.cases.get(path, headers=p.headers("lena")).json()["version"]
    moved = step("transitions", "lena", {"to_status": "in_action", "reason": "consent given"})
    assert moved.json()["status"] == "in_action"


def test_a_historical_import_opens_no_case_and_counts_on_its_day(platform, tmp_path):
    p = platform
    rt = p.runtime("intake")

    def run(name: str, external_id: str, historical: bool) -> list[str]:
        path = tmp_path / name
        path.write_text(
            "external_id,received_at,channel,crux\n"
            f"{external_id},2019-03-04T10:00:00+06:00,hotline,Взятка за справку\n",
            encoding="utf-8",
        )
        report = import_file(
            factory=rt.session_factory, outbox=rt.outbox, keys=rt.master_keys, path=path,
            tenant="tk", office="almaty", dry_run=False, historical=historical,
        )  # fmt: skip
        assert report.bad == [] and len(report.created) == 1
        return report.created

    old, new = run("old.csv", "H-1", True), run("new.csv", "N-1", False)
    p.pump()
    with p.runtime("cases").engine.connect() as conn:
        opened = conn.execute(text("select complaint_id from cases")).scalars().all()
    assert opened == new  # live work for the live complaint only
    with p.runtime("analytics").engine.connect() as conn:
        fact = conn.execute(
            text("select historical, received_at from complaint_facts where complaint_id = :c"),
            {"c": old[0]},
        ).one()
        day_total = conn.execute(
            text("select sum(n) from daily_counts where dimension = 'total' and day = :d"),
            {"d": date(2019, 3, 4)},
        ).scalar_one()
    assert fact[0] in (True, 1) and str(fact[1]).startswith("2019-03-04 04:00")
    assert day_total == 2  # both count in March 2019, where they belong
