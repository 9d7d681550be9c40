"""Cell-key perturbation of published counts (alac_kernel.small_cells): the noise is bounded,
never makes a small cell of a large one, and is the same for the same set of complaints."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from alac_kernel.small_cells import (
    CELL_KEY_MODULUS,
    CellKeyParams,
    perturb,
    record_key,
)


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=2**40))
def test_noise_is_bounded_and_keeps_large_cells_large(count, key_sum):
    shown = perturb(count, key_sum, 5)
    if count == 0:
        assert shown == 0
    else:
        assert abs(shown - count) <= 2 and shown >= 1
    if count >= 5:
        assert shown >= 5
    assert perturb(count, key_sum, 5) == shown  # the same set, the same figure


def test_noise_follows_the_table_over_many_cells():
    params = CellKeyParams.from_secret(b"k" * 32)
    noises = Counter()
    for i in range(5000):
        key_sum = sum(record_key(params, f"doc-{i}-{j}") for j in range(3))
        noises[perturb(100, key_sum, 5) - 100] += 1
    assert set(noises) == {-2, -1, 0, 1, 2}
    assert 1500 < noises[0] < 2500  # 40 %
    assert 200 < noises[2] < 800  # 10 %


def test_record_keys_depend_on_the_secret():
    a, b = CellKeyParams.from_secret(b"a" * 32), CellKeyParams.from_secret(b"b" * 32)
    ids = [f"3f9a2c1e-7b4d-4e8a-9c21-5d6f0a1b2c{i:02d}" for i in range(20)]
    assert [record_key(a, i) for i in ids] != [record_key(b, i) for i in ids]
    assert all(0 <= record_key(a, i) < CELL_KEY_MODULUS for i in ids)


def test_one_more_complaint_draws_new_noise_even_when_its_record_key_is_tiny():
    """With {S} and {S + x} the cell keys differ by x's record key; a tiny one (near 0 or
    near 2^32) must not leave the noise as it was, or the difference of the two counts
    would say whether x is in the cell."""
    params = CellKeyParams.from_secret(b"k" * 32)
    for tiny in (1, 7, 1000, CELL_KEY_MODULUS - 3):
        unchanged = 0
        for i in range(400):
            base = sum(record_key(params, f"doc-{i}-{j}") for j in range(6))
            if perturb(7, base + tiny, 5) - 7 == perturb(6, base, 5) - 6:
                unchanged += 1
        # Independent draws from the table agree 26 % of the time (0.1² + 0.2² + 0.4² + ...).
        assert unchanged < 400 * 0.4, (tiny, unchanged)
