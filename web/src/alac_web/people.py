"""Staff shown by name, never by their token subject (a uuid means nothing to a volunteer).

Names come from cases' staff registry (`GET /v1/staff`: optional display_name and position,
the same the letters of support are signed with). The signed-in user is "you" with their
registry name or, without one, their token's username claim. Someone the registry does not
name is "a lawyer (office almaty)" when the registry knows their role, else "another staff
member". A role that may not read the registry (volunteers: cases answers 403) sees "you" and
"another staff member"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alac_web import i18n


def namer(lang: str, me: Any, registry: list[dict[str, Any]] | None) -> Callable[[str | None], str]:
    known = {m["subject"]: m for m in registry or []}

    def name_of(subject: str | None) -> str:
        if not subject:
            return "—"
        member = known.get(subject) or {}
        full = member.get("display_name")
        if full and member.get("position"):
            full = f"{full}, {member['position']}"
        if me is not None and subject == me.subject:
            return i18n.translate(lang, "staff.person.you", name=full or me.username)
        if full:
            return full
        if member.get("role"):
            role = i18n.translate(lang, f"staff.role.{member['role']}")
            return i18n.translate(lang, "staff.person.role", role=role, office=member["office"])
        return i18n.translate(lang, "staff.person.other")

    return name_of
