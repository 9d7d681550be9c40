"""The stated test: an exact Poisson upper tail.

Complaints about one value (a respondent body type, an area, a region) in a window are taken
as Poisson with mean equal to that value's own average per window over the preceding
windows. The p-value is P(X >= observed) under that mean, summed exactly term by term from
the observed count upward (no normal approximation, so it stays accurate for small counts and
tiny p-values).
"""

from __future__ import annotations

from math import exp, lgamma, log

METHOD = "poisson_upper_tail"


def poisson_upper_tail(observed: int, mean: float) -> float:
    """P(X >= observed) for X ~ Poisson(mean)."""
    if observed <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    term = exp(-mean + observed * log(mean) - lgamma(observed + 1))
    total, k = 0.0, observed
    while True:
        total += term
        k += 1
        term *= mean / k
        if k > mean and term < total * 1e-16:
            return min(1.0, total)
