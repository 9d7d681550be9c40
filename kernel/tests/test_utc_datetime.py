"""UTCDateTime's SQLite bind processor (one fused call) writes the text SQLAlchemy's own
composition writes: process_bind_param, then the SQLite DATETIME format."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from alac_kernel.db import UTCDateTime


def test_the_fused_sqlite_text_is_sqlalchemys_text():
    column_type, dialect = UTCDateTime(), sqlite.dialect()
    fused = column_type.dialect_impl(dialect).bind_processor(dialect)
    impl = column_type.impl_instance.dialect_impl(dialect).bind_processor(dialect)
    assert fused is not None and impl is not None

    def reference(value):  # type: ignore[no-untyped-def]
        return impl(column_type.process_bind_param(value, dialect))

    rng = random.Random(7)
    zones = [UTC, timezone(timedelta(0)), timezone(timedelta(hours=5)), timezone(timedelta(hours=-3, minutes=-30))]  # fmt: skip
    values = [datetime(2025, 1, 1, tzinfo=UTC), datetime(999, 1, 1, 5, tzinfo=UTC), None]
    for _ in range(20000):
        values.append(
            datetime(
                rng.randrange(2, 9998),
                rng.randrange(1, 13),
                rng.randrange(1, 29),
                rng.randrange(24),
                rng.randrange(60),
                rng.randrange(60),
                rng.choice([0, rng.randrange(1_000_000)]),
                tzinfo=rng.choice(zones),
            )  # fmt: skip
        )
    for value in values:
        assert fused(value) == reference(value), value
    with pytest.raises(ValueError, match="naive"):
        fused(datetime(2025, 1, 1))


def test_other_databases_keep_sqlalchemys_processor():
    column_type, dialect = UTCDateTime(), postgresql.dialect()
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    value = datetime(2025, 1, 1, 5, tzinfo=timezone(timedelta(hours=5)))
    assert process is not None and process(value) == datetime(2025, 1, 1, tzinfo=UTC)
