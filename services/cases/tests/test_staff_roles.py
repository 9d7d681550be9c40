"""The staff API's role enums are the kernel's role constants the staff use cases name."""

from __future__ import annotations

from typing import get_args

from alac_cases.staff import service, views
from alac_kernel.auth import roles


def test_the_role_enums_of_the_staff_api_are_the_kernels_roles():
    assert get_args(views.DeclaredRole) == service.ASSIGNABLE_ROLES
    assert get_args(views.InvitedRole) == service.INVITABLE_ROLES
    assert set(service.INVITABLE_ROLES) <= roles.ALL_ROLES
