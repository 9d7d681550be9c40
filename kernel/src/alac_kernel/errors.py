"""Domain errors: what a use case raises when it refuses, in the domain's words.

Service modules raise these and never an HTTP status: the CLI prints them as one line, and the
app factory (``install_problem_handlers``) turns each into an RFC 9457 problem+json body in one
place, with the detail in the caller's language when the error carries translations.

    raise NotFound("case")
    raise InvalidFields.one("body.outcome", "required when closing a case")
    raise StaleVersion("case", expected=3, current=4)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal the caller can act on. ``status`` is only read by the HTTP edge."""

    status: ClassVar[int] = 400
    default_title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        title: str | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
        translations: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.title = title or self.default_title
        self.errors = [dict(e) for e in errors or []]
        # Detail in kk/ru; English is `detail` itself.
        self.translations = dict(translations or {})
        self.headers = dict(headers or {})
        self.extensions = extensions

    def detail_in(self, lang: str) -> str:
        return self.translations.get(lang) or self.detail

    def __str__(self) -> str:
        return self.detail


class InvalidFields(DomainError):
    """One or more fields of the input break a rule; ``errors`` names each field and reason."""

    status = 422
    default_title = "Invalid request"

    @classmethod
    def one(cls, field: str, reason: str, **kwargs: Any) -> InvalidFields:
        return cls(f"{field}: {reason}", errors=[{"field": field, "reason": reason}], **kwargs)

    @classmethod
    def many(cls, errors: Sequence[Mapping[str, Any]], **kwargs: Any) -> InvalidFields:
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors) or "invalid request"
        return cls(detail, errors=errors, **kwargs)


class NotFound(DomainError):
    """Missing, or another tenant's or office's: the caller cannot tell which (no oracle)."""

    status = 404
    default_title = "Not found"

    def __init__(self, what: str, **kwargs: Any) -> None:
        super().__init__(f"{what} not found", **kwargs)


class Forbidden(DomainError):
    """The caller is known but their role or office does not allow this."""

    status = 403
    default_title = "Forbidden"


class Conflict(DomainError):
    """The request is well formed but the record's state does not allow it now."""

    status = 409
    default_title = "Conflict"


class StaleVersion(Conflict):
    """Optimistic concurrency: the caller read an older version of the record."""

    def __init__(self, what: str, *, expected: int, current: int, **kwargs: Any) -> None:
        kwargs.setdefault("title", f"Stale {what} version")
        super().__init__(
            f"The {what} changed since version {expected}; it is now at version {current}. "
            "Read it again and retry.",
            current_version=current,
            **kwargs,
        )


class VersionRequired(DomainError):
    """A change to a versioned record came without the version the caller last read."""

    status = 428
    default_title = "Precondition required"


class TooManyRequests(DomainError):
    status = 429
    default_title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **kwargs: Any) -> None:
        headers = {"Retry-After": str(max(1, int(retry_after))), **kwargs.pop("headers", {})}
        super().__init__(detail, headers=headers, **kwargs)


class Unavailable(DomainError):
    """A dependency (another service, the key service, the bus) cannot answer now."""

    status = 503
    default_title = "Service unavailable"


class Gone(DomainError):
    """The record existed but its content was destroyed on purpose (erased personal data)."""

    status = 410
    default_title = "Gone"


class BadGateway(DomainError):
    """A dependency answered, but refused in a way the caller cannot fix (an identity provider's
    unexpected refusal)."""

    status = 502
    default_title = "Bad gateway"
