"""ContractRegistry answers "valid?" with jsonschema_rs and explains a rejection with
jsonschema: the two must agree on every example and counter-example under contracts/, and the
registry must accept exactly what jsonschema accepts (formats included)."""

from __future__ import annotations

import json

import pytest

from alac_kernel.events import ContractRegistry, ContractViolation
from alac_kernel.events.contracts import _major_of

REGISTRY = ContractRegistry()
SAMPLES = sorted((REGISTRY.root / "events").glob("*/examples/*.json")) + sorted(
    (REGISTRY.root / "events").glob("*/invalid/*.json")
)


def _contract_and_data(path):  # type: ignore[no-untyped-def]
    event = json.loads(path.read_text(encoding="utf-8"))
    data = event.get("data")
    major = _major_of(str(event.get("dataschema", "")))
    contract = REGISTRY._contracts.get((path.parent.parent.name, major))
    return contract, data


# Envelope-level counter-examples (unknown dataschema, data not an object) have no data to
# check against a contract; they are left out rather than skipped.
WITH_DATA = [
    p
    for p in SAMPLES
    if (lambda c, d: c is not None and isinstance(d, dict))(*_contract_and_data(p))
]


def test_samples_cover_valid_and_invalid_data():
    assert any("/examples/" in str(p) for p in WITH_DATA)
    assert any("/invalid/" in str(p) for p in WITH_DATA)


@pytest.mark.parametrize("path", WITH_DATA, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_fast_validator_agrees_with_jsonschema_on_every_sample(path):
    contract, data = _contract_and_data(path)
    reference_ok = not list(contract.validator.iter_errors(data))
    assert contract.fast.is_valid(data) is reference_ok


def _received(**data):  # type: ignore[no-untyped-def]
    base = json.loads(
        (
            REGISTRY.root / "events/complaint.received/examples/minimal-required-fields-en.json"
        ).read_text(encoding="utf-8")
    )["data"]
    return {**base, **data}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"complaint_id": "complaint-154"}, "data.complaint_id"),  # uuid format
        ({"complaint_id": "3f9a2c1e7b4d4e8a9c215d6f0a1b2c3d"}, "data.complaint_id"),
        ({"complaint_id": "{3f9a2c1e-7b4d-4e8a-9c21-5d6f0a1b2c3d}"}, "data.complaint_id"),
        ({"complaint_id": "urn:uuid:3f9a2c1e-7b4d-4e8a-9c21-5d6f0a1b2c3d"}, "data.complaint_id"),
        ({"received_at": "2025-02-30T09:42:17Z"}, "data.received_at"),
        ({"received_at": "11.03.2025 09:42"}, "data.received_at"),  # date-time format
        ({"received_at": "2025-03-11T09:42:17"}, "data.received_at"),  # no offset
        # jsonschema_rs alone accepts a leap second; rfc3339-validator does not, and the
        # registry must keep rejecting it.
        ({"received_at": "2016-12-31T23:59:60Z"}, "data.received_at"),
        ({"anonymous": "yes"}, "data.anonymous"),
    ],
)
def test_registry_rejects_bad_formats_and_types_naming_the_field(change, field):
    with pytest.raises(ContractViolation) as caught:
        REGISTRY.validate_data("complaint.received", _received(**change))
    assert field in [e["field"] for e in caught.value.errors]


def test_registry_accepts_what_jsonschema_accepts():
    REGISTRY.validate_data("complaint.received", _received())
    REGISTRY.validate_data("complaint.received", _received(received_at="2025-03-11t09:42:17+05:00"))


def test_the_date_time_shortcut_answers_as_jsonschemas_own_check():
    """`_date_time` answers yes itself only where rfc3339-validator would: checked against
    jsonschema's own function on corners and on many mutations of valid date-times."""
    import random

    from jsonschema import FormatChecker

    from alac_kernel.events.contracts import _date_time

    reference = FormatChecker().checkers["date-time"][0]
    corners = ["2025-03-11T09:42:17Z", "2025-03-11t09:42:17z", "2025-02-28T00:00:00+05:00",
               "2025-02-29T00:00:00Z", "2024-02-29T00:00:00Z", "2025-04-31T00:00:00Z",
               "0000-01-01T00:00:00Z", "2025-01-00T00:00:00Z", "2025-13-01T00:00:00Z",
               "2025-01-01T24:00:00Z", "2016-12-31T23:59:60Z", "2025-01-01T00:00:00Z\n",
               "2025-01-01T00:00:00.123456789-23:59", "2025-01-01 00:00:00Z",
               "２０２５-01-01T00:00:00Z", "2025-01-01T00:00:00", "", 5, None]  # fmt: skip
    rng = random.Random(3)
    alphabet = "0123456789-:T.Z+zt \n"
    mutated = []
    for _ in range(20000):
        text = list(rng.choice(corners[:7]))
        for _ in range(rng.randrange(1, 3)):
            text[rng.randrange(len(text))] = rng.choice(alphabet)
        mutated.append("".join(text))
    for value in corners + mutated:
        assert _date_time(reference, value) == reference(value), value
