"""Compile a query tree into an FTS5 MATCH expression over the embedded engine's columns.

Every string is a quoted FTS5 string made of analysed words (letters and digits only), so the
user's text never becomes FTS5 syntax. The tenant token is ANDed at the top: the tenant is part
of the MATCH itself, never a filter applied to results afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def tag_token(tenant: str, name: str, value: str) -> str:
    """One opaque word per tenant and filter value (tk, office=almaty...), indexed in the `tags`
    column, so a filter narrows the match inside FTS5 before any row is joined or scored."""
    return "f" + f"{tenant}\x1f{name}={value}".encode().hex()


def match_expression(
    tenant: str, node: Node | None, *, tags: Sequence[str] = (), text: str | None = None
) -> str:
    """The MATCH: the tenant's filter tags (each names the tenant) or, without filters, the
    tenant token; AND the query (or a ready `text`). Either way the tenant is in the MATCH.
    With filters the bare tenant token is left out on purpose: bm25 counts the documents of
    every phrase in the MATCH, and the tenant's phrase holds most of the index (measured at 1M
    complaints: 52 ms with it, 37 ms without; docs/performance.md)."""
    parts = [f"tags : {_q(t)}" for t in tags] or [f"tenant : {_q(tenant_token(tenant))}"]
    if text is not None:
        parts.append(text)
    elif node is not None:
        parts.append(_node(node))
    else:
        raise ValueError("a MATCH needs a query or a ready text")
    return " AND ".join(parts)
