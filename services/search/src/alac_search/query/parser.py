"""Parse the query language into a small tree that engines compile into their own syntax.

Only the tree reaches an engine, never the user's text: FTS5 or OpenSearch syntax in a query
is read as words or refused, so nothing can be injected. Language:

    bribe school        both words (AND is implied)
    "land office"       the words next to each other, in this order
    взят*               words starting with взят (at least two letters before *)
    a OR b, a AND b     operators in capitals; lower-case "or" is a word
    NOT a, -a           without a; needs a positive term beside it
    (a OR b) c          grouping

Punctuation inside a word splits it (crux:взятку is crux AND взятку). Anything the parser
cannot read raises QueryError with the reason, which the API answers with a 400.
"""

from __future__ import annotations

from dataclasses import dataclass

from alac_search.analysis.text import words

MAX_TERMS = 32
MAX_DEPTH = 8
MIN_PREFIX = 2


class QueryError(ValueError):
    """A query the parser cannot read; the API answers 400 naming query.q with this reason."""


@dataclass(frozen=True)
class Term:
    word: str  # folded
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Phrase | Not | And | Or
_OPERATORS = {"AND", "OR", "NOT"}


def _lex(q: str) -> list[tuple[str, object]]:
    """Tokens: ("(",), (")",), ("op", name), ("neg",), ("phrase", words), ("words", node)."""
    tokens: list[tuple[str, object]] = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append((c, None))
            i += 1
        elif c == '"':
            end = q.find('"', i + 1)
            if end < 0:
                raise QueryError('a phrase is not closed: a " is missing')
            ws = words(q[i + 1 : end])
            if ws:
                tokens.append(("phrase", Phrase(tuple(ws))))
            i = end + 1
        elif c == "-" and i + 1 < n and not q[i + 1].isspace() and q[i + 1] != "-":
            tokens.append(("neg", None))
            i += 1
        else:
            j = i
            while j < n and not q[j].isspace() and q[j] not in '()"':
                j += 1
            chunk = q[i:j]
            i = j
            if chunk in _OPERATORS:
                tokens.append(("op", chunk))
                continue
            ws = words(chunk)
            if not ws:
                continue  # punctuation on its own is not a word
            prefix = chunk.rstrip().endswith("*")
            if prefix and len(ws[-1]) < MIN_PREFIX:
                raise QueryError(f"a prefix needs at least {MIN_PREFIX} letters before the *")
            terms = [Term(w) for w in ws[:-1]] + [Term(ws[-1], prefix=prefix)]
            tokens.append(("words", terms[0] if len(terms) == 1 else And(tuple(terms))))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, object]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, object] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, object]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse_or(self, depth: int) -> Node:
        children = [self.parse_and(depth)]
        while self.peek() == ("op", "OR"):
            self.take()
            nxt = self.peek()
            if nxt is None or nxt[0] == ")" or nxt in (("op", "AND"), ("op", "OR")):
                raise QueryError("OR needs a term on both sides")
            children.append(self.parse_and(depth))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self, depth: int) -> Node:
        children = [self.parse_unary(depth)]
        while True:
            token = self.peek()
            if token is None or token[0] == ")" or token == ("op", "OR"):
                break
            if token == ("op", "AND"):
                self.take()
                nxt = self.peek()
                if nxt is None or nxt[0] == ")" or nxt in (("op", "AND"), ("op", "OR")):
                    raise QueryError("AND needs a term on both sides")
            children.append(self.parse_unary(depth))
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self, depth: int) -> Node:
        token = self.peek()
        if token is None:
            raise QueryError("the query ends where a term was expected")
        if token[0] == "neg" or token == ("op", "NOT"):
            self.take()
            following = self.peek()
            if following is None or following[0] in (")", "op"):
                raise QueryError("NOT (or -) needs a term after it")
            return Not(self.parse_unary(depth))
        return self.parse_primary(depth)

    def parse_primary(self, depth: int) -> Node:
        kind, value = self.take()
        if kind == "(":
            if depth >= MAX_DEPTH:
                raise QueryError(f"parentheses are nested more than {MAX_DEPTH} deep")
            first = self.peek()
            if first is not None and first[0] == ")":
                raise QueryError("empty parentheses")
            node = self.parse_or(depth + 1)
            closing = self.peek()
            if closing is None or closing[0] != ")":
                raise QueryError("a parenthesis is not closed: a ) is missing")
            self.take()
            return node
        if kind == ")":
            raise QueryError("a ) has no matching (")
        if kind == "op":
            raise QueryError(f"{value} needs a term on both sides")
        if not isinstance(value, Term | Phrase | And):  # "words" and "phrase" tokens
            raise QueryError("a term was expected")
        return value


def _count(node: Node) -> int:
    if isinstance(node, Term):
        return 1
    if isinstance(node, Phrase):
        return len(node.words)
    if isinstance(node, Not):
        return _count(node.child)
    return sum(_count(c) for c in node.children)


def _check_negations(node: Node) -> None:
    """FTS5 (and sensible search) needs something positive next to every NOT."""
    if isinstance(node, Not):
        raise QueryError("a NOT (or -) term needs a positive term beside it")
    if isinstance(node, And):
        positives = [c for c in node.children if not isinstance(c, Not)]
        if not positives:
            raise QueryError("a NOT (or -) term needs a positive term beside it")
        for child in node.children:
            _check_negations(child.child if isinstance(child, Not) else child)
    elif isinstance(node, Or):
        for child in node.children:
            _check_negations(child)


def parse(q: str) -> Node:
    """The query tree of `q`, or QueryError saying why it cannot be read."""
    if not words(q):
        raise QueryError("the query has no words to search for")
    tokens = _lex(q)
    if not tokens:
        raise QueryError("the query has no words to search for")
    parser = _Parser(tokens)
    node = parser.parse_or(0)
    if parser.peek() is not None:
        raise QueryError("a ) has no matching (")
    if _count(node) > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} words")
    _check_negations(node)
    return node


def positive_terms(node: Node) -> list[Term | Phrase]:
    """The terms a match must (or may) contain, for highlighting."""
    if isinstance(node, Term | Phrase):
        return [node]
    if isinstance(node, Not):
        return []
    return [t for c in node.children for t in positive_terms(c)]
