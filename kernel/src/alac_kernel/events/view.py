"""A lighter reading of a structured-mode record, for readers of millions of events.

`Event.from_json` (pydantic) costs ~14 µs per event; a rebuild reads every event of the log.
`EventView` is the same envelope decoded by msgspec into a plain struct, ~3 µs, with the same
required attributes and types. It is never the last word on a rejection: a record msgspec
refuses, or one it might read differently from pydantic, is read by `Event.from_json`, so a
reader accepts and refuses exactly what it did and gets the same values (tested on the corner
cases in kernel/tests/events/test_view.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import msgspec

from alac_kernel.events.binding import event_from_record, structured_mode
from alac_kernel.events.envelope import SPECVERSION, Event


class EventView(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    """The CloudEvents envelope as `Event` has it (unknown attributes are ignored)."""

    specversion: str = SPECVERSION
    id: str
    source: str
    type: str
    time: datetime
    subject: str
    datacontenttype: str = "application/json"
    dataschema: str
    tenantid: str
    aggregateversion: Annotated[int, msgspec.Meta(ge=1)]
    correlationid: str
    partitionkey: str | None = None
    data: dict[str, Any]


#: What a reader of records gets: the envelope from either decoder (the same attributes).
EventLike = Event | EventView

_DECODER = msgspec.json.Decoder(EventView)
#: A fraction of a second longer than microseconds, anywhere in the record: msgspec rounds it
#: where pydantic truncates, so such a record (rare) goes to pydantic.
_LONG_FRACTION = re.compile(rb"\.\d{7}")


def view_from_record(value: bytes, headers: Mapping[str, str], key: str | None = None) -> EventLike:
    """`event_from_record`'s verdict and values, the common case (structured JSON) through
    msgspec: an `EventView`, or the `Event` itself where pydantic has to decide."""
    if structured_mode(headers) and not _LONG_FRACTION.search(value):
        try:
            view = _DECODER.decode(value)
        except msgspec.MsgspecError:
            pass  # pydantic decides below, and names what is wrong
        else:
            if view.partitionkey is None and key is not None:
                return msgspec.structs.replace(view, partitionkey=key)
            return view
    return event_from_record(value, headers, key)
