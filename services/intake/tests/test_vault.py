"""The personal-data vault: contacts encrypted at rest under per-tenant keys, pseudonyms that
recognise repeat complainants, audited reads for lawyers and coordinators only, and key
rotation with the data readable before, during and after."""

from __future__ import annotations

import base64
import os
import secrets
import stat

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from alac_intake.vault.crypto import MasterKeys, key_id, load_master_keys
from alac_intake.vault.models import ContactRead, ContactRecord, TenantKey
from alac_intake.vault.service import rotate_keys
from alac_kernel.crypto import unb64
from alac_kernel.db import session_scope
from alac_kernel.settings import Settings

URL = "/v1/complaints"
CONTACT = {
    "name": "Айгуль Сапарова",
    "phone": "8 701 555 12 34",
    "email": "aigul@example.kz",
    "address": "Алматы, ул. Абая 1",
    "identity_document": "045678912",
}


def submit(p, user="vera", contact=CONTACT, **extra):
    body = {
        "channel": "hotline",
        "crux": f"Жалоба {secrets.token_hex(4)} о поборах.",
        "contact": contact,
        **extra,
    }
    r = p.intake.post(URL, json=body, headers=p.headers(user))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def rows(p, model):
    rt = p.runtime
    with session_scope(rt.session_factory, all_tenants=True) as s:
        return [
            {c.name: getattr(r, c.name) for c in model.__table__.columns}
            for r in s.execute(select(model)).scalars()
        ]


def test_contact_is_encrypted_at_rest_and_never_in_events(intake):
    p = intake
    cid = submit(p)
    (stored,) = rows(p, ContactRecord)
    # The stored text is URL-safe base64: look for the secrets in the bytes it encodes (a short
    # digit run like "555" turns up in random base64 text now and then).
    sealed = unb64(stored["ciphertext"])
    for secret in ("Айгуль", "8 701 555 12 34", "aigul", "Абая", "045678912"):
        assert secret.encode() not in sealed
    assert all(k["wrapped"] and k["master_key_id"] for k in rows(p, TenantKey))
    rt = p.runtime
    with session_scope(rt.session_factory, all_tenants=True) as s:
        payloads = s.execute(select(rt.tables.outbox.c.payload)).scalars().all()
    # Whole values: the payloads carry ids and sealed text, where a run like "555" can occur.
    leaked = [v for v in CONTACT.values() if any(str(v) in str(x) for x in payloads)]
    assert payloads and leaked == []
    r = p.intake.get(f"{URL}/{cid}/contact", headers=p.headers("lena"))
    assert r.status_code == 200
    assert r.json() == CONTACT


def test_contact_reads_are_for_lawyer_and_coordinator_of_the_tenant_and_audited(sqlite_intake):
    p = sqlite_intake
    cid = submit(p)
    assert p.intake.get(f"{URL}/{cid}/contact", headers=p.headers("vera")).status_code == 403
    assert p.intake.get(f"{URL}/{cid}/contact", headers=p.headers("anuar")).status_code == 403
    other = p.intake.get(f"{URL}/{cid}/contact", headers=p.headers("dana"))
    missing = p.intake.get(
        f"{URL}/00000000-0000-4000-8000-000000000000/contact", headers=p.headers("dana")
    )
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"] == missing.json()["detail"]
    assert p.intake.get(f"{URL}/{cid}/contact", headers=p.headers("lena")).status_code == 200
    assert p.intake.get(f"{URL}/{cid}/contact", headers=p.headers("kazbek")).status_code == 200
    audit = rows(p, ContactRead)
    assert sorted((a["role"], a["complaint_id"]) for a in audit) == [
        ("coordinator", cid), ("lawyer", cid)
    ]  # fmt: skip
    assert all(a["subject"] and a["read_at"] for a in audit)


def test_repeat_complainant_gets_the_same_pseudonym_within_a_tenant_only(sqlite_intake):
    p = sqlite_intake
    first = submit(p, contact={"phone": "+7 (701) 555-12-34"})
    second = submit(p, contact={"phone": "87015551234", "name": "А. С."})
    third = submit(p, contact={"phone": "+7 701 999 00 00"})
    other_tenant = submit(p, user="nurlan", contact={"phone": "+7 701 555 12 34"})
    pseud = {
        cid: p.intake.get(f"{URL}/{cid}", headers=p.headers(u)).json()["complainant_pseudonym"]
        for cid, u in [(first, "lena"), (second, "lena"), (third, "lena"), (other_tenant, "dana")]
    }
    assert pseud[first] == pseud[second]
    assert pseud[third] != pseud[first]
    assert pseud[other_tenant] != pseud[first]
    assert "7015551234" not in pseud[first]


