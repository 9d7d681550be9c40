"""breaking_changes: every breaking rule is caught with its path; compatible changes pass."""

import copy

import pytest

from alac_kernel.events.compat import breaking_changes

BASE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:alac:contracts:events:complaint.received:v1",
    "title": "complaint.received v1",
    "description": "Intake registered a complaint.",
    "type": "object",
    "required": ["complaint_id", "channel", "complainant"],
    "properties": {
        "complaint_id": {"description": "Id.", "type": "string", "format": "uuid"},
        "channel": {"description": "Code.", "type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "crux": {"description": "Text.", "type": "string", "minLength": 1, "maxLength": 20000},
        "status": {"description": "Status.", "enum": ["triage", "quick_answer"]},
        "kind": {"description": "Kind.", "const": "complaint"},
        "area": {"description": "Area or null.", "type": ["string", "null"]},
        "amount": {"description": "Amount.", "type": "number", "minimum": 0, "maximum": 100},
        "count": {"description": "Count.", "type": "integer"},
        "complainant": {
            "description": "Pseudonymous complainant.",
            "type": "object",
            "required": ["pseudonym"],
            "properties": {
                "pseudonym": {"description": "Id.", "type": "string"},
                "sex": {"description": "Code.", "type": "string"},
            },
        },
        "tags": {
            "description": "Tags.",
            "type": "array",
            "maxItems": 10,
            "items": {"type": "string", "maxLength": 32},
        },
    },
}


def changed(edit):
    """A deep copy of BASE with `edit` applied to it."""
    schema = copy.deepcopy(BASE)
    edit(schema)
    return schema


def props(schema):
    return schema["properties"]


BREAKING = {
    "property removed": (
        lambda s: props(s).pop("crux"),
        "#/properties/crux: property removed",
    ),
    "nested property removed": (
        lambda s: props(s)["complainant"]["properties"].pop("sex"),
        "#/properties/complainant/properties/sex: property removed",
    ),
    "type changed": (
        lambda s: props(s)["count"].update(type="string"),
        "#/properties/count: type narrowed, ['integer'] no longer allowed",
    ),
    "type narrowed": (
        lambda s: props(s)["area"].update(type="string"),
        "#/properties/area: type narrowed, ['null'] no longer allowed",
    ),
    "number narrowed to integer": (
        lambda s: props(s)["amount"].update(type="integer"),
        "#/properties/amount: type narrowed, ['number'] no longer allowed",
    ),
    "type widened": (
        lambda s: props(s)["crux"].update(type=["string", "null"]),
        "#/properties/crux: type changed, ['null'] now allowed",
    ),
    "new required field": (
        lambda s: (
            props(s).update(office={"type": "string"}),
            s["required"].append("office"),
        ),
        "#: new required field 'office'",
    ),
    "optional field made required": (
        lambda s: s["required"].append("crux"),
        "#: optional field 'crux' made required",
    ),
    "nested optional field made required": (
        lambda s: props(s)["complainant"]["required"].append("sex"),
        "#/properties/complainant: optional field 'sex' made required",
    ),
    "required field made optional": (
        lambda s: s["required"].remove("channel"),
        "#: required field 'channel' made optional",
    ),
    "enum value added": (
        lambda s: props(s)["status"]["enum"].append("closed"),
        "#/properties/status: enum value(s) added ['closed']",
    ),
    "enum value removed": (
        lambda s: props(s)["status"]["enum"].remove("quick_answer"),
        "#/properties/status: enum value(s) removed ['quick_answer']",
    ),
    "enum introduced": (
        lambda s: props(s)["channel"].update(enum=["hotline"]),
        "#/properties/channel: enum added ['hotline']",
    ),
    "const changed": (
        lambda s: props(s)["kind"].update(const="case"),
        "#/properties/kind: const changed from 'complaint' to 'case'",
    ),
    "format added": (
        lambda s: props(s)["crux"].update(format="email"),
        "#/properties/crux: format added to 'email'",
    ),
    "format changed": (
        lambda s: props(s)["complaint_id"].update(format="uri"),
        "#/properties/complaint_id: format changed from 'uuid' to 'uri'",
    ),
    "additionalProperties closed": (
        lambda s: s.update(additionalProperties=False),
        "#: additionalProperties tightened",
    ),
    "additionalProperties restricted": (
        lambda s: props(s)["complainant"].update(additionalProperties={"type": "string"}),
        "#/properties/complainant: additionalProperties tightened",
    ),
    "maxLength tightened": (
        lambda s: props(s)["crux"].update(maxLength=10000),
        "#/properties/crux: maxLength tightened from 20000 to 10000",
    ),
    "minLength tightened": (
        lambda s: props(s)["crux"].update(minLength=10),
        "#/properties/crux: minLength tightened from 1 to 10",
    ),
    "maxLength added": (
        lambda s: props(s)["complainant"]["properties"]["pseudonym"].update(maxLength=64),
        "#/properties/complainant/properties/pseudonym: maxLength added to 64",
    ),
    "pattern added": (
        lambda s: props(s)["crux"].update(pattern="^[^<>]*$"),
        "#/properties/crux: pattern added to '^[^<>]*$'",
    ),
    "pattern changed": (
        lambda s: props(s)["channel"].update(pattern="^[a-z]+$"),
        "#/properties/channel: pattern changed from '^[a-z][a-z0-9_]*$' to '^[a-z]+$'",
    ),
    "minimum raised": (
        lambda s: props(s)["amount"].update(minimum=1),
        "#/properties/amount: minimum tightened from 0 to 1",
    ),
    "maximum lowered": (
        lambda s: props(s)["amount"].update(maximum=50),
        "#/properties/amount: maximum tightened from 100 to 50",
    ),
    "exclusiveMaximum added": (
        lambda s: props(s)["count"].update(exclusiveMaximum=1000),
        "#/properties/count: exclusiveMaximum added to 1000",
    ),
    "array items tightened": (
        lambda s: props(s)["tags"]["items"].update(maxLength=16),
        "#/properties/tags/items: maxLength tightened from 32 to 16",
    ),
    "array items type changed": (
        lambda s: props(s)["tags"]["items"].update(type="integer"),
        "#/properties/tags/items: type narrowed, ['string'] no longer allowed",
    ),
    "maxItems tightened": (
        lambda s: props(s)["tags"].update(maxItems=5),
        "#/properties/tags: maxItems tightened from 10 to 5",
    ),
    "major version changed": (
        lambda s: s.update({"$id": "urn:alac:contracts:events:complaint.received:v2"}),
        "#: $id major version changed from v1 to v2",
    ),
    "composition keyword added": (
        lambda s: props(s)["crux"].update(allOf=[{"minLength": 5}]),
        "#/properties/crux: 'allOf' changed (not checked structurally, so breaking)",
    ),
}


