"""Events: the CloudEvents envelope and the contracts every event is checked against."""

from alac_kernel.events.aggregates import AggregateEvents, event_source
from alac_kernel.events.contracts import ContractRegistry, ContractViolation, default_registry
from alac_kernel.events.envelope import CONTENT_TYPE, Event, dataschema_uri, new_event

__all__ = [
    "AggregateEvents",
    "CONTENT_TYPE",
    "ContractRegistry",
    "ContractViolation",
    "Event",
    "dataschema_uri",
    "default_registry",
    "event_source",
    "new_event",
]
