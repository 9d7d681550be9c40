"""A centre's registry entry: the time zone its staff work in is checked when onboarded."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alac_kernel.tenants.spec import SpecError, load_spec_file, parse_spec

CENTRE = Path(__file__).resolve().parents[2] / "deploy" / "tenants" / "aktobe-legal-aid.yaml"


def test_the_example_centre_keeps_its_own_time_zone():
    assert load_spec_file(CENTRE).time_zone == "Asia/Aqtobe"


def test_a_centre_without_a_time_zone_works_on_almaty_time():
    data = yaml.safe_load(CENTRE.read_text())
    del data["time_zone"]
    assert parse_spec(data).time_zone == "Asia/Almaty"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../etc/passwd", ""])
def test_an_unknown_time_zone_is_refused_naming_the_field(zone):
    data = yaml.safe_load(CENTRE.read_text())
    data["time_zone"] = zone
    with pytest.raises(SpecError) as refused:
        parse_spec(data)
    assert [e["field"] for e in refused.value.errors] == ["body.time_zone"]
