"""Compile a query tree into an FTS5 MATCH expression over the embedded engine's columns.

Every string is a quoted FTS5 string made of analysed words (letters and digits only), so the
user's text never becomes FTS5 syntax. The engine keeps each tenant's rows in a row-id range of
its own and gives FTS5 that range with the MATCH (engines/embedded.py), so the tenant bounds the
match inside FTS5 without being a phrase of it; `match_expression` ANDs the tenant's token
instead (every FTS5 row still carries it), for checks that the two agree.
"""

from __future__ import annotations

from alac_search.analysis.text import latin_form, stem
from alac_search.query.parser import And, Node, Not, Or, Phrase, Term


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def tenant_token(tenant: str) -> str:
    """One opaque word per tenant, so no tenant id can be split or confused by the tokenizer."""
    return "t" + tenant.encode().hex()


def _node(node: Node) -> str:
    if isinstance(node, Term):
        if node.prefix:
            return f"(plain : {_q(node.word)} * OR latin : {_q(latin_form(node.word))} *)"
        return (
            f"(plain : {_q(node.word)} OR stem : {_q(stem(node.word))}"
            f" OR latin : {_q(latin_form(node.word))})"
        )
    if isinstance(node, Phrase):
        plain = " ".join(node.words)
        latin = " ".join(latin_form(w) for w in node.words)
        return f"(plain : {_q(plain)} OR latin : {_q(latin)})"
    if isinstance(node, Or):
        return "(" + " OR ".join(_node(c) for c in node.children) + ")"
    if isinstance(node, And):
        positives = [_node(c) for c in node.children if not isinstance(c, Not)]
        negatives = [_node(c.child) for c in node.children if isinstance(c, Not)]
        expr = "(" + " AND ".join(positives) + ")"
        if negatives:
            expr = f"({expr} NOT ({' OR '.join(negatives)}))"
        return expr
    raise TypeError(f"a NOT cannot stand alone: {node!r}")  # the parser refuses these


def text_expression(node: Node) -> str:
    """The query alone as a MATCH (the engine bounds it by the tenant's row-id range). No
    tenant or filter phrase is in it on purpose: bm25 counts the documents of every phrase of
    the MATCH on each query, and a tenant's phrase holds most of the index (at 1M complaints
    that count was most of a phrase or prefix query's time; docs/performance.md)."""
    return _node(node)


def match_expression(tenant: str, node: Node) -> str:
    """The query ANDed with the tenant's token: the same matches as `text_expression` within
    the tenant's row range (the checks of the ranking compare the two)."""
    return f"tenant : {_q(tenant_token(tenant))} AND {_node(node)}"
