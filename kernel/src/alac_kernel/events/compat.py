"""Backward-compatibility check between two versions of an event data schema.

Events outlive the code that wrote them: projections are rebuilt from offset zero, so a reader
must handle every event ever written, and consumers deployed before a producer must handle what
it writes next. The rule (ARCHITECTURE.md, "Events"; Zalando event guidelines) is that adding an
optional field is fine and anything else is a new major type emitted beside the old one.

`breaking_changes` compares two schemas structurally and lists what breaks that rule. It is
deliberately conservative: a change it cannot reason about (``allOf``, ``$ref``, ``not``...)
is reported as breaking rather than waved through, because a false alarm costs a look while a
missed break costs a stuck consumer.
"""

import re
from typing import Any, cast

# Keywords that never change which documents validate; changing them is always fine.
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
# Raising a lower bound (or adding one) rejects values that were valid before.
_LOWER_BOUNDS = ("minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum")
# Lowering an upper bound (or adding one) likewise.
_UPPER_BOUNDS = ("maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum")
# Keywords compared by a specific rule below; all others are compared for equality.
_CHECKED = frozenset(
    {
        "$id",
        "$defs",
        "type",
        "properties",
        "required",
        "enum",
        "const",
        "format",
        "pattern",
        "additionalProperties",
        "items",
        *_LOWER_BOUNDS,
        *_UPPER_BOUNDS,
    }
)
_MAJOR = re.compile(r":v(\d+)$")
_ABSENT = object()


