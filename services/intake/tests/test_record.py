"""The full complaint record: reference lists (localised, versioned), codes checked against
them, completeness, and PATCH with optimistic versions emitting complaint.updated."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from alac_intake.complaints.models import Complaint
from alac_kernel.db import session_scope
from alac_kernel.events import default_registry

URL = "/v1/complaints"
GOOD = {"channel": "hotline", "crux": "Инспектор требует деньги за справку."}


def test_reference_list_is_localised_by_query_or_accept_language(sqlite_intake):
    p = sqlite_intake
    ru = p.intake.get("/v1/reference/areas", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert ru.status_code == 200
    labels = {i["code"]: i["label"] for i in ru.json()["items"]}
    assert labels["education"] == "Образование"
    kk = p.intake.get("/v1/reference/areas?lang=kk", headers={"Accept-Language": "ru"})
    assert {i["code"]: i["label"] for i in kk.json()["items"]}["education"] == "Білім беру"
    assert p.intake.get("/v1/reference/astrology").status_code == 404


def test_regions_are_17_plus_3_today_and_retired_ones_listed_on_request(sqlite_intake):
    p = sqlite_intake
    today = p.intake.get("/v1/reference/regions").json()["items"]
    assert len(today) == 20
    assert "south_kazakhstan" not in {i["code"] for i in today}
    old = p.intake.get("/v1/reference/regions?include_retired=true").json()["items"]
    retired = {i["code"]: i for i in old}["south_kazakhstan"]
    assert retired["current"] is False and retired["valid_to"] == "2018-06-19"
    in_2015 = p.intake.get("/v1/reference/regions?on=2015-01-01").json()["items"]
    assert {"south_kazakhstan"} <= {i["code"] for i in in_2015}
    assert "ulytau" not in {i["code"] for i in in_2015}


FULL = {
    **GOOD,
    "request_type": "case",
    "area": "education",
    "sub_area": "school_payments",
    "authority_level": "local",
    "respondent_body_type": "school",
    "corruption_related": "yes",
    "heard_from": "leaflet",
    "prior_legal_help": "none",
    "procedural_stage": "none",
    "preferred_language": "ru",
    "help_requested": "Составить жалобу.",
    "documents_requested": ["receipt_or_payment_proof"],
    "appeal_deadline": "2026-12-10",
    "consent": {"formal_action": True, "media": False},
    "complainant": {
        "type": "individual", "sex": "female", "age_band": "age_36_45", "education": "higher",
        "residence": "urban", "region": "almaty_city", "city": "almaty",
    },
}  # fmt: skip


def test_full_record_is_stored_complete_and_the_event_carries_the_classification(intake):
    p = intake
    r = p.intake.post(URL, json=FULL, headers=p.headers("vera"))
    assert r.status_code == 201, r.text
    assert r.json()["completeness"] == 1.0
    got = p.intake.get(f"{URL}/{r.json()['id']}", headers=p.headers("lena"))
    body = got.json()
    assert body["sub_area"] == "school_payments" and body["appeal_deadline"] == "2026-12-10"
    assert body["consent"] == {
        "formal_action": True,
        "documents_to_authorities": None,
        "media": False,
    }
    assert body["complainant"]["city"] == "almaty"
    assert got.headers["etag"] == '"1"'
    (event,) = p.events()
    default_registry().validate(event)
    assert event.data["sub_area"] == "school_payments"
    assert event.data["corruption_related"] == "yes"


def test_minimal_record_is_accepted_with_low_completeness(sqlite_intake):
    p = sqlite_intake
    r = p.intake.post(URL, json=GOOD, headers=p.headers("vera"))
    assert r.status_code == 201
    assert r.json()["completeness"] == 0.0


def _refused(p, payload, field, reason_start, lang="en"):
    r = p.intake.post(URL, json=payload, headers=p.headers("vera", **{"Accept-Language": lang}))
    assert r.status_code == 422, r.text
    reasons = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert reasons[field].startswith(reason_start), reasons
    rt = p.runtime
    with session_scope(rt.session_factory, all_tenants=True) as s:
        assert s.execute(select(func.count()).select_from(Complaint.__table__)).scalar_one() == 0


def test_codes_are_checked_against_reference_tables(sqlite_intake):
    p = sqlite_intake
    # a sub-area of another area
    _refused(
        p,
        {**GOOD, "area": "police", "sub_area": "school_payments"},
        "body.sub_area",
        "sub area 'school_payments' does not belong",
    )
    # a retired region is refused on new complaints
    _refused(
        p,
        {**GOOD, "complainant": {"region": "south_kazakhstan"}},
        "body.complainant.region",
        "retired region",
    )
    _refused(
        p,
        {**GOOD, "documents_requested": ["passport_photo"]},
        "body.documents_requested.0",
        "unknown document",
    )
    # the reason is in the caller's language
    _refused(p, {**GOOD, "area": "astrology"}, "body.area", "неизвестное значение", lang="ru")
    _refused(p, {**GOOD, "area": "astrology"}, "body.area", "«area» өрісінде", lang="kk")


def test_retired_code_stays_readable_on_old_complaints(sqlite_intake):
    p = sqlite_intake
    r = p.intake.post(URL, json=GOOD, headers=p.headers("vera"))
    cid = r.json()["id"]
    rt = p.runtime
    with session_scope(rt.session_factory, all_tenants=True) as s:
        s.get(Complaint, cid).region = "south_kazakhstan"  # recorded before 2018
    got = p.intake.get(f"{URL}/{cid}", headers=p.headers("lena"))
    assert got.json()["complainant"]["region"] == "south_kazakhstan"
    # completing other fields keeps the old region
    again = p.intake.patch(
        f"{URL}/{cid}", json={"area": "police", "complainant": {"region": "south_kazakhstan"}},
        headers=p.headers("lena", **{"If-Match": got.headers["etag"]}),
    )  # fmt: skip
    assert again.status_code == 200, again.text


def test_patch_completes_the_record_and_emits_non_personal_changes(intake):
    p = intake
    cid = p.intake.post(URL, json=GOOD, headers=p.headers("vera")).json()["id"]
    r = p.intake.patch(
        f"{URL}/{cid}",
        json={
            "area": "education",
            "sub_area": "exam_bribes",
            "contact": {"phone": "+7 701 000 00 00"},
        },
        headers=p.headers("vera", **{"If-Match": '"1"'}),
    )
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == '"2"' and r.json()["has_contact"] is True
    assert r.json()["completeness"] > 0
    updated = [e for e in p.events() if e.type == "complaint.updated"]
    assert len(updated) == 1
    default_registry().validate(updated[0])
    assert updated[0].data["changed"]["sub_area"] == "exam_bribes"
    # The phone stays in the vault (a longer needle: "701" alone can occur inside a uuid).
    assert "701 000 00 00" not in str(updated[0].to_dict()) and "+7 701" not in str(
        updated[0].to_dict()
    )
    # a second writer with the old version loses
    stale = p.intake.patch(
        f"{URL}/{cid}", json={"area": "police"}, headers=p.headers("lena", **{"If-Match": '"1"'})
    )
    assert stale.status_code == 409
    assert stale.json()["errors"][0]["field"] == "header.If-Match"
    missing = p.intake.patch(f"{URL}/{cid}", json={"area": "police"}, headers=p.headers("lena"))
    assert missing.status_code == 428
    bad = p.intake.patch(
        f"{URL}/{cid}", json={"area": "astrology"}, headers=p.headers("lena", **{"If-Match": '"2"'})
    )
    assert bad.status_code == 422
    assert p.intake.get(f"{URL}/{cid}", headers=p.headers("lena")).json()["area"] == "education"


@pytest.mark.parametrize("if_match", ['"two"', "*", '"1234567890"', '"-1"'])
def test_a_malformed_if_match_is_422_on_the_header_and_changes_nothing(sqlite_intake, if_match):
    """The intake's one rule (alac_kernel.versions): a malformed If-Match is an input error
    on `header.If-Match` (intake answered 400 before)."""
    p = sqlite_intake
    cid = p.intake.post(URL, json=GOOD, headers=p.headers("vera")).json()["id"]
    r = p.intake.patch(
        f"{URL}/{cid}", json={"area": "police"}, headers=p.headers("lena", **{"If-Match": if_match})
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["header.If-Match"]
    read = p.intake.get(f"{URL}/{cid}", headers=p.headers("lena"))
    assert read.json()["area"] is None and read.headers["etag"] == '"1"'


def test_patch_of_another_tenants_complaint_is_404(sqlite_intake):
    p = sqlite_intake
    cid = p.intake.post(URL, json=GOOD, headers=p.headers("vera")).json()["id"]
    r = p.intake.patch(
        f"{URL}/{cid}", json={"area": "police"}, headers=p.headers("dana", **{"If-Match": '"1"'})
    )
    assert r.status_code == 404