def test_anonymous_complaint_with_contact_is_refused(sqlite_intake):
    p = sqlite_intake
    r = p.intake.post(
        URL, json={"channel": "hotline", "crux": "x", "anonymous": True, "contact": {"phone": "+77010000000"}},
        headers=p.headers("vera"),
    )  # fmt: skip
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.contact"
    assert rows(p, ContactRecord) == []


def test_rotation_keeps_contacts_readable_before_during_and_after(intake, monkeypatch):
    p = intake
    ids = [submit(p, contact={**CONTACT, "phone": f"+7 701 000 00 {i:02d}"}) for i in range(5)]
    ndi = submit(p, user="nurlan")

    def all_readable():
        for cid in ids:
            r = p.intake.get(f"{URL}/{cid}/contact", headers=p.headers("lena"))
            assert r.status_code == 200 and r.json()["name"] == CONTACT["name"]
        assert p.intake.get(f"{URL}/{ndi}/contact", headers=p.headers("dana")).status_code == 200

    all_readable()
    rt = p.runtime
    old_master: MasterKeys = rt.master_keys
    # New master key; the old one stays configured as "previous" until rotation is done.
    rt.master_keys = MasterKeys(secrets.token_bytes(32), [old_master.current])
    seen_mixed = []

    def during(batch: int) -> None:
        versions = {r["key_version"] for r in rows(p, ContactRecord)}
        seen_mixed.append(versions)
        all_readable()
        # a write during rotation uses the newest key at once
        submit(p, contact={"phone": f"+7 702 000 00 {batch:02d}"})

    report = rotate_keys(
        factory=rt.session_factory, keys=rt.master_keys, batch_size=2, after_batch=during
    )
    assert report["tenants"] == 2 and report["rewrapped"] >= 4 and report["reencrypted"] >= 6
    assert {1, 2} in seen_mixed  # really mixed key versions at some point
    assert {r["key_version"] for r in rows(p, ContactRecord)} == {2}
    assert {r["master_key_id"] for r in rows(p, TenantKey)} == {key_id(rt.master_keys.current)}
    # after: readable with the new master key alone
    rt.master_keys = MasterKeys(rt.master_keys.current)
    all_readable()


def test_master_key_is_generated_once_0600_in_embedded_and_required_in_production(tmp_path):
    settings = Settings(data_dir=tmp_path)
    first = load_master_keys(settings, environ={})
    mode = stat.S_IMODE(os.stat(tmp_path / "intake-master.key").st_mode)
    assert mode == 0o600
    assert load_master_keys(settings, environ={}).current == first.current
    given = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    assert (
        load_master_keys(settings, environ={"ALAC_INTAKE_MASTER_KEY": given}).current
        != first.current
    )
    with pytest.raises(ValueError, match="32 bytes"):
        load_master_keys(settings, environ={"ALAC_INTAKE_MASTER_KEY": "c2hvcnQ="})
    prod = Settings.model_construct(profile="production", data_dir=tmp_path)
    with pytest.raises(ValueError, match="ALAC_INTAKE_MASTER_KEY"):
        load_master_keys(prod, environ={})


def test_cli_rotate_keys(tmp_path, monkeypatch):
    from alac_cli.main import app
    from alac_intake.app import build_runtime

    monkeypatch.setenv("ALAC_DATA_DIR", str(tmp_path))
    runtime = build_runtime(Settings(data_dir=tmp_path))
    runtime.migrate()
    runtime.close()
    result = CliRunner().invoke(app, ["intake", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "rotated: 0 tenant data keys" in result.output


def test_possible_duplicates_are_flagged_never_merged(sqlite_intake):
    p = sqlite_intake
    first = submit(p, contact={"phone": "+7 701 222 33 44"})
    same_person = p.intake.post(
        URL, json={"channel": "hotline", "crux": "Совсем другая история.", "contact": {"phone": "87012223344"}},
        headers=p.headers("vera"),
    )  # fmt: skip
    assert same_person.json()["possible_duplicates"] == [first]
    text = "Директор школы требует взятку за зачисление ребёнка в первый класс."
    a = p.intake.post(
        URL, json={"channel": "hotline", "crux": text}, headers=p.headers("vera")
    ).json()
    b = p.intake.post(
        URL, json={"channel": "web_form", "crux": text + "!"}, headers=p.headers("vera")
    ).json()
    assert a["id"] in b["possible_duplicates"] and a["id"] != b["id"]
    other = p.intake.post(
        URL,
        json={"channel": "hotline", "crux": "Полиция отказала в регистрации."},
        headers=p.headers("vera"),
    )
    assert other.json()["possible_duplicates"] == []
    assert p.intake.get(f"{URL}/{a['id']}", headers=p.headers("lena")).status_code == 200
