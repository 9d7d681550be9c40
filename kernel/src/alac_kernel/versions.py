"""Optimistic concurrency on versioned records, one rule for every service.

A reader gets the record's version as a strong ETag (``"3"``); a writer sends it back in
``If-Match`` (or, where the API allows, as ``version`` in the body). A malformed If-Match is an
input error on the header field (422); a missing version is 428; a stale one is a
``StaleVersion`` conflict raised by the use case that compares it.
"""

from __future__ import annotations

import re

from alac_kernel.errors import InvalidFields, StaleVersion, VersionRequired

_ETAG = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')
IF_MATCH_FIELD = "header.If-Match"


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str, *, what: str) -> int:
    match = _ETAG.match(value.strip())
    if match is None:
        raise InvalidFields.one(IF_MATCH_FIELD, f'expected the {what} version, e.g. "3"')
    return int(match.group(1))


def expected_version(
    *,
    what: str,
    if_match: str | None,
    body_version: int | None = None,
    body_field: str | None = "body.version",
) -> int:
    """The version the caller last read, from If-Match or (if ``body_field``) the body."""
    header_version = parse_if_match(if_match, what=what) if if_match is not None else None
    if header_version is not None and body_version is not None and header_version != body_version:
        raise InvalidFields.one(body_field or "body.version", "differs from the If-Match header")
    version = header_version if header_version is not None else body_version
    if version is None:
        if body_field is None:
            raise VersionRequired(
                f"If-Match is required: send the ETag (version) of the {what} you read.",
                errors=[{"field": IF_MATCH_FIELD, "reason": "field required"}],
            )
        raise VersionRequired(
            f"Send the {what} version you last read (If-Match header or `version`) so a "
            "concurrent change is not overwritten.",
            errors=[{"field": body_field, "reason": "field required (or If-Match)"}],
        )
    return version


def check_version(what: str, *, expected: int, current: int) -> None:
    if current != expected:
        raise StaleVersion(what, expected=expected, current=current)
