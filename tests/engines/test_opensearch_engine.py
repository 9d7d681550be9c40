"""`alac engines` OpenSearch: the one-line refusal when it is not fetched, and `up` / `status`
/ `down` on a real node whose data survives a restart."""

from __future__ import annotations

import json
import urllib.request

import pytest

from alac_cli.engines import opensearch
from alac_cli.engines.base import EngineMissing, free_port


def test_not_fetched_is_one_line_naming_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("ALAC_ENGINES_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(EngineMissing) as missing:
        opensearch.installed()
    message = str(missing.value)
    assert "\n" not in message
    assert "OpenSearch 2.19.6 is not fetched" in message and "alac engines fetch" in message
    with pytest.raises(EngineMissing), opensearch.run(tmp_path):
        pass
    assert opensearch.status(tmp_path).startswith("not fetched (")


def _request(method: str, url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
        return json.load(answer)


@pytest.mark.opensearch
def test_up_is_idempotent_and_keeps_data_across_a_restart(tmp_path, monkeypatch):
    try:
        opensearch.installed()
    except EngineMissing as exc:
        pytest.fail(f"needs OpenSearch: {exc}", pytrace=False)
    monkeypatch.setenv("ALAC_OPENSEARCH_PORT", str(free_port()))
    try:
        endpoint = opensearch.up(tmp_path)
        assert endpoint.settings == {
            "ALAC_SEARCH_ENGINE": "opensearch",
            "ALAC_OPENSEARCH_URL": endpoint.url,
        }
        assert opensearch.up(tmp_path) == endpoint  # already running: the same node
        assert opensearch.status(tmp_path).endswith(f"{endpoint.url} (green)")
        _request("PUT", f"{endpoint.url}/kept", {"settings": {"number_of_replicas": 0}})
        _request("PUT", f"{endpoint.url}/kept/_doc/1?refresh=true", {"crux": "сохранено"})
        opensearch.down(tmp_path)
        assert opensearch.status(tmp_path).endswith("· stopped")
        again = opensearch.up(tmp_path)
        assert _request("GET", f"{again.url}/kept/_doc/1")["_source"] == {"crux": "сохранено"}
        assert (tmp_path / "opensearch" / "data").is_dir()
    finally:
        opensearch.down(tmp_path)
    assert opensearch.status(tmp_path).endswith("· stopped")
