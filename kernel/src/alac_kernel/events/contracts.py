"""Event contracts: the JSON Schemas under contracts/, loaded once and used by producers
(before writing to the outbox) and consumers (before applying)."""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker

from alac_kernel.events.envelope import Event

if TYPE_CHECKING:
    from alac_kernel.events.view import EventView


class ContractViolation(ValueError):
    """An event that does not match its contract; `errors` name the field and the reason."""

    def __init__(self, event_type: str, errors: list[dict[str, str]]) -> None:
        self.event_type = event_type
        self.errors = errors
        joined = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        super().__init__(f"{event_type} violates its contract: {joined}")


def contracts_dir() -> Path:
    """contracts/ at the repository root, or ALAC_CONTRACTS_DIR."""
    override = os.environ.get("ALAC_CONTRACTS_DIR")
    if override:
        return Path(override)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "contracts" / "events"
        if candidate.is_dir():
            return parent / "contracts"
    raise FileNotFoundError("contracts/ not found; set ALAC_CONTRACTS_DIR")


@dataclass(frozen=True)
class _Contract:
    validator: Draft202012Validator  # the reference: its verdict and its error list count
    fast: jsonschema_rs.Validator  # answers "valid?" ~50x faster; never the last word on "no"
    major: int


# jsonschema_rs's own "uuid" accepts a subset of what jsonschema's accepts (jsonschema also
# lets e.g. "1_34" through int()), so it may keep its fast native check: a rejection is
# re-decided by jsonschema below. Every other format runs jsonschema's own function.
_NATIVE_FORMATS = frozenset({"uuid"})


def _format_functions(checker: FormatChecker) -> dict[str, Any]:
    """jsonschema's own format checks, for jsonschema_rs: the fast path must accept exactly
    what the reference accepts (jsonschema_rs alone, e.g., accepts a leap second 23:59:60
    that rfc3339-validator rejects)."""
    functions: dict[str, Any] = {}
    for name, (function, raises) in checker.checkers.items():
        if name in _NATIVE_FORMATS:
            continue
        # A check that signals failure by raising goes through conforms(); the others are
        # called directly (date-time runs once or more per event).
        functions[name] = functools.partial(_conforms, checker, name) if raises else function
    if "date-time" in functions:
        functions["date-time"] = functools.partial(_date_time, functions["date-time"])
    return functions


#: RFC 3339 date-time, as rfc3339-validator (jsonschema's date-time check) matches it.
_DATE_TIME = re.compile(
    r"(\d{4})-(0[1-9]|1[0-2])-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)",
    re.ASCII,
)


def _date_time(reference: Any, instance: object) -> bool:
    """jsonschema's date-time check, answered here when the text is plainly valid (its day
    28 or less, which every month has, and not year 0): the reference's calendar look-up is
    most of its cost, and date-times are the one format in every event. Anything else,
    the reference decides."""
    if isinstance(instance, str):
        found = _DATE_TIME.fullmatch(instance.upper())
        if found is not None and found[1] != "0000" and "01" <= found[3] <= "28":
            return True
    return bool(reference(instance))


def _conforms(checker: FormatChecker, name: str, value: Any) -> bool:
    return checker.conforms(value, name)


class ContractRegistry:
    """Validators for every event type found under contracts/events/<type>/v<N>.schema.json."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or contracts_dir()
        self._contracts: dict[tuple[str, int], _Contract] = {}
        checker = FormatChecker()
        formats = _format_functions(checker)
        for schema_path in sorted((self.root / "events").glob("*/v*.schema.json")):
            event_type = schema_path.parent.name
            major = int(schema_path.name[1:].split(".", 1)[0])
            schema = json.loads(schema_path.read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(schema)
            self._contracts[(event_type, major)] = _Contract(
                validator=Draft202012Validator(schema, format_checker=checker),
                # Draft 2020-12 treats "format" as an annotation unless asked to assert it.
                fast=jsonschema_rs.Draft202012Validator(
                    schema, validate_formats=True, formats=formats, offline=True
                ),
                major=major,
            )

    @property
    def event_types(self) -> set[str]:
        return {t for t, _ in self._contracts}

    def knows(self, event_type: str, major: int = 1) -> bool:
        return (event_type, major) in self._contracts

    def validate(self, event: Event | EventView) -> None:
        major = _major_of(event.dataschema)
        self.validate_data(event.type, event.data, major)

    def validate_data(self, event_type: str, data: dict[str, Any], major: int = 1) -> None:
        contract = self._contracts.get((event_type, major))
        if contract is None:
            raise ContractViolation(
                event_type, [{"field": "type", "reason": f"no contract for {event_type} v{major}"}]
            )
        if contract.fast.is_valid(data):
            return
        # Invalid (or a corner where the two disagree, e.g. Python's `$` matching before a
        # final newline): jsonschema decides and names every field with its reason.
        errors = [
            {"field": "data" + "".join(f".{p}" for p in err.absolute_path), "reason": err.message}
            for err in sorted(contract.validator.iter_errors(data), key=lambda e: list(e.path))
        ]
        if errors:
            raise ContractViolation(event_type, errors)


def _major_of(dataschema: str) -> int:
    tail = dataschema.rsplit(":", 1)[-1]
    try:
        return int(tail.lstrip("v"))
    except ValueError:
        return 1


@lru_cache(maxsize=1)
def default_registry() -> ContractRegistry:
    return ContractRegistry()
