"""The search tests' OpenSearch: one real node for the whole session (`alac engines`' OpenSearch
2.19.6 with ICU analysis), or the server ALAC_TEST_OPENSEARCH_URL names. Tests that use it are
marked `opensearch`; each works in indices of its own and deletes them."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def opensearch_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("ALAC_TEST_OPENSEARCH_URL")
    if external:
        yield external
        return
    from alac_cli.engines import opensearch
    from alac_cli.engines.base import EngineMissing, java_home

    try:
        opensearch.installed()
        java_home(opensearch.JAVA)
    except EngineMissing as exc:
        # Never a skip: a machine without the engine must say so and how to get it.
        pytest.fail(f"needs OpenSearch: {exc}", pytrace=False)
    with opensearch.run(tmp_path_factory.mktemp("opensearch")) as endpoint:
        yield endpoint.url
