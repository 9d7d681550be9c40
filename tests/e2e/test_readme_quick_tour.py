"""The README's quick tour, run exactly as written against `alac up` on the default ports."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path

import pytest

from alac_kernel.testing.processes import ROOT, env_for, start, wait_for

pytestmark = pytest.mark.e2e


def quick_tour() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(
        r"<!-- quick-tour:begin -->\n```bash\n(.*?)```\n<!-- quick-tour:end -->", readme, re.S
    )
    assert block, "README.md has the quick tour between its markers"
    return block.group(1)


def test_readme_quick_tour_works_as_written(tmp_path: Path) -> None:
    data = tmp_path / "data"
    supervisor = start(["up", "--data", str(data)], env_for(data), tmp_path / "up.log")
    try:
        wait_for(
            lambda: (
                (supervisor.poll() is None or pytest.fail((tmp_path / "up.log").read_text()))
                and "Ctrl-C stops everything" in (tmp_path / "up.log").read_text()
            ),
            300,  # a guard against a hang; a loaded CI machine starts slowly
            "alac up on the default ports",
        )
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", quick_tour()],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        answers = [
            json.loads(line)
            for line in result.stdout.replace("}{", "}\n{").splitlines()
            if line.strip()
        ]
        created, case_page, search, stats = answers
        assert re.fullmatch(r"([0-9A-Z]{5}-){4}[0-9A-Z]{5}", created["receipt_code"])
        assert case_page["items"][0]["complaint_id"] == created["id"]
        assert case_page["items"][0]["status"] == "triage"
        assert created["id"] in [hit["id"] for hit in search["items"]]
        # Demo data (8 complaints for this tenant) plus the tour's complaint.
        assert stats["total"] == 9
        assert stats["by_area"]["education"] >= 2
    finally:
        supervisor.send_signal(signal.SIGINT)
        try:
            supervisor.wait(timeout=60)
        except subprocess.TimeoutExpired:
            supervisor.kill()
            supervisor.wait()
