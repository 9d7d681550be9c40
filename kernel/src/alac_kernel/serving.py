"""Serving an ASGI app with uvicorn, as `alac serve`, `alac web` and `alac dev-issuer` do.

uvicorn's server loop wakes ten times a second (to refresh the Date header once a second and
to notice a shutdown request): about 0.2 % of a core per idle process, six processes on an
idle platform. Here it wakes once a second, which keeps the Date header exact to the second;
a shutdown (Ctrl-C, SIGTERM) is noticed within a second instead of a tenth.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn

TICK_S = 1.0


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
    """uvicorn.run(app, host, port, log_config=None, access_log=False) with QuietServer."""
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    QuietServer(config).run()
