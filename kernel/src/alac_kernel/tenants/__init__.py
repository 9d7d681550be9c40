"""The tenant registry's shared vocabulary: what a centre is (TenantSpec), the regions an office
may be in, and the tenant statuses. The registry itself lives in the cases service (see
docs/tenancy.md); other services learn tenants from `tenant.*` events."""

from alac_kernel.tenants.regions import REGION_CODES
from alac_kernel.tenants.spec import (
    Office,
    SpecError,
    TenantChange,
    TenantSpec,
    announced,
    apply_change,
    load_spec_file,
    parse_spec,
    read_centre_file,
)

ACTIVE = "active"
SUSPENDED = "suspended"
OFFBOARDED = "offboarded"
ONBOARDING = "onboarding"

__all__ = [
    "ACTIVE",
    "OFFBOARDED",
    "ONBOARDING",
    "REGION_CODES",
    "SUSPENDED",
    "Office",
    "SpecError",
    "TenantChange",
    "TenantSpec",
    "announced",
    "apply_change",
    "load_spec_file",
    "parse_spec",
    "read_centre_file",
]
