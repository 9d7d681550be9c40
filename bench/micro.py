"""In-process micro-figures that explain the end-to-end ones (same run, same machine)."""

from __future__ import annotations

import statistics
import time
from typing import Any


def scrypt_receipt_ms(samples: int = 15) -> dict[str, Any]:
    """Wall time of one receipt hash (intake's scrypt, N=2**14 r=8 p=1) in this process."""
    from alac_intake import receipts

    receipts.hash_secret("WARMUPWARMUPWARMUPWA")
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        receipts.hash_secret("0123456789ABCDEFGHJK")
        times.append((time.perf_counter() - t0) * 1000)
    return {"samples": samples, "median_ms": statistics.median(times), "min_ms": min(times)}
