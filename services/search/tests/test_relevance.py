"""Relevance in Russian, Kazakh and English: a small corpus with the expected top result."""

from __future__ import annotations

import pytest

from alac_search.engines.base import SearchRequest
from alac_search.engines.embedded import EmbeddedEngine
from alac_search.query.parser import parse

CORPUS = {
    "ru-school": "Директор школы требует взятку за зачисление ребёнка в первый класс.",
    "ru-police": "Сотрудник полиции вымогал взятку за то, чтобы не составлять протокол.",
    "ru-court": "Судья третий год не исполняет решение суда о выплате алиментов.",
    "ru-land": "Акимат изъял земельный участок без компенсации.",
    "kz-akimat": "Әкімдік қызметкері жер телімі үшін пара сұрады.",
    "kz-hospital": "Аурухана дәрігері операция үшін ақша талап етті.",
    "kz-school": "Мектеп директоры балаларды қабылдау үшін ақша жинайды.",
    "en-border": "A customs officer at the border demanded bribes from truck drivers.",
    "en-housing": "The housing office refuses to register our flat without a payment.",
    "en-court": "The court has delayed the hearing of my case for two years.",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    ix = EmbeddedEngine(tmp_path_factory.mktemp("rel") / "index.db")
    for doc_id, crux in CORPUS.items():
        ix.apply("tk", doc_id, 1, {"office": "almaty", "crux": crux})
    yield ix
    ix.close()


@pytest.mark.parametrize(
    ("q", "top"),
    [
        ("взятки школа", "ru-school"),
        ("взяткой полиция протокол", "ru-police"),
        ("исполняют решения суда", "ru-court"),
        ("земельные акиматы", "ru-land"),
        ("пара әкімдік", "kz-akimat"),
        ("parа akimdik", "kz-akimat"),
        # No Snowball stemmer for Kazakh: a prefix finds its inflected forms.
        ("дәрігер* операция", "kz-hospital"),
        ("mektep direktory", "kz-school"),
        ("bribe border", "en-border"),
        ("registering flats", "en-housing"),
        ("court hearings delayed", "en-court"),
    ],
)
def test_the_expected_complaint_comes_first(engine, q, top):
    hits = engine.search(SearchRequest(tenant="tk", query=parse(q), limit=3)).hits
    assert hits and hits[0].id == top, (q, [h.id for h in hits])


def test_any_word_of_an_or_query_ranks_documents_with_more_matches_higher(engine):
    hits = engine.search(
        SearchRequest(tenant="tk", query=parse("взятку OR школы OR директор"), limit=3)
    ).hits
    assert hits[0].id == "ru-school"
    assert {h.id for h in hits} >= {"ru-school", "ru-police"}
