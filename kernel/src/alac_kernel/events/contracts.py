"""Event contracts: the JSON Schemas under contracts/, loaded once and used by producers
(before writing to the outbox) and consumers (before applying)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from alac_kernel.events.envelope import Event


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
    validator: Draft202012Validator
    major: int


class ContractRegistry:
    """Validators for every event type found under contracts/events/<type>/v<N>.schema.json."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or contracts_dir()
        self._contracts: dict[tuple[str, int], _Contract] = {}
        checker = FormatChecker()
        for schema_path in sorted((self.root / "events").glob("*/v*.schema.json")):
            event_type = schema_path.parent.name
            major = int(schema_path.name[1:].split(".", 1)[0])
            schema = json.loads(schema_path.read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(schema)
            self._contracts[(event_type, major)] = _Contract(
                Draft202012Validator(schema, format_checker=checker), major
            )

    @property
    def event_types(self) -> set[str]:
        return {t for t, _ in self._contracts}

    def knows(self, event_type: str, major: int = 1) -> bool:
        return (event_type, major) in self._contracts

    def validate(self, event: Event) -> None:
        major = _major_of(event.dataschema)
        self.validate_data(event.type, event.data, major)

    def validate_data(self, event_type: str, data: dict[str, Any], major: int = 1) -> None:
        contract = self._contracts.get((event_type, major))
        if contract is None:
            raise ContractViolation(
                event_type, [{"field": "type", "reason": f"no contract for {event_type} v{major}"}]
            )
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