def breaking_changes(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    """List the breaking changes from schema `old` to schema `new`.

    Each message starts with the JSON pointer (as a ``#`` fragment) of the schema location,
    e.g. ``#/properties/complainant/properties/pseudonym: property removed``. `path` is the
    pointer of `old`/`new` inside the enclosing schema; callers normally leave it empty.
    An empty list means the change is backward compatible.
    """
    old, new = _as_schema(old), _as_schema(new)
    where = "#" + path
    found: list[str] = []

    found += _id_change(old, new, where)
    found += _type_change(old, new, where)
    found += _value_set_change(old, new, where)
    found += _string_rule_change(old, new, where)
    found += _bound_change(old, new, where)
    found += _required_change(old, new, where)
    found += _additional_properties_change(old, new, path)

    # Every property a reader knew must still be there, and compatible.
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        sub = f"{path}/properties/{_escape(name)}"
        if name not in new_props:
            found.append(f"#{sub}: property removed")
        else:
            found += breaking_changes(old_prop, new_props[name], sub)

    # An array's items are schemas too; a missing `items` means "anything".
    if "items" in old or "items" in new:
        found += breaking_changes(old.get("items", True), new.get("items", True), f"{path}/items")

    # Shared definitions may be the target of a `$ref`, so they follow the same rules.
    old_defs, new_defs = old.get("$defs", {}), new.get("$defs", {})
    for name, old_def in old_defs.items():
        sub = f"{path}/$defs/{_escape(name)}"
        if name not in new_defs:
            found.append(f"#{sub}: definition removed")
        else:
            found += breaking_changes(old_def, new_defs[name], sub)

    # Anything else (allOf, anyOf, oneOf, not, $ref, if/then/else, multipleOf...) is too
    # expressive to compare structurally, so any real change to it counts as breaking.
    for key in sorted((old.keys() | new.keys()) - _CHECKED - _ANNOTATIONS):
        if _strip(old.get(key, _ABSENT)) != _strip(new.get(key, _ABSENT)):
            found.append(f"{where}: '{key}' changed (not checked structurally, so breaking)")
    return found


def _id_change(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    # A new major version is by definition a new, incompatible event type.
    old_id, new_id = old.get("$id"), new.get("$id")
    if old_id == new_id:
        return []
    old_major = _MAJOR.search(old_id or "")
    new_major = _MAJOR.search(new_id or "")
    if old_major and new_major and old_major.group(1) != new_major.group(1):
        return [f"{where}: $id major version changed from v{old_major[1]} to v{new_major[1]}"]
    return [f"{where}: $id changed from {old_id!r} to {new_id!r}"]


def _type_change(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    old_types, new_types = _types(old), _types(new)
    if old_types == new_types:
        return []
    if old_types is None:
        return [f"{where}: type narrowed from any to {sorted(new_types or ())}"]
    if new_types is None:
        # Readers of the old schema were never written for other types (e.g. null).
        return [f"{where}: type widened from {sorted(old_types)} to any"]
    # "number" includes "integer", so integer -> number only widens and number -> integer
    # only narrows.
    removed = {t for t in old_types - new_types if not (t == "integer" and "number" in new_types)}
    added = {t for t in new_types - old_types if not (t == "integer" and "number" in old_types)}
    found = []
    if removed:
        found.append(f"{where}: type narrowed, {sorted(removed)} no longer allowed")
    if added:
        # Widening breaks consumers: code that expects a string crashes on a new null.
        found.append(f"{where}: type changed, {sorted(added)} now allowed")
    return found


def _value_set_change(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    found = []
    # Zalando: adding an enum value is breaking, since consumers cannot handle unknown values;
    # removing one breaks readers of old events that carry it.
    old_enum, new_enum = old.get("enum"), new.get("enum")
    if old_enum is None and new_enum is not None:
        found.append(f"{where}: enum added {new_enum}")
    elif old_enum is not None and new_enum is None:
        found.append(f"{where}: enum removed (any value now allowed)")
    elif old_enum is not None and new_enum is not None:
        added = [v for v in new_enum if v not in old_enum]
        removed = [v for v in old_enum if v not in new_enum]
        if added:
            found.append(f"{where}: enum value(s) added {added}")
        if removed:
            found.append(f"{where}: enum value(s) removed {removed}")
    old_const, new_const = old.get("const", _ABSENT), new.get("const", _ABSENT)
    if old_const != new_const:
        found.append(f"{where}: const changed from {_show(old_const)} to {_show(new_const)}")
    return found


def _string_rule_change(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    # Dropping a format or pattern loosens the schema and is fine; adding or changing one may
    # reject old values (we cannot decide regex inclusion, so any change to a pattern counts).
    found = []
    for key in ("format", "pattern"):
        old_rule, new_rule = old.get(key), new.get(key)
        if new_rule is not None and new_rule != old_rule:
            verb = "added" if old_rule is None else f"changed from {old_rule!r}"
            found.append(f"{where}: {key} {verb} to {new_rule!r}")
    return found


def _bound_change(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    # Loosened bounds are fine; tightened or new ones reject values that were valid.
    found = []
    for key in _LOWER_BOUNDS + _UPPER_BOUNDS:
        old_bound, new_bound = old.get(key), new.get(key)
        if new_bound is None or new_bound == old_bound:
            continue
        lower = key in _LOWER_BOUNDS
        if old_bound is None or (new_bound > old_bound if lower else new_bound < old_bound):
            verb = "added" if old_bound is None else f"tightened from {old_bound}"
            found.append(f"{where}: {key} {verb} to {new_bound}")
    return found


def _required_change(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    found = []
    # Old events lack the field, so a reader of the new schema would reject them.
    for name in sorted(new_req - old_req):
        if name in old_props:
            found.append(f"{where}: optional field '{name}' made required")
        else:
            found.append(f"{where}: new required field '{name}'")
    # Consumers rely on a required field being there; a removed property is reported below.
    for name in sorted(old_req - new_req):
        if name in new_props:
            found.append(f"{where}: required field '{name}' made optional")
        elif name not in old_props:
            found.append(f"{where}: required field '{name}' dropped")
    return found


def _additional_properties_change(old: dict[str, Any], new: dict[str, Any], path: str) -> list[str]:
    # Unknown fields must stay acceptable: consumers ignore them, and producers may add them.
    old_extra = _as_schema(old.get("additionalProperties", True))
    new_extra = _as_schema(new.get("additionalProperties", True))
    old_extra, new_extra = _strip(old_extra), _strip(new_extra)
    if old_extra == new_extra or old_extra == {"not": {}}:
        return []  # unchanged, or it was already closed, so nothing can be tightened
    if old_extra == {}:
        return [f"#{path}: additionalProperties tightened"]
    return breaking_changes(old_extra, new_extra, f"{path}/additionalProperties")


def _as_schema(schema: Any) -> dict[str, Any]:
    # Boolean schemas: true accepts anything, false nothing.
    if schema is True:
        return {}
    if schema is False:
        return {"not": {}}
    return cast(dict[str, Any], schema)


def _types(schema: dict[str, Any]) -> frozenset[str] | None:
    kind = schema.get("type")
    if kind is None:
        return None
    return frozenset([kind] if isinstance(kind, str) else kind)


def _strip(value: Any) -> Any:
    """The value with annotations removed, so description-only edits compare equal."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _ANNOTATIONS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _escape(name: str) -> str:
    # RFC 6901: '~' and '/' inside a key are escaped in a JSON pointer.
    return name.replace("~", "~0").replace("/", "~1")


def _show(value: Any) -> str:
    return "absent" if value is _ABSENT else repr(value)
