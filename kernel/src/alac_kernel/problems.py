"""RFC 9457 problem details for every error a service returns.

Every 4xx/5xx body is `application/problem+json` with `type`, `title`, `status`, `detail` and,
for input errors, `errors: [{"field": "body.crux", "reason": "..."}]` so a client can point at
the field. Unexpected exceptions become a 500 problem without a stack trace; the trace goes to
the log with the correlation id.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from alac_kernel.db import storage_refusal
from alac_kernel.errors import DomainError
from alac_kernel.languages import negotiate

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://alac.example.org/problems/"

log = logging.getLogger("alac.problems")

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class Problem(Exception):
    """Raise anywhere in a request to answer with a problem+json body."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type_: str | None = None,
        title: str | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type_ or (PROBLEM_BASE + _slug(title or _TITLES.get(status, "error")))
        self.title = title or _TITLES.get(status, "Error")
        self.errors = list(errors or [])
        self.headers = dict(headers or {})
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extensions)
        return body


# The RFC 9457 body every error has (extensions such as `allowed`, `missing_consent` or
# `current_version` may be added), for an OpenAPI document that lets clients and the
# schemathesis tests check it.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}

# What a status means when a route says nothing more specific (its OpenAPI description).
RESPONSE_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing or invalid access token",
    403: "Role not allowed",
    404: "Not found (or another tenant's)",
    409: "Conflict",
    412: "If-Match does not match the version",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid parameter",
    428: "Precondition required (If-Match)",
    429: "Too many requests (see Retry-After)",
    503: "Service unavailable",
}

Responses = dict[int | str, dict[str, Any]]


def problem_responses(*statuses: int | tuple[int, str], with_schema: bool = False) -> Responses:
    """The `responses=` of a route (or router) for the problems it may answer with.

    Each status is a code (described by RESPONSE_DESCRIPTIONS) or `(code, description)`;
    `with_schema` documents the problem body's JSON Schema too. Merge other responses with
    `|`: ``problem_responses(401, 403, (404, "No such alert")) | {200: {...}}``."""
    content: dict[str, Any] = {"schema": PROBLEM_SCHEMA} if with_schema else {}
    responses: Responses = {}
    for status in statuses:
        code, text = status if isinstance(status, tuple) else (status, None)
        description = text or RESPONSE_DESCRIPTIONS.get(code) or _TITLES.get(code, "Error")
        responses[code] = {"description": description, "content": {PROBLEM_JSON: dict(content)}}
    return responses


def not_found(what: str) -> Problem:
    """The one answer for a missing resource and for another tenant's resource alike."""
    return Problem(404, f"{what} not found")


def field_error(field: str, reason: str, status: int = 422) -> Problem:
    return Problem(status, f"{field}: {reason}", errors=[{"field": field, "reason": reason}])


