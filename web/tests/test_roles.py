"""The front end names roles as the services do: its own declarations (it imports no kernel
code at run time) agree with the kernel's, so a renamed role cannot silently hide a button."""

from __future__ import annotations

from alac_kernel.auth import roles as kernel_roles
from alac_kernel.visibility import SMALL_CELL_ROLES, TENANT_WIDE_ROLES
from alac_web import roles


def test_the_role_names_are_the_kernels():
    declared = {
        name: value
        for name, value in vars(roles).items()
        if name.isupper() and isinstance(value, str)
    }
    assert declared, "no role names declared"
    for name, value in declared.items():
        assert getattr(kernel_roles, name) == value, name
        assert value in kernel_roles.ALL_ROLES


def test_the_role_groups_name_known_roles_and_search_sees_cases_as_the_kernel_does():
    for group in (roles.SEES_CASES, roles.ACTION_ROLES, roles.CONTACT_ROLES, roles.LETTER_ROLES):
        assert set(group) <= kernel_roles.ALL_ROLES
    assert set(roles.SEES_CASES) == TENANT_WIDE_ROLES
    assert set(roles.ALERT_COMPLAINT_ROLES) == SMALL_CELL_ROLES
