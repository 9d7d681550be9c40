"""The events of the tenant registry (tenant.*), with the kernel's AggregateEvents: the tenant
is the aggregate, its own id both subject and tenant."""

from __future__ import annotations

from alac_cases import SERVICE
from alac_kernel.events import AggregateEvents

TENANT_EVENTS = AggregateEvents(SERVICE, "tenant")
