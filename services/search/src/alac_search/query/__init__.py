"""The search query language: words, "phrases", prefix*, AND/OR/NOT, -word, parentheses."""

from alac_search.query.parser import And, Not, Or, Phrase, QueryError, Term, parse

__all__ = ["And", "Not", "Or", "Phrase", "QueryError", "Term", "parse"]
