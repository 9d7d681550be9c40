"""The embedded FTS5 index on its own: external versioning per aggregate, idempotence, tenant
isolation inside the engine, and the query builder that keeps FTS5 syntax out."""

from __future__ import annotations

import sqlite3

import pytest

from alac_search.engine import EmbeddedIndex, QueryError, to_match_expression


@pytest.fixture
def index(tmp_path):
    ix = EmbeddedIndex(tmp_path / "index.db")
    yield ix
    ix.close()


def fields(crux: str, office: str = "almaty", **extra) -> dict:
    return {
        "office": office,
        "channel": "hotline",
        "received_at": "2025-03-01T10:00:00+00:00",
        "crux": crux,
        **extra,
    }


def fts_rows(index: EmbeddedIndex, doc_id: str) -> int:
    with sqlite3.connect(index.path) as conn:
        return conn.execute(
            "SELECT count(*) FROM documents_fts WHERE doc_id = ?", (doc_id,)
        ).fetchone()[0]


def found(index: EmbeddedIndex, tenant: str, q: str, **kw) -> list[str]:
    return [hit.id for hit in index.search(tenant, q, **kw)]


def test_an_older_complaint_version_never_overwrites_a_newer_one(index):
    assert index.apply_complaint("tk", "c1", 2, fields("вторая редакция жалобы", office="astana"))
    assert not index.apply_complaint("tk", "c1", 1, fields("первая редакция жалобы"))

    assert found(index, "tk", "вторая") == ["c1"]
    assert found(index, "tk", "первая") == []
    (hit,) = index.search("tk", "жалобы")
    assert hit.office == "astana"
    assert fts_rows(index, "c1") == 1

    # A newer version does replace it, text and fields.
    assert index.apply_complaint("tk", "c1", 3, fields("третья редакция", area="police"))
    assert found(index, "tk", "вторая") == []
    (hit,) = index.search("tk", "третья")
    assert (hit.office, hit.area) == ("almaty", "police")
    assert fts_rows(index, "c1") == 1


def test_applying_the_same_version_twice_is_harmless(index):
    assert index.apply_complaint("tk", "c1", 1, fields("взятка за справку"))
    assert not index.apply_complaint("tk", "c1", 1, fields("взятка за справку"))
    assert not index.apply_complaint("tk", "c1", 1, fields("другой текст"))
    assert found(index, "tk", "взятка") == ["c1"]
    assert found(index, "tk", "другой") == []
    assert fts_rows(index, "c1") == 1

    assert index.apply_case("tk", "c1", "k1", 1, "triage")
    assert not index.apply_case("tk", "c1", "k1", 1, "closed")
    (hit,) = index.search("tk", "взятка")
    assert (hit.case_id, hit.status) == ("k1", "triage")


def test_an_older_case_version_never_overwrites_a_newer_status(index):
    index.apply_complaint("tk", "c1", 1, fields("взятка за справку"))
    assert index.apply_case("tk", "c1", "k1", 2, "in_progress")
    assert not index.apply_case("tk", "c1", "k1", 1, "triage")
    (hit,) = index.search("tk", "справку")
    assert hit.status == "in_progress"


def test_the_case_may_arrive_before_its_complaint(index):
    assert index.apply_case("tk", "c1", "k1", 1, "triage")
    assert found(index, "tk", "взятка") == []
    assert index.apply_complaint("tk", "c1", 1, fields("взятка в суде"))
    (hit,) = index.search("tk", "взятка")
    assert (hit.id, hit.case_id, hit.status, hit.office) == ("c1", "k1", "triage", "almaty")


def test_a_complaint_without_case_is_received(index):
    index.apply_complaint("tk", "c1", 1, fields("взятка в суде"))
    (hit,) = index.search("tk", "суде")
    assert (hit.status, hit.case_id) == ("received", None)


def test_another_tenant_cannot_overwrite_a_document_with_the_same_id(index):
    index.apply_complaint("tk", "c1", 1, fields("исходный текст tk"))
    intruder = fields("подмена текста ndi", office="shymkent")
    assert not index.apply_complaint("ndi", "c1", 5, intruder)
    assert not index.apply_case("ndi", "c1", "k-ndi", 5, "closed")

    (hit,) = index.search("tk", "исходный")
    assert (hit.office, hit.status, hit.case_id) == ("almaty", "received", None)
    assert found(index, "tk", "подмена") == []
    assert found(index, "ndi", "подмена") == []
    assert found(index, "ndi", "исходный") == []


def test_search_is_scoped_to_the_tenant_and_the_office(index):
    index.apply_complaint("tk", "a", 1, fields("взятка в акимате", office="almaty"))
    index.apply_complaint("tk", "b", 1, fields("взятка в школе", office="astana"))
    index.apply_complaint("ndi", "c", 1, fields("взятка в больнице", office="shymkent"))

    assert sorted(found(index, "tk", "взятка")) == ["a", "b"]
    assert found(index, "tk", "взятка", office="astana") == ["b"]
    assert found(index, "tk", "взятка", office="shymkent") == []
    assert found(index, "ndi", "взятка") == ["c"]
    assert found(index, "other", "взятка") == []
    assert len(index.search("tk", "взятка", limit=1)) == 1


def test_case_and_kazakh_letters_fold_and_tokenise(index):
    index.apply_complaint("tk", "kz", 1, fields("Әкімдіктің қызметкері ақша сұрады"))
    index.apply_complaint("tk", "ru", 1, fields("Взятку требовал ИНСПЕКТОР"))
    assert found(index, "tk", "әкімдіктің") == ["kz"]
    assert found(index, "tk", "ӘКІМДІКТІҢ") == ["kz"]
    assert found(index, "tk", "ҚЫЗМЕТКЕРІ СҰРАДЫ") == ["kz"]
    assert found(index, "tk", "әкімдікті") == []  # ң belongs to the word
    assert found(index, "tk", "взятку инспектор") == ["ru"]
    assert found(index, "tk", "ВЗЯТКУ") == ["ru"]


def test_the_match_expression_quotes_every_word():
    assert to_match_expression("взятку") == '"взятку"'
    assert to_match_expression('a "b" OR c* NEAR(d) -e f:g') == (
        '"a" AND "b" AND "OR" AND "c" AND "NEAR" AND "d" AND "e" AND "f" AND "g"'
    )
    assert to_match_expression("foo_bar") == '"foo" AND "bar"'
    assert to_match_expression("Қазақ тілі") == '"Қазақ" AND "тілі"'


@pytest.mark.parametrize("q", ["", "   ", '"', "()", "*:-^", "___", "«»"])
def test_a_query_without_words_is_refused(q):
    with pytest.raises(QueryError, match="no words"):
        to_match_expression(q)


def test_a_query_with_too_many_words_is_refused(index):
    to_match_expression(" ".join(["w"] * 32))
    with pytest.raises(QueryError, match="32"):
        to_match_expression(" ".join(["w"] * 33))
    with pytest.raises(QueryError):
        index.search("tk", " ".join(["w"] * 33))
