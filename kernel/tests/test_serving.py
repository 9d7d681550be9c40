"""The serving process's malloc arenas are capped (alac_kernel.serving.limit_malloc_arenas):
without the cap, a service's request threads each got a glibc arena of their own and RSS grew
under sustained load (issue #15)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Threads calling malloc and free through ctypes (which releases the GIL) contend for the
# arenas, so glibc would give each a new one; then the 64 MiB-aligned anonymous mappings
# (glibc's thread arenas) are counted.
_PROBE = """
import ctypes, re, sys, threading
from alac_kernel.serving import limit_malloc_arenas
capped = limit_malloc_arenas(int(sys.argv[1]))
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def churn():
    for _ in range(20000):
        libc.free(libc.malloc(4096))
threads = [threading.Thread(target=churn) for _ in range(16)]
for t in threads: t.start()
for t in threads: t.join()
arenas = 0
for line in open("/proc/self/maps"):
    fields = line.split()
    start = int(fields[0].split("-")[0], 16)
    if len(fields) == 5 and start % (64 << 20) == 0 and fields[1].startswith("rw"):
        arenas += 1
print(capped, arenas)
"""


def _probe(cap: int) -> tuple[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(cap)], capture_output=True, text=True, check=True
    ).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt, Linux only")
def test_threads_share_the_capped_arenas() -> None:
    capped, arenas = _probe(2)
    assert capped == "True"
    # The main arena is the program break's, not a mapping: two arenas is one mapping at most.
    assert arenas <= 1
