"""One visibility rule for every service: who sees which office, case fields, records and
small counts of their tenant."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from alac_kernel.auth import roles
from alac_kernel.auth.principal import Principal
from alac_kernel.visibility import NO_OFFICE, office_scope, sees_small_cells, visibility


def caller(*held: str, office: str | None = "almaty") -> Principal:
    return Principal(
        subject="u1", username="u1", tenant="tk", office=office, roles=frozenset(held),
        client_id=None, token_id=None,
    )  # fmt: skip


@dataclass
class Record:
    office: str | None


# role -> (office seen, single records, case fields, small cells), for a caller of `almaty`.
EXPECTED = {
    roles.VOLUNTEER: ("almaty", True, False, False),
    roles.PARTNER: ("almaty", True, False, False),
    roles.LAWYER: (None, True, True, False),
    roles.COORDINATOR: (None, True, True, True),
    roles.TENANT_ADMIN: (None, True, True, True),
    roles.ANALYST: (None, False, True, False),
    roles.NETWORK_ANALYST: (None, False, True, False),
    roles.PLATFORM_ADMIN: ("almaty", False, False, False),
}


def test_every_role_has_an_expectation():
    assert set(EXPECTED) == roles.ALL_ROLES


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_what_each_role_sees(role):
    seen = visibility(caller(role))
    assert (seen.office, seen.records, seen.case_fields, seen.small_cells) == EXPECTED[role]
    assert office_scope(caller(role)) == EXPECTED[role][0]
    assert sees_small_cells(caller(role)) is EXPECTED[role][3]


def test_a_volunteer_sees_only_their_office():
    seen = visibility(caller(roles.VOLUNTEER))
    assert seen.sees(Record("almaty")) and not seen.sees(Record("astana"))
    assert not seen.sees(Record(None))
    # Whatever a listing asks for, it is narrowed to the caller's own office.
    assert seen.office_filter("astana") == "almaty"
    assert seen.office_filter(None) == "almaty"


def test_a_volunteer_without_an_office_claim_sees_no_office():
    seen = visibility(caller(roles.VOLUNTEER, office=None))
    assert seen.office == NO_OFFICE
    assert not seen.sees(Record(None)) and not seen.sees(Record("almaty"))
    assert seen.office_filter(None) == NO_OFFICE


def test_tenant_wide_roles_see_every_office_and_choose_the_listing():
    seen = visibility(caller(roles.LAWYER))
    assert seen.sees(Record("astana")) and seen.sees(Record(None))
    assert seen.office_filter("astana") == "astana"
    assert seen.office_filter(None) is None


def test_the_widest_role_held_wins():
    both = visibility(caller(roles.VOLUNTEER, roles.COORDINATOR))
    assert both.office is None and both.case_fields and both.small_cells
    # A volunteer who is also an analyst reads their office's records (not only counts).
    counted = visibility(caller(roles.VOLUNTEER, roles.ANALYST))
    assert counted.records and counted.office == "almaty" and not counted.case_fields
