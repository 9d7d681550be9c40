"""Serving an ASGI app with uvicorn, as `alac serve`, `alac web` and `alac dev-issuer` do.

uvicorn's server loop wakes ten times a second (to refresh the Date header once a second and
to notice a shutdown request): about 0.2 % of a core per idle process, six processes on an
idle platform. Here it wakes once a second, which keeps the Date header exact to the second;
a shutdown (Ctrl-C, SIGTERM) is noticed within a second instead of a tenth. A serving
process also caps glibc's malloc arenas (`limit_malloc_arenas`), so that its RSS stays flat
under sustained load.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import sys
from typing import Any

import uvicorn

TICK_S = 1.0

#: glibc's malloc arenas a serving process may have. glibc gives each thread that meets a
#: busy arena a new one, up to eight per core: under load a service's 40 request threads
#: had 15 arenas, each keeping the freed memory of the SQLite pages and large Python objects
#: it once held, and RSS grew by a third over ten minutes (issue #15, docs/performance.md
#: figure set 0b). Two arenas (one per core of the bench machine) keep it flat; the threads
#: mostly wait for the GIL anyway, so the contention this adds costs nothing measurable.
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h

log = logging.getLogger("alac.serving")


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process (as MALLOC_ARENA_MAX would, had it been set
    before the process started); False where the C library is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt, nothing to cap
        return False
    if mallopt(_M_ARENA_MAX, arenas) != 1:
        log.warning("mallopt(M_ARENA_MAX, %d) refused", arenas)
        return False
    return True


class QuietServer(uvicorn.Server):
    async def main_loop(self) -> None:
        # uvicorn counts ticks of 0.1 s (on_tick refreshes the Date header when the count is
        # a multiple of ten): each of these ticks stands for ten of them.
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 10) % 864000
            await asyncio.sleep(TICK_S)
            should_exit = await self.on_tick(counter)


def serve(app: Any, *, host: str, port: int) -> None:
    """uvicorn.run(app, host, port, log_config=None, access_log=False) with QuietServer, in a
    process whose malloc arenas are capped (`limit_malloc_arenas`)."""
    limit_malloc_arenas()
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    QuietServer(config).run()
