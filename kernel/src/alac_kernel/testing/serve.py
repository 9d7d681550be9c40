"""Serve an ASGI app on a loopback port in a thread, for clients that need a real socket
(python-keycloak administering the development issuer, a browser)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def bound_socket(host: str = "127.0.0.1") -> socket.socket:
    """A listening-to-be socket on a free loopback port: bound before the app exists, so an
    app that must know its own address (an issuer's URL) can be built with the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


def serve_on(sock: socket.socket, app: Any) -> tuple[uvicorn.Server, threading.Thread]:
    """Start serving `app` on `sock` in a daemon thread; return once it accepts requests."""
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start serving")
        time.sleep(0.01)
    return server, thread


@contextmanager
def serve_app(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Yields the base URL (http://127.0.0.1:<port>); stops the server on exit."""
    sock = bound_socket(host)
    port = sock.getsockname()[1]
    server, thread = serve_on(sock, app)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
