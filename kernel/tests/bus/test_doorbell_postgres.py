"""PostgreSQL doorbells carry their names in the NOTIFY payload: a listener in another process
(here a second PostgresDoorbell with its own LISTEN connection) wakes its waiters for their own
topics only, and all of them for a ring that names nothing."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine

from alac_kernel.doorbell import PostgresDoorbell

pytestmark = pytest.mark.postgres


def test_notify_payload_names_the_topics(bus_postgres_url):
    engine = create_engine(bus_postgres_url)
    ringer = PostgresDoorbell(engine, "alac_bus_test_names")
    listener = PostgresDoorbell(engine, "alac_bus_test_names")
    listener.listen()
    # LISTEN is in place once the listener rang itself on connecting ("look once").
    assert listener.wait(0, 30)

    def woken(names, ring_names) -> bool:
        seen = listener.generation_for(names)

        def ring() -> None:
            with engine.begin() as conn:
                ringer.ring_in(conn, ring_names)

        threading.Timer(0.05, ring).start()
        return listener.wait(seen, 3.0, names)

    try:
        assert woken(["alac.complaint"], ["alac.complaint", "alac.case"])
        assert not woken(["alac.tenant"], ["alac.complaint"])
        assert woken(["alac.tenant"], None)
    finally:
        engine.dispose()
