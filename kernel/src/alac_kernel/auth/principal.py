"""The authenticated caller, as read from a verified access token."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, for which tenant and office, with which roles.

    `tenant` always comes from the token's `organization` claim (exactly one), never from the
    request; every query is scoped by it. `office` is optional (network analysts, partner
    systems and tenant admins may have none).
    """

    subject: str
    username: str | None
    tenant: str
    office: str | None
    roles: frozenset[str]
    client_id: str | None
    token_id: str | None
    # The `name` claim (the user's display name, e.g. "Aigerim Nurlanova"), when the identity
    # provider sends it: letters of support are signed with it.
    name: str | None = None

    def has_any(self, *roles: str) -> bool:
        """True if the principal holds at least one of `roles` (False when none are given)."""
        return not self.roles.isdisjoint(roles)