@pytest.mark.parametrize("edit, expected", BREAKING.values(), ids=BREAKING.keys())
def test_breaking_change_is_reported_with_its_path(edit, expected):
    assert expected in breaking_changes(BASE, changed(edit))


COMPATIBLE = {
    "unchanged": lambda s: None,
    "optional property added": lambda s: props(s).update(
        office={"description": "Office code.", "type": "string", "maxLength": 64}
    ),
    "nested optional property added": lambda s: props(s)["complainant"]["properties"].update(
        region={"type": "string"}
    ),
    "descriptions and titles edited": lambda s: (
        s.update(description="Reworded.", title="Complaint received"),
        props(s)["crux"].update(description="The complaint in the complainant's words."),
        props(s)["crux"].update(examples=["Школа собирает деньги"]),
    ),
    "maxLength loosened": lambda s: props(s)["crux"].update(maxLength=40000),
    "minLength loosened": lambda s: props(s)["crux"].update(minLength=0),
    "minLength dropped": lambda s: props(s)["crux"].pop("minLength"),
    "numeric bounds loosened": lambda s: props(s)["amount"].update(minimum=-10, maximum=1000),
    "maxItems loosened": lambda s: props(s)["tags"].update(maxItems=100),
    "format dropped": lambda s: props(s)["complaint_id"].pop("format"),
    "pattern dropped": lambda s: props(s)["channel"].pop("pattern"),
    "same enum reordered": lambda s: props(s)["status"].update(enum=["quick_answer", "triage"]),
    "additionalProperties true spelled out": lambda s: s.update(additionalProperties=True),
    "$schema and $comment edited": lambda s: s.update({"$comment": "see ADR 7"}),
}


@pytest.mark.parametrize("edit", COMPATIBLE.values(), ids=COMPATIBLE.keys())
def test_compatible_change_is_allowed(edit):
    assert breaking_changes(BASE, changed(edit)) == []


def test_every_change_is_listed_not_just_the_first():
    def edit(s):
        props(s).pop("crux")
        props(s)["status"]["enum"].append("closed")
        s["required"].append("count")

    found = breaking_changes(BASE, changed(edit))
    assert len(found) == 3
    assert "#/properties/crux: property removed" in found
    assert "#/properties/status: enum value(s) added ['closed']" in found
    assert "#: optional field 'count' made required" in found


def test_loosening_a_closed_object_is_allowed():
    closed = changed(lambda s: s.update(additionalProperties=False))
    assert breaking_changes(closed, BASE) == []


def test_boolean_items_schema_is_understood():
    old = {"type": "array", "items": True}
    new = {"type": "array", "items": False}
    assert breaking_changes(old, new) == [
        "#/items: 'not' changed (not checked structurally, so breaking)"
    ]


def test_keys_with_slash_are_escaped_in_the_pointer():
    old = {"properties": {"a/b": {"type": "string"}}}
    assert breaking_changes(old, {"properties": {}}) == ["#/properties/a~1b: property removed"]


def test_path_argument_prefixes_messages():
    old = {"type": "string"}
    assert breaking_changes(old, {"type": "integer"}, "/properties/x") == [
        "#/properties/x: type narrowed, ['string'] no longer allowed",
        "#/properties/x: type changed, ['integer'] now allowed",
    ]
