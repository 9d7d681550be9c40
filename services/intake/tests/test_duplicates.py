"""Possible duplicates: same contact or nearly the same text within 90 days, flagged for staff
(stored, listed at /possible-duplicates, also in the 201 answer), never merged, never across
tenants; and a lookup whose cost does not grow with the number of complaints."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from alac_intake.app import MIGRATIONS
from alac_intake.complaints.models import Complaint
from alac_intake.duplicates import minhash
from alac_intake.duplicates import service as duplicates
from alac_intake.duplicates.models import ComplaintTextBand, PossibleDuplicate
from alac_kernel.db import make_engine, make_session_factory, new_id, session_scope
from alac_kernel.migrations import upgrade
from alac_kernel.testing.postgres import fresh_database

URL = "/v1/complaints"
TEXT = (
    "Директор школы № 12 в Алматы требует с родителей по 50 000 тенге в «фонд класса» за "
    "зачисление ребёнка в первый класс; квитанций не дают, деньги передают классному "
    "руководителю наличными, отказавшимся говорят, что мест нет."
)
# A re-submission: typos, a changed number, other punctuation and case, a word added.
EDITED = (
    "директор школы №12 в Алматы требует с родителей по 60 000 тенге в фонд класса за "
    "зачисление ребенка в первый класс, квитанций не дают, деньги передают классному "
    "руководителю наличными а отказавшимся говорят что мест нет!!"
)


def post(p, user, crux, **extra):
    r = p.intake.post(
        URL, json={"channel": "hotline", "crux": crux, **extra}, headers=p.headers(user)
    )
    assert r.status_code == 201, r.text
    return r.json()


def flags(p, user, complaint_id):
    r = p.intake.get(f"{URL}/{complaint_id}/possible-duplicates", headers=p.headers(user))
    return r


def test_near_duplicate_text_is_flagged_stored_and_listed_never_merged(intake):
    p = intake
    first = post(p, "vera", TEXT)
    unrelated = post(p, "vera", "Полиция отказала в регистрации заявления о краже скота в селе.")
    again = post(p, "lena", EDITED)
    assert first["possible_duplicates"] == [] and unrelated["possible_duplicates"] == []
    assert again["possible_duplicates"] == [first["id"]]
    # Stored for review, visible from both complaints, with the reason and the score.
    later = flags(p, "kazbek", again["id"]).json()["possible_duplicates"]
    assert [(f["other_complaint_id"], f["reason"], f["registered_later"]) for f in later] == [
        (first["id"], "similar_text", True)
    ]
    assert 0.9 <= later[0]["score"] < 1.0
    earlier = flags(p, "lena", first["id"]).json()["possible_duplicates"]
    assert [(f["other_complaint_id"], f["registered_later"]) for f in earlier] == [
        (again["id"], False)
    ]
    assert flags(p, "vera", unrelated["id"]).json()["possible_duplicates"] == []
    # Never merged: both complaints stay, each with its own text.
    assert p.intake.get(f"{URL}/{first['id']}", headers=p.headers("lena")).json()["crux"] == TEXT
    assert p.intake.get(f"{URL}/{again['id']}", headers=p.headers("lena")).json()["crux"] == EDITED


def test_same_contact_is_flagged(intake):
    p = intake
    first = post(
        p, "vera", "Акимат не отвечает на заявление о земле.", contact={"phone": "+7 701 222 33 44"}
    )
    second = post(
        p, "vera", "Совсем другая история про больницу.", contact={"phone": "87012223344"}
    )
    assert second["possible_duplicates"] == [first["id"]]
    listed = flags(p, "lena", second["id"]).json()["possible_duplicates"]
    assert [(f["other_complaint_id"], f["reason"], f["score"]) for f in listed] == [
        (first["id"], "same_contact", 1.0)
    ]


def test_other_tenant_is_never_flagged_nor_shown(intake):
    p = intake
    mine = post(p, "vera", TEXT, contact={"email": "same@example.kz"})
    theirs = post(p, "nurlan", TEXT, contact={"email": "same@example.kz"})
    assert theirs["possible_duplicates"] == []
    # Another tenant's complaint answers 404 exactly like a missing one.
    assert flags(p, "dana", mine["id"]).status_code == 404
    assert flags(p, "dana", "00000000-0000-0000-0000-000000000000").status_code == 404
    assert flags(p, "lena", mine["id"]).json()["possible_duplicates"] == []


def test_outside_the_period_is_not_flagged(intake):
    p = intake
    old = datetime.now(UTC) - timedelta(days=120)
    post(p, "vera", TEXT, received_at=old.isoformat(), contact={"phone": "+77015550000"})
    now = post(p, "vera", EDITED, contact={"phone": "+77015550000"})
    assert now["possible_duplicates"] == []
    inside = post(p, "vera", TEXT, received_at=(old + timedelta(days=40)).isoformat())
    assert now["id"] in inside["possible_duplicates"]


def test_normalisation_folds_case_alphabet_punctuation_and_spaces():
    assert minhash.normalise("  Взятка —  ВЗЯТКА!! ") == minhash.normalise("vziatka VZIATKA")
    assert minhash.bands("Директор, школы.") == minhash.bands("директор школы")
    assert len(minhash.bands("x")) == minhash.BANDS


WHO = (
    "Директор школы",
    "Инспектор полиции",
    "Врач поликлиники",
    "Сотрудник акимата",
    "Судебный исполнитель",
    "Заведующая детсадом",
    "Инспектор ГАИ",
    "Нотариус",
    "Начальник ЦОНа",
    "Участковый",
    "Прокурор района",
    "Председатель КСК",
)
DID = ("вымогает", "требует", "просит", "намекает на", "берёт", "задерживает за")
WHAT = (
    "оплату за отсрочку штрафа",
    "деньги за место в очереди",
    "подарок за справку",
    "взнос в фонд",
    "благодарность за документы",
    "наличные за разрешение на стройку",
    "перевод на карту за лечение",
    "деньги за регистрацию земли",
)
FILLER = (
    "я",
    "в",
    "и",
    "не",
    "что",
    "деньги",
    "так",
    "прошлом",
    "месяце",
    "осталась",
    "ответа",
    "обратился",
    "помочь",
    "прокуратуру",
    "свидетели",
    "сохранились",
    "переводы",
    "село",
    "сказал",
    "анонимность",
    "наличными",
    "столкнулись",
    "разобраться",
    "жалобу",
    "уже",
    "дважды",
    "сын",
    "мать",
    "соседи",
    "тоже",
    "платили",
    "боимся",
    "мести",
    "квитанции",
    "нет",
    "запись",
    "разговора",
    "телефон",
    "начальник",
    "знает",
    "молчит",
    "районе",
)


def _crux(rng: random.Random) -> str:
    """Unrelated complaints on the same topics (shared phrases and everyday words)."""
    weights = [1 / (rank + 1) for rank in range(len(FILLER))]
    words = [rng.choice(WHO), rng.choice(DID), rng.choice(WHAT) + "."]
    return " ".join(words + rng.choices(FILLER, weights=weights, k=rng.randint(12, 40)))


@pytest.mark.long
def test_lookup_reads_a_bounded_number_of_rows_at_3000_complaints(intake):
    """No timing: the lookup's own count of index rows read stays small while the tenant
    holds 3,000 complaints in the period (a scan would read thousands)."""
    p = intake
    factory = p.runtime.session_factory
    rng = random.Random(3)
    now = datetime.now(UTC)
    texts = [_crux(rng) for _ in range(3000)]
    rows = [
        dict(
            id=new_id(),
            tenant_id="tk",
            office="almaty",
            channel="hotline",
            received_at=now - timedelta(minutes=i),
            registered_at=now,
            registered_by="test",
            anonymous=False,
            crux=text,
            complainant_pseudonym=f"p{i}",
            status="received",
            version=1,
            completeness=0.0,
        )  # fmt: skip
        for i, text in enumerate(texts)
    ]
    # Written in two statements rather than 3,000 registrations: the rows index_text writes
    # for each crux (checked below on one of them), without a flush and a delete per row.
    with session_scope(factory, tenant="tk") as session:
        session.execute(insert(Complaint), rows)
        session.execute(
            insert(ComplaintTextBand),
            [
                dict(
                    tenant_id="tk",
                    complaint_id=row["id"],
                    band=band,
                    bucket_hash=bucket,
                    received_at=row["received_at"],
                )  # fmt: skip
                for row in rows
                for band, bucket in minhash.bands(row["crux"])
            ],
        )
    with session_scope(factory, tenant="tk") as session:
        sample = session.get(Complaint, rows[1234]["id"])
        written = _bands_of(session, sample.id)
        duplicates.index_text(session=session, complaint=sample)
        assert _bands_of(session, sample.id) == written and len(written) == minhash.BANDS
    resubmitted = texts[1234].replace(".", ",", 1) + " Прошу помочь."
    new = post(p, "vera", resubmitted)
    with session_scope(factory, tenant="tk") as session:
        bands = session.scalar(select(func.count()).select_from(ComplaintTextBand))
        assert bands == 3001 * minhash.BANDS
        complaint = session.get(Complaint, new["id"])
        lookup = duplicates.find_possible_duplicates(session=session, complaint=complaint)
        assert len(new["possible_duplicates"]) == 1
        assert lookup.ids == new["possible_duplicates"]
        # One row per shared band: the real duplicate accounts for most of them (up to BANDS).
        assert lookup.rows_examined <= 60, lookup.rows_examined
        assert lookup.texts_verified <= 10, lookup.texts_verified
        stored = session.execute(select(PossibleDuplicate.reason)).scalars().all()
        assert stored == ["similar_text"]
        # And the database's own plan: every band branch is an index search, no table scan.
        plan = _plan(session, duplicates._SAME_BUCKET, complaint)
        assert "ix_complaint_text_bands_bucket" in plan
        assert "SCAN complaint_text_bands" not in plan and "Seq Scan" not in plan, plan


def _bands_of(session, complaint_id: str) -> list[tuple]:
    found = select(
        ComplaintTextBand.band, ComplaintTextBand.bucket_hash, ComplaintTextBand.received_at
    )
    return session.execute(
        found.where(ComplaintTextBand.complaint_id == complaint_id).order_by(ComplaintTextBand.band)
    ).all()


def _plan(session, statement, complaint) -> str:
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    values = {
        "tenant": "tk",
        "complaint_id": complaint.id,
        "lo": complaint.received_at - duplicates.DUPLICATE_WINDOW,
        "hi": complaint.received_at + duplicates.DUPLICATE_WINDOW,
        **{f"bucket{band}": bucket for band, bucket in minhash.bands(complaint.crux)},
    }
    params = compiled.construct_params(values)
    if connection.dialect.name == "sqlite":
        sql, args = f"EXPLAIN QUERY PLAN {compiled}", tuple(params[k] for k in compiled.positiontup)
        return "\n".join(row[-1] for row in connection.exec_driver_sql(sql, args))
    sql = f"EXPLAIN {compiled}"
    return "\n".join(row[0] for row in connection.exec_driver_sql(sql, params))


# PostgreSQL marked, so the fast tier (no engines) leaves it to the whole suite.
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'intake.db'}"
    else:
        with fresh_database("alac_intake_migration") as url:
            yield url


def test_migration_backfills_bands_of_existing_complaints(database_url):
    """Complaints stored before the index existed get their bands from the migration, so a new
    complaint is compared with them at once."""
    upgrade(MIGRATIONS, database_url, "cf211cc32868")
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    rows = [
        {"id": new_id(), "tenant_id": tenant, "office": "almaty", "channel": "hotline",
         "received_at": now - timedelta(days=1), "registered_at": now, "registered_by": "t",
         "anonymous": True, "crux": crux, "complainant_pseudonym": new_id(),
         "status": "received", "version": 1, "completeness": 0.0, "case_version": 0}
        for tenant, crux in (("tk", TEXT), ("tk", "Акимат не выдаёт справку."), ("ndi", TEXT))
    ]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(Complaint.__table__.insert(), rows)
    upgrade(MIGRATIONS, database_url)
    factory = make_session_factory(engine)
    with session_scope(factory, tenant="tk") as session:
        stored = session.execute(select(ComplaintTextBand.complaint_id)).scalars().all()
        assert sorted(set(stored)) == sorted(r["id"] for r in rows if r["tenant_id"] == "tk")
        assert len(stored) == 2 * minhash.BANDS
        new = Complaint(
            id=new_id(), tenant_id="tk", office="almaty", channel="hotline", received_at=now,
            registered_at=now, registered_by="t", anonymous=True, crux=EDITED,
            complainant_pseudonym=new_id(), status="received", version=1, completeness=0.0,
        )  # fmt: skip
        session.add(new)
        session.flush()
        assert duplicates.flag_possible_duplicates(session=session, complaint=new).ids == [
            rows[0]["id"]
        ]
    engine.dispose()
