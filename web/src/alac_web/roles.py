"""Role names as the services' tokens carry them (`alac_kernel.auth.roles` names them for
the services), and the groups of roles whose pages or buttons the front end shows.

The front end imports no service or kernel code (docs/web.md: it is a client of the public
APIs like any other), so the names are declared here; web/tests/test_roles.py checks that they
and the groups agree with the kernel's. What a role may do stays the APIs' decision: a page
leaves out a button the API would refuse, nothing more."""

from __future__ import annotations

VOLUNTEER = "volunteer"
LAWYER = "lawyer"
COORDINATOR = "coordinator"
TENANT_ADMIN = "tenant-admin"
ANALYST = "analyst"
NETWORK_ANALYST = "network-analyst"

#: See every office's cases and the case fields (search's status facet and filter); the
#: kernel's TENANT_WIDE_ROLES.
SEES_CASES = (LAWYER, COORDINATOR, TENANT_ADMIN)
#: Record actions on a case (cases' action.write).
ACTION_ROLES = (LAWYER, COORDINATOR)
#: Read the complainant's contact (intake's vault: lawyers and coordinators).
CONTACT_ROLES = (LAWYER, COORDINATOR)
#: Write letters of support (cases' letter.write).
LETTER_ROLES = (LAWYER,)
#: See the complaints behind an alert (analytics' `/v1/alerts/{id}/complaints`): the office
#: level, who see records and exact small counts (the kernel's SMALL_CELL_ROLES).
ALERT_COMPLAINT_ROLES = (COORDINATOR, TENANT_ADMIN)
