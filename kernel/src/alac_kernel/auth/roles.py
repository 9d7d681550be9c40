"""Role names, as they appear in `resource_access.<client>.roles` and `realm_access.roles`.

One Keycloak realm holds every tenant; a role says what a user may do, the `organization` claim
says in which tenant. See ARCHITECTURE.md "Tenancy and identity" and DOMAIN.md "Who uses the
platform".
"""

from __future__ import annotations

VOLUNTEER = "volunteer"
LAWYER = "lawyer"
COORDINATOR = "coordinator"
TENANT_ADMIN = "tenant-admin"
ANALYST = "analyst"
PARTNER = "partner"  # a partner NGO system's service account (client credentials)
NETWORK_ANALYST = "network-analyst"
PLATFORM_ADMIN = "platform-admin"

ALL_ROLES: frozenset[str] = frozenset(
    {
        VOLUNTEER,
        LAWYER,
        COORDINATOR,
        TENANT_ADMIN,
        ANALYST,
        PARTNER,
        NETWORK_ANALYST,
        PLATFORM_ADMIN,
    }
)

__all__ = [
    "ALL_ROLES",
    "ANALYST",
    "COORDINATOR",
    "LAWYER",
    "NETWORK_ANALYST",
    "PARTNER",
    "PLATFORM_ADMIN",
    "TENANT_ADMIN",
    "VOLUNTEER",
]
