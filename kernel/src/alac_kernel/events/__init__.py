"""Events: the CloudEvents envelope and the contracts every event is checked against."""

from alac_kernel.events.contracts import ContractRegistry, ContractViolation, default_registry
from alac_kernel.events.envelope import CONTENT_TYPE, Event, dataschema_uri, new_event

__all__ = [
    "CONTENT_TYPE",
    "ContractRegistry",
    "ContractViolation",
    "Event",
    "dataschema_uri",
    "default_registry",
    "new_event",
]
