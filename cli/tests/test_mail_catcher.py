"""`alac mail-catcher`, the local SMTP server `alac up` starts: every message it receives is
kept as an .eml file under DATA/mail/, and the services are pointed at it unless a mail
server is configured."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from alac_cli.supervisor import Layout, child_env
from alac_kernel.mail import SmtpMailer, compose
from alac_kernel.mailcatcher import read_message
from alac_kernel.testing.processes import env_for, start, wait_for
from alac_kernel.testing.serve import bound_socket


def _free_port() -> int:
    with bound_socket("127.0.0.1") as sock:
        return int(sock.getsockname()[1])


def test_the_catcher_keeps_each_message_as_an_eml_file(tmp_path: Path) -> None:
    data, port = tmp_path / "data", _free_port()
    log = tmp_path / "catcher.log"
    catcher = start(["mail-catcher", "--data", str(data), "--port", str(port)], env_for(data), log)
    try:
        wait_for(lambda: "mail catcher on" in log.read_text(), 60, "the catcher to listen")
        message = compose(
            delivery_id="demo-1", sender="ALAC <n@alac.localhost>", to="lena@tk.example.org",
            subject="Сізге іс тағайындалды", text="Ашу: /staff", html="<p>Ашу</p>", language="kk",
        )  # fmt: skip
        SmtpMailer(host="127.0.0.1", port=port).send(message)
        [kept] = wait_for(lambda: list((data / "mail").glob("*.eml")), 10, "the .eml file")
        got = read_message(kept)
        assert got["Subject"] == "Сізге іс тағайындалды"
        assert got["X-Catcher-To"] == "lena@tk.example.org"
        assert oct(kept.stat().st_mode & 0o777) == "0o600"
    finally:
        catcher.send_signal(signal.SIGTERM)
        assert catcher.wait(timeout=30) == 0


def test_up_points_the_services_at_the_catcher_unless_a_server_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout(host="127.0.0.1", port_base=23000, data=tmp_path)
    monkeypatch.delenv("ALAC_SMTP_HOST", raising=False)
    env = child_env(layout)
    assert (env["ALAC_SMTP_HOST"], env["ALAC_SMTP_PORT"]) == ("127.0.0.1", "23025")
    assert env["ALAC_WEB_URL"] == "http://127.0.0.1:23000"
    monkeypatch.setenv("ALAC_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("ALAC_SMTP_PORT", "587")
    env = child_env(layout)
    assert (env["ALAC_SMTP_HOST"], env["ALAC_SMTP_PORT"]) == ("smtp.example.org", "587")