def _slug(text: str) -> str:
    return "-".join(text.lower().split())


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    return JSONResponse(
        problem.body(instance=str(request.url.path) if request else None),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def _field_path(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


# Reasons for pydantic's error types in the languages of the platform, keyed by the error's
# `type`; placeholders come from the error's `ctx`. English keeps pydantic's own message (so
# existing clients matching on it see no change) except where a shorter text was already used.
# Services add their own types (e.g. from PydanticCustomError) with `register_reasons`.
VALIDATION_REASONS: dict[str, dict[str, str]] = {
    "missing": {"en": "field required", "ru": "обязательное поле", "kk": "міндетті өріс"},
    "extra_forbidden": {"en": "unknown field", "ru": "неизвестное поле", "kk": "белгісіз өріс"},
    "string_too_long": {
        "ru": "не длиннее {max_length} символов",
        "kk": "{max_length} таңбадан аспауы керек",
    },
    "string_too_short": {
        "ru": "не короче {min_length} символов",
        "kk": "кемінде {min_length} таңба болуы керек",
    },
    "too_long": {
        "ru": "не больше {max_length} элементов",
        "kk": "{max_length} элементтен аспауы керек",
    },
    "too_short": {
        "ru": "не меньше {min_length} элементов",
        "kk": "кемінде {min_length} элемент болуы керек",
    },
    "string_type": {"ru": "должно быть строкой", "kk": "жол болуы керек"},
    "string_pattern_mismatch": {
        "ru": "неверный формат",
        "kk": "пішімі дұрыс емес",
    },
    "string_unicode": {"ru": "должно быть текстом", "kk": "мәтін болуы керек"},
    "bool_type": {"ru": "должно быть true или false", "kk": "true немесе false болуы керек"},
    "bool_parsing": {"ru": "должно быть true или false", "kk": "true немесе false болуы керек"},
    "int_type": {"ru": "должно быть целым числом", "kk": "бүтін сан болуы керек"},
    "int_parsing": {"ru": "должно быть целым числом", "kk": "бүтін сан болуы керек"},
    "int_from_float": {"ru": "должно быть целым числом", "kk": "бүтін сан болуы керек"},
    "float_type": {"ru": "должно быть числом", "kk": "сан болуы керек"},
    "float_parsing": {"ru": "должно быть числом", "kk": "сан болуы керек"},
    "greater_than_equal": {"ru": "не меньше {ge}", "kk": "{ge} мәнінен кем емес"},
    "greater_than": {"ru": "больше {gt}", "kk": "{gt} мәнінен үлкен"},
    "less_than_equal": {"ru": "не больше {le}", "kk": "{le} мәнінен аспауы керек"},
    "less_than": {"ru": "меньше {lt}", "kk": "{lt} мәнінен кіші"},
    "list_type": {"ru": "должно быть списком", "kk": "тізім болуы керек"},
    "dict_type": {"ru": "должно быть объектом", "kk": "объект болуы керек"},
    "model_type": {"ru": "должно быть объектом", "kk": "объект болуы керек"},
    "model_attributes_type": {"ru": "должно быть объектом", "kk": "объект болуы керек"},
    "date_type": {"ru": "должно быть датой ГГГГ-ММ-ДД", "kk": "ЖЖЖЖ-АА-КК күні болуы керек"},
    "date_parsing": {"ru": "должно быть датой ГГГГ-ММ-ДД", "kk": "ЖЖЖЖ-АА-КК күні болуы керек"},
    "date_from_datetime_parsing": {
        "ru": "должно быть датой ГГГГ-ММ-ДД",
        "kk": "ЖЖЖЖ-АА-КК күні болуы керек",
    },
    "date_from_datetime_inexact": {
        "ru": "должно быть датой без времени",
        "kk": "уақытсыз күн болуы керек",
    },
    "datetime_type": {
        "ru": "должно быть датой и временем ISO 8601",
        "kk": "ISO 8601 күні мен уақыты болуы керек",
    },
    "datetime_parsing": {
        "ru": "должно быть датой и временем ISO 8601",
        "kk": "ISO 8601 күні мен уақыты болуы керек",
    },
    "datetime_from_date_parsing": {
        "ru": "должно быть датой и временем ISO 8601",
        "kk": "ISO 8601 күні мен уақыты болуы керек",
    },
    "literal_error": {"ru": "недопустимое значение", "kk": "рұқсат етілмеген мән"},
    "enum": {"ru": "недопустимое значение", "kk": "рұқсат етілмеген мән"},
    "value_error": {"ru": "недопустимое значение", "kk": "рұқсат етілмеген мән"},
    "uuid_parsing": {"ru": "должно быть UUID", "kk": "UUID болуы керек"},
    "uuid_type": {"ru": "должно быть UUID", "kk": "UUID болуы керек"},
}


def register_reasons(reasons: Mapping[str, Mapping[str, str]]) -> None:
    """Add or extend translations for error types (a service's own custom errors)."""
    for kind, texts in reasons.items():
        VALIDATION_REASONS.setdefault(kind, {}).update(texts)


def request_language(request: Request | None) -> str:
    """The language of a problem's detail and reasons (alac_kernel.languages.negotiate)."""
    return negotiate(request)


def _reason(err: Mapping[str, Any], lang: str) -> str:
    kind = err.get("type", "")
    english = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    texts = VALIDATION_REASONS.get(kind, {})
    text = texts.get(lang) or texts.get("en")
    if text is None:
        return english
    try:
        return text.format(**(err.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return text


def validation_problem(exc: RequestValidationError, lang: str = "en") -> Problem:
    errors = []
    malformed = False
    for err in exc.errors():
        kind = err.get("type", "")
        if kind == "json_invalid":
            malformed = True
            pos = (err.get("ctx") or {}).get("error", "")
            label = {"ru": "некорректный JSON", "kk": "JSON қате"}.get(lang, "malformed JSON")
            errors.append({"field": "body", "reason": f"{label}: {pos}".strip(": ")})
            continue
        loc = err.get("loc", ())
        errors.append({"field": _field_path(loc), "reason": _reason(err, lang)})
    if malformed:
        return Problem(400, "The request body is not valid JSON.", errors=errors)
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors) or "invalid request"
    return Problem(422, detail, title="Invalid request", errors=errors)


def domain_problem(error: DomainError, lang: str = "en") -> Problem:
    """The HTTP answer for a refusal a use case raised (the one place statuses are chosen)."""
    return Problem(
        error.status,
        error.detail_in(lang),
        title=error.title,
        errors=error.errors,
        headers=error.headers,
        **error.extensions,
    )


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(domain_problem(exc, request_language(request)), request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(validation_problem(exc, request_language(request)), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = (
            exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "error")
        )
        return problem_response(
            Problem(exc.status_code, detail, headers=getattr(exc, "headers", None)), request
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        refusal = storage_refusal(exc)
        if refusal is not None:  # a full disk or a database away: 503, retry later
            log.warning("storage refused a request: %s", exc, extra={"path": request.url.path})
            return problem_response(domain_problem(refusal, request_language(request)), request)
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(
            Problem(500, "An unexpected error occurred; it has been logged."), request
        )
