"""Publish contract-valid events straight onto the platform's bus, so search tests do not
depend on the other services' APIs; the search consumer validates each against its contract."""

from __future__ import annotations

import uuid

from alac_kernel.bus import OutgoingRecord
from alac_kernel.events import new_event


def publish(platform, aggregate: str, event_type: str, subject: str, tenant: str, version: int,
            data: dict) -> None:  # fmt: skip
    runtime = platform.runtime("search")
    event = new_event(type=event_type, source=f"/alac/{aggregate}", subject=subject,
                      tenant=tenant, version=version, data=data)  # fmt: skip
    runtime.contracts.validate(event)
    runtime.bus.publish(
        [
            OutgoingRecord(
                topic=runtime.settings.topic(aggregate), key=subject, value=event.to_json()
            )
        ]
    )


def complaint(platform, crux: str, *, tenant: str = "tk", office: str = "almaty", **extra) -> str:
    cid = str(uuid.uuid4())
    data = {
        "complaint_id": cid, "office": office, "received_at": "2025-03-01T10:00:00+05:00",
        "channel": "hotline", "anonymous": False, "crux": crux,
        "complainant": {"pseudonym": "p-" + cid[:8]}, **extra,
    }  # fmt: skip
    publish(platform, "complaint", "complaint.received", cid, tenant, 1, data)
    return cid


def case_event(platform, event_type: str, complaint_id: str, case_id: str, version: int,
               *, tenant: str = "tk", office: str = "almaty", **data) -> None:  # fmt: skip
    body = {"case_id": case_id, "complaint_id": complaint_id, "office": office, **data}
    publish(platform, "case", event_type, case_id, tenant, version, body)
