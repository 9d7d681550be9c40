"""`alac partners ...` against the in-process intake app: a tenant admin registers and rotates,
the partner subscribes and reads its feed; a refusal is one line on stderr, exit 1."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from alac_intake.partners import cli
from alac_intake.partners.identity import DevIssuerPartnerClients


def test_partner_commands_register_rotate_subscribe_and_read_the_feed(sqlite_intake, monkeypatch):
    p = sqlite_intake
    runtime = p.runtime
    runtime.partner_clients = DevIssuerPartnerClients(p.issuer.issuer, 60, http=p.issuer.client)
    monkeypatch.setattr(
        cli, "client_factory", lambda url: TestClient(p.intake.app, raise_server_exceptions=False)
    )
    for name in ("ALAC_INTAKE_URL", "ALAC_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    tamara = p.issuer.token("tamara")

    def alac_partners(*args: str, token: str, code: int = 0):  # type: ignore[no-untyped-def]
        result = runner.invoke(cli.app, [*args, "--token", token])
        assert result.exit_code == code, (result.output, result.stderr)
        return (
            json.loads(result.stdout)
            if code == 0 and result.stdout.strip().startswith(("{", "["))
            else result
        )

    made = alac_partners("register", "cli-partner", "--name", "CLI partner", token=tamara)
    assert made["client_id"] == "cli-partner" and made["client_secret"]
    assert [x["id"] for x in alac_partners("list", token=tamara)] == [made["id"]]
    rotated = alac_partners("rotate-secret", made["id"], token=tamara)
    assert rotated["client_secret"] != made["client_secret"]

    grant = p.issuer.client.post(
        f"{p.issuer.issuer}/protocol/openid-connect/token",
        data={"grant_type": "client_credentials"},
        auth=("cli-partner", rotated["client_secret"]),
    )
    partner = grant.json()["access_token"]
    refused = alac_partners(
        "subscribe", "http://partner.example.org/hook", "--event", "partner.complaint_received",
        token=partner, code=1,
    )  # fmt: skip
    assert "422" in refused.stderr and "https" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    page = alac_partners("feed", token=partner)
    assert page["events"] == [] and page["next"]
    # A partner token cannot register partners.
    assert (
        "403" in alac_partners("register", "x-partner", "--name", "X", token=partner, code=1).stderr
    )
