"""Staff shown by name, never by their token subject (a uuid means nothing to a volunteer).

Names come from cases' staff registry (`GET /v1/staff`: optional display_name and position,
the same the letters of support are signed with). The signed-in user is "you" with their
registry name or, without one, their token's username claim. Someone the registry does not
name is "a lawyer (office almaty)" when the registry knows their role, else "another staff
member". A role that may not read the registry (volunteers: cases answers 403) sees "you" and
"another staff member".

Intake and analytics name staff in their own answers (`registered_by_name`, `author_name`,
`handled_by_name`, `created_by_name`, with `…_position`; from cases' staff.* events), so a page
over them shows the name even to a role that may not read the registry (`full_name`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alac_web import i18n


def full_name(name: str | None, position: str | None) -> str | None:
    """ "Name, Position", the name alone, or None (no name known)."""
    if not name:
        return None
    return f"{name}, {position}" if position else name


def named_in(answer: dict[str, Any], field: str) -> str | None:
    """The name (and position) a service's answer gives beside the staff id in `field`."""
    return full_name(answer.get(f"{field}_name"), answer.get(f"{field}_position"))


def namer(lang: str, me: Any, registry: list[dict[str, Any]] | None) -> Callable[[str | None], str]:
    known = {m["subject"]: m for m in registry or []}

    def name_of(subject: str | None) -> str:
        if not subject:
            return "—"
        member = known.get(subject) or {}
        full = full_name(member.get("display_name"), member.get("position"))
        if me is not None and subject == me.subject:
            return i18n.translate(lang, "staff.person.you", name=full or me.username)
        if full:
            return full
        if member.get("role"):
            role = i18n.translate(lang, f"staff.role.{member['role']}")
            return i18n.translate(lang, "staff.person.role", role=role, office=member["office"])
        return i18n.translate(lang, "staff.person.other")

    return name_of
