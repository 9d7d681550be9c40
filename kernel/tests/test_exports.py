"""The spreadsheet rule shared by every export (kernel/exports.py)."""

from __future__ import annotations

import csv
import io

import pytest

from alac_kernel.exports import csv_text, neutralise_cell


@pytest.mark.parametrize("text", ["=1+1", "+7 701", "-cmd", "@A1", "\t=x", "\r=x"])
def test_formula_starts_get_an_apostrophe(text):
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Жалоба", "a=b", 12, -3.5, None, ""])
def test_other_values_are_left_alone(value):
    assert neutralise_cell(value) == value


def test_csv_text_neutralises_header_and_rows():
    rows = list(csv.reader(io.StringIO(csv_text(["=h"], [["=1", 2], ["ok", -1]]))))
    assert rows == [["'=h"], ["'=1", "2"], ["ok", "-1"]]
