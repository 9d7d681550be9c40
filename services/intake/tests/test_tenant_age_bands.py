"""A tenant admin sets the centre's own age bands; complaints then use them, and the previous
version stays readable on complaints recorded with it."""

from __future__ import annotations

BANDS = {
    "items": [
        {"code": "age_25_39", "label_en": "25–39", "label_ru": "25–39", "label_kk": "25–39"},
        {"code": "age_40_50", "label_en": "40–50", "label_ru": "40–50", "label_kk": "40–50"},
    ]
}


def _complaint(age_band: str) -> dict:
    return {"channel": "hotline", "crux": "Взятка в школе", "complainant": {"age_band": age_band}}


def test_tenant_admin_replaces_age_bands_and_complaints_follow(sqlite_intake):
    p = sqlite_intake
    # The default bands apply until the tenant has its own.
    assert (
        p.intake.post(
            "/v1/complaints", json=_complaint("age_40_50"), headers=p.headers("vera")
        ).status_code
        == 422
    )
    old = p.intake.post("/v1/complaints", json=_complaint("age_46_60"), headers=p.headers("vera"))
    assert old.status_code == 201

    put = p.intake.put("/v1/reference/age_bands", json=BANDS, headers=p.headers("tamara"))
    assert put.status_code == 200, put.text
    assert [i["code"] for i in put.json()["items"]] == ["age_25_39", "age_40_50"]

    listed = p.intake.get("/v1/reference/age_bands", params={"tenant": "tk"}).json()["items"]
    assert [i["code"] for i in listed] == ["age_25_39", "age_40_50"]
    # Another tenant keeps the defaults.
    other = p.intake.get("/v1/reference/age_bands", params={"tenant": "ndi"}).json()["items"]
    assert "age_46_60" in [i["code"] for i in other]

    assert (
        p.intake.post(
            "/v1/complaints", json=_complaint("age_40_50"), headers=p.headers("vera")
        ).status_code
        == 201
    )
    refused = p.intake.post(
        "/v1/complaints", json=_complaint("age_46_60"), headers=p.headers("vera")
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.complainant.age_band"
    # The complaint recorded with the default band still reads.
    assert (
        p.intake.get(f"/v1/complaints/{old.json()['id']}", headers=p.headers("lena")).status_code
        == 200
    )

    # A second version retires the first one; the first stays listed as retired.
    again = {
        "items": [
            {"code": "age_18_39", "label_en": "18–39", "label_ru": "18–39", "label_kk": "18–39"}
        ]
    }
    assert (
        p.intake.put("/v1/reference/age_bands", json=again, headers=p.headers("tamara")).status_code
        == 200
    )
    everything = p.intake.get(
        "/v1/reference/age_bands", params={"tenant": "tk", "include_retired": "true"}
    ).json()["items"]
    assert {i["code"]: i["current"] for i in everything} == {
        "age_25_39": False,
        "age_40_50": False,
        "age_18_39": True,
    }


def test_only_tenant_admins_change_lists_and_bad_input_is_refused(sqlite_intake):
    p = sqlite_intake
    assert (
        p.intake.put("/v1/reference/age_bands", json=BANDS, headers=p.headers("kazbek")).status_code
        == 403
    )
    assert p.intake.put("/v1/reference/age_bands", json=BANDS).status_code == 401
    assert (
        p.intake.put("/v1/reference/areas", json=BANDS, headers=p.headers("tamara")).status_code
        == 404
    )
    duplicate = {"items": [BANDS["items"][0], BANDS["items"][0]]}
    bad = p.intake.put("/v1/reference/age_bands", json=duplicate, headers=p.headers("tamara"))
    assert bad.status_code == 422
    empty = p.intake.put("/v1/reference/age_bands", json={"items": []}, headers=p.headers("tamara"))
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "body.items"
    wrong = p.intake.put(
        "/v1/reference/age_bands",
        json={"items": [{"code": "Age 25", "label_en": "x", "label_ru": "x", "label_kk": "x"}]},
        headers=p.headers("tamara"),
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "body.items.0.code"
    # Nothing was written by the refused requests.
    listed = p.intake.get("/v1/reference/age_bands", params={"tenant": "tk"}).json()["items"]
    assert "age_46_60" in [i["code"] for i in listed]
