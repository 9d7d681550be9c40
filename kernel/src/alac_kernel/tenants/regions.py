"""The regions of Kazakhstan an office may be in: the current codes of intake's `regions`
reference list (a test keeps the two equal). The registry checks offices against them before
anything is created, so a typo in a centre file is refused with the field named."""

from __future__ import annotations

REGION_CODES: frozenset[str] = frozenset(
    {
        "astana_city",
        "almaty_city",
        "shymkent_city",
        "abai",
        "akmola",
        "aktobe",
        "almaty_region",
        "atyrau",
        "east_kazakhstan",
        "jambyl",
        "jetisu",
        "karaganda",
        "kostanay",
        "kyzylorda",
        "mangystau",
        "north_kazakhstan",
        "pavlodar",
        "turkistan",
        "ulytau",
        "west_kazakhstan",
    }
)
