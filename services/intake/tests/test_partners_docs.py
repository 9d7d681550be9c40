"""The example receiver in docs/partners.md really verifies our signatures: its code, taken
from the page, answers 204 to a delivery signed by intake's signer and 401 to a tampered body,
another secret or a stale timestamp."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from http.server import HTTPServer
from pathlib import Path

import httpx
import pytest

from alac_intake.partners.webhooks import new_secret, signed_headers

DOC = Path(__file__).resolve().parents[3] / "docs" / "partners.md"


def receiver_code() -> str:
    text = DOC.read_text()
    block = re.search(
        r"<!-- receiver:begin -->\n```python\n(.*?)```\n<!-- receiver:end -->", text, re.S
    )
    assert block, "docs/partners.md lost its example receiver"
    return block.group(1)


@pytest.fixture
def example(monkeypatch):
    secret = new_secret()
    code = receiver_code().replace('"whsec_..."', repr(secret))
    # Everything but the last line, which would serve forever on a fixed port.
    body, last = code.rstrip().rsplit("\n", 1)
    assert "serve_forever" in last
    namespace: dict = {}
    exec(compile(body, str(DOC), "exec"), namespace)  # noqa: S102 - the documented example
    server = HTTPServer(("127.0.0.1", 0), namespace["Receiver"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield secret, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def post(url: str, headers: dict[str, str], body: str) -> int:
    return httpx.post(url, content=body.encode(), headers=headers, timeout=10).status_code


def test_example_receiver_accepts_a_signed_delivery_and_refuses_forgeries(example):
    secret, url = example
    body = '{"type": "partner.complaint_received", "data": {}}'
    now = datetime.now(UTC)
    assert post(url, signed_headers(secret, "evt-1", body, now), body) == 204
    assert post(url, signed_headers(secret, "evt-1", body, now), body.replace("}}", "} }")) == 401
    assert post(url, signed_headers(new_secret(), "evt-1", body, now), body) == 401
    stale = now - timedelta(minutes=10)
    assert post(url, signed_headers(secret, "evt-1", body, stale), body) == 401


def test_example_receiver_is_about_a_dozen_lines():
    lines = [line for line in receiver_code().splitlines() if line.strip()]
    assert len(lines) <= 20
