"""The tenant registry checks an office's region against the kernel's list of region codes;
intake's `regions` reference list is where those codes live for people. They must agree."""

from __future__ import annotations

from alac_intake.reference.seed_v1 import REGIONS
from alac_kernel.tenants import REGION_CODES


def test_the_registry_knows_exactly_the_current_regions_of_the_reference_list():
    current = {code for code, _en, _ru, _kk, _start, end in REGIONS if end is None}
    assert REGION_CODES == current
