"""Highlighted snippets computed from the stored text with the same analysis as matching, so
both engines highlight alike. The text is HTML-escaped; only <mark> tags are added."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from alac_search.analysis.text import fold_word, latin_form, stem
from alac_search.query.parser import Node, Phrase, Term, positive_terms

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _matcher(node: Node) -> Callable[[str], bool]:
    exact: set[str] = set()
    stems: set[str] = set()
    latins: set[str] = set()
    prefixes: list[str] = []
    for term in positive_terms(node):
        if isinstance(term, Phrase):
            exact.update(term.words)
        elif isinstance(term, Term) and term.prefix:
            prefixes.append(term.word)
            prefixes.append(latin_form(term.word))
        elif isinstance(term, Term):
            stems.add(stem(term.word))
            latins.add(latin_form(term.word))

    def matches(word: str) -> bool:
        w = fold_word(word)
        return (
            w in exact
            or stem(w) in stems
            or latin_form(w) in latins
            or any(w.startswith(p) or latin_form(w).startswith(p) for p in prefixes)
        )

    return matches


def snippet(text: str, node: Node, *, words: int = 24) -> str:
    """About `words` words around the first match, matches wrapped in <mark>."""
    spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if not spans:
        return html.escape(text[:200])
    matches = _matcher(node)
    hits = [i for i, (a, b) in enumerate(spans) if matches(text[a:b])]
    first = hits[0] if hits else 0
    lo = max(0, first - words // 3)
    hi = min(len(spans), lo + words)
    start = spans[lo][0] if lo > 0 else 0
    end = spans[hi - 1][1] if hi < len(spans) else len(text)
    out = ["…" if lo > 0 else ""]
    pos = start
    marked = set(hits)
    for i in range(lo, hi):
        a, b = spans[i]
        out.append(html.escape(text[pos:a]))
        piece = html.escape(text[a:b])
        out.append(f"<mark>{piece}</mark>" if i in marked else piece)
        pos = b
    out.append(html.escape(text[pos:end]))
    if hi < len(spans):
        out.append("…")
    return "".join(out)
