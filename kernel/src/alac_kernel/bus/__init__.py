"""Event bus: one interface, two backends chosen by configuration."""

from __future__ import annotations

from alac_kernel.bus.base import (
    BusConsumer,
    BusError,
    CommitRefused,
    EventBus,
    OutgoingRecord,
    Record,
    dead_letter_topic,
)
from alac_kernel.settings import Settings

__all__ = [
    "BusConsumer",
    "BusError",
    "CommitRefused",
    "EventBus",
    "OutgoingRecord",
    "Record",
    "dead_letter_topic",
    "open_bus",
]


def open_bus(settings: Settings) -> EventBus:
    """The bus the settings ask for. Backends are imported here only, never by services."""
    if settings.bus_backend == "kafka":
        from alac_kernel.bus.kafka import KafkaBus

        return KafkaBus(
            bootstrap_servers=settings.kafka_bootstrap,
            partitions=settings.bus_partitions,
            client_options=dict(settings.kafka_client_options),
        )
    from alac_kernel.bus.log import LogBus

    return LogBus(settings.log_url, partitions=settings.bus_partitions)
