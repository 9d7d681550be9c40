"""Cross-service contract tests for the event schemas under contracts/.

Producers and consumers live in different services and deploy separately, so the schemas are
the only thing they share. These tests keep the schemas well-formed, the examples honest, and
block breaking changes: compared with the previous commit (or ALAC_CONTRACTS_BASE, e.g.
origin/main in CI), a schema may only change in backward-compatible ways (see
alac_kernel.events.compat). Anything else needs a new major version beside the old one.
"""

import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from alac_kernel.events.compat import breaking_changes

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
EVENTS = CONTRACTS / "events"
ENVELOPE_SCHEMA = CONTRACTS / "cloudevent.schema.json"
DATASCHEMA_PREFIX = "urn:alac:contracts:events:"
FORMATS = Draft202012Validator.FORMAT_CHECKER


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=FORMATS)


EVENT_TYPES = sorted(p.name for p in EVENTS.iterdir() if p.is_dir())
SCHEMA_FILES = sorted(CONTRACTS.rglob("*.schema.json"))
EVENT_SCHEMAS = sorted(EVENTS.glob("*/v*.schema.json"))
EXAMPLES = sorted(EVENTS.glob("*/examples/*.json"))
INVALID = sorted(EVENTS.glob("*/invalid/*.json"))


def data_schema_for(dataschema: str) -> Path | None:
    """The file for urn:alac:contracts:events:<type>:v<major>, if it exists."""
    if not isinstance(dataschema, str) or not dataschema.startswith(DATASCHEMA_PREFIX):
        return None
    event_type, _, version = dataschema.removeprefix(DATASCHEMA_PREFIX).rpartition(":")
    path = EVENTS / event_type / f"{version}.schema.json"
    return path if path.is_file() else None


def validation_errors(event: dict) -> list[str]:
    """Errors of a full event: the envelope, then its data against the type's schema."""
    errors = [f"envelope: {e.message}" for e in validator(load(ENVELOPE_SCHEMA)).iter_errors(event)]
    schema_path = data_schema_for(event.get("dataschema"))
    data = event.get("data")
    if schema_path is not None and isinstance(data, dict):
        errors += [f"data: {e.message}" for e in validator(load(schema_path)).iter_errors(data)]
    elif schema_path is None:
        errors.append(f"no schema file for dataschema {event.get('dataschema')!r}")
    return errors


# --- well-formed schemas --------------------------------------------------------------------


def test_format_checker_really_checks_uuid_and_date_time():
    # date-time is only checked when rfc3339-validator is installed; without it every
    # timestamp would silently pass.
    assert FORMATS.conforms("2025-03-11T09:42:17+05:00", "date-time")
    assert not FORMATS.conforms("11.03.2025 09:42", "date-time")
    assert FORMATS.conforms("3f9a2c1e-7b4d-4e8a-9c21-5d6f0a1b2c3d", "uuid")
    assert not FORMATS.conforms("complaint-154", "uuid")


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=rel)
def test_schema_is_valid_draft_2020_12(path):
    schema = load(path)
    assert schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_event_type_has_v1_schema_and_examples(event_type):
    folder = EVENTS / event_type
    assert (folder / "v1.schema.json").is_file(), f"{rel(folder)} has no v1.schema.json"
    assert list(folder.glob("examples/*.json")), f"{rel(folder)} has no examples"


def undocumented(schema: dict, path: str = "") -> list[str]:
    """Pointers of properties (at any depth) that have no description."""
    missing = []
    for name, prop in schema.get("properties", {}).items():
        where = f"{path}/properties/{name}"
        if not prop.get("description"):
            missing.append(where)
        missing += undocumented(prop, where)
        if isinstance(prop.get("items"), dict):
            missing += undocumented(prop["items"], f"{where}/items")
    return missing


def closed_objects(schema: dict, path: str = "") -> list[str]:
    """Pointers of objects that refuse unknown fields."""
    found = [path or "#"] if schema.get("additionalProperties") is False else []
    for name, prop in schema.get("properties", {}).items():
        found += closed_objects(prop, f"{path}/properties/{name}")
    return found


@pytest.mark.parametrize("path", EVENT_SCHEMAS, ids=rel)
def test_event_schema_is_named_documented_and_open(path):
    schema = load(path)
    event_type, version = path.parent.name, path.name.removesuffix(".schema.json")
    assert schema["$id"] == f"{DATASCHEMA_PREFIX}{event_type}:{version}"
    assert schema.get("title") and schema.get("description")
    assert undocumented(schema) == []
    # Consumers ignore unknown fields and producers add optional ones; a closed object
    # would turn every such addition into a breaking change.
    assert closed_objects(schema) == []


# --- examples -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=rel)
def test_example_validates_and_matches_its_folder(path):
    event = load(path)
    assert validation_errors(event) == []
    event_type = path.parent.parent.name
    assert event["type"] == event_type
    assert data_schema_for(event["dataschema"]).parent.name == event_type
    # The aggregate id is the subject and the partition key (<aggregate>_id in the data).
    aggregate_id = event["data"][event_type.split(".")[0] + "_id"]
    assert event["subject"] == aggregate_id
    assert event.get("partitionkey", aggregate_id) == aggregate_id


@pytest.mark.parametrize("path", INVALID, ids=rel)
def test_invalid_example_is_rejected(path):
    event = load(path)
    assert isinstance(event.get("_why"), str) and event["_why"], "say which rule it breaks"
    assert validation_errors(event), f"{rel(path)} validates but should not: {event['_why']}"


# --- compatibility gate ---------------------------------------------------------------------


def git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)


def is_git_repo(root: Path) -> bool:
    return shutil.which("git") is not None and git(root, "rev-parse", "--git-dir").returncode == 0


def has_commit(root: Path, ref: str) -> bool:
    return (
        is_git_repo(root)
        and git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0
    )


def contracts_base(root: Path) -> str | None:
    """The ref whose contracts the working tree must stay compatible with, or None.

    ALAC_CONTRACTS_BASE wins (CI sets it to the target branch). Otherwise: uncommitted changes
    to contracts/ are checked against HEAD; a clean contracts/ is checked against the commit
    before HEAD, so the last commit's changes are checked too. With a single commit (or a
    shallow clone) only HEAD is there; with no commit there is nothing to compare against.
    """
    if os.environ.get("ALAC_CONTRACTS_BASE"):
        return os.environ["ALAC_CONTRACTS_BASE"]
    if not has_commit(root, "HEAD"):
        return None
    status = git(root, "status", "--porcelain", "--untracked-files=all", "--", "contracts")
    if status.stdout.strip() == "" and has_commit(root, "HEAD~1"):
        return "HEAD~1"
    return "HEAD"


def schemas_at(root: Path, ref: str) -> dict[str, dict]:
    """Schema files under contracts/ at `ref`, by path relative to `root`."""
    listed = git(root, "ls-tree", "-r", "--name-only", ref, "--", "contracts")
    assert listed.returncode == 0, listed.stderr
    schemas = {}
    for name in listed.stdout.splitlines():
        if name.endswith(".schema.json"):
            shown = git(root, "show", f"{ref}:./{name}")
            assert shown.returncode == 0, shown.stderr
            schemas[name] = json.loads(shown.stdout)
    return schemas


def working_schemas(root: Path) -> dict[str, dict]:
    return {
        path.relative_to(root).as_posix(): load(path)
        for path in (root / "contracts").rglob("*.schema.json")
    }


def compatibility_breaks(root: Path, base: str) -> list[str]:
    """Breaking changes of the working tree's schemas against those at `base`."""
    old, new = schemas_at(root, base), working_schemas(root)
    breaks = []
    for name, old_schema in sorted(old.items()):
        if name not in new:
            # Consumers of that type are left with nothing; retire a type by a new major
            # version first and delete the old one only when nobody reads it.
            breaks.append(f"{name}: schema removed")
        else:
            breaks += [f"{name} {msg}" for msg in breaking_changes(old_schema, new[name])]
    return breaks  # schemas that are new at this commit are fine by definition


def test_no_breaking_change_against_base():
    base = contracts_base(ROOT)
    if base is None:
        # Not skipped: the only acceptable reason for no base is an empty history.
        assert not os.environ.get("CI") or is_git_repo(ROOT), (
            "CI must check out the git history (with the base commit) for the contract gate"
        )
        assert not has_commit(ROOT, "HEAD"), "there are commits but no base was found"
        warnings.warn(
            "contract compatibility gate: the repository has no commit yet, so there is "
            "nothing to compare contracts/ against; every schema counts as new.",
            stacklevel=1,
        )
        return
    assert has_commit(ROOT, base), f"contracts base {base!r} is not a commit in this clone"
    breaks = compatibility_breaks(ROOT, base)
    assert breaks == [], f"breaking contract changes against {base}:\n" + "\n".join(breaks)


# --- the gate itself can fail ---------------------------------------------------------------

GIT_IDENTITY = (
    "-c", "user.name=Contract Test", "-c", "user.email=contracts@example.org",
    "-c", "commit.gpgsign=false",
)  # fmt: skip


def commit_all(repo: Path, message: str) -> None:
    assert git(repo, "add", "-A").returncode == 0
    done = git(repo, *GIT_IDENTITY, "commit", "--quiet", "--no-verify", "-m", message)
    assert done.returncode == 0, done.stderr


def write_schema(repo: Path, schema: dict, name: str = "complaint.received") -> Path:
    path = repo / "contracts" / "events" / name / "v1.schema.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema, indent=2), encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.fail("git is needed for the contract compatibility gate")
    monkeypatch.delenv("ALAC_CONTRACTS_BASE", raising=False)
    assert git(tmp_path, "init", "--quiet").returncode == 0
    return tmp_path


SCHEMA_V1 = {
    "$id": "urn:alac:contracts:events:complaint.received:v1",
    "type": "object",
    "required": ["complaint_id"],
    "properties": {
        "complaint_id": {"type": "string", "format": "uuid"},
        "crux": {"type": "string", "maxLength": 20000},
    },
}


def test_gate_has_no_base_before_the_first_commit(repo):
    write_schema(repo, SCHEMA_V1)
    assert contracts_base(repo) is None
    assert not has_commit(repo, "HEAD")


def test_gate_passes_unchanged_and_compatible_schemas(repo):
    write_schema(repo, SCHEMA_V1)
    commit_all(repo, "v1")
    assert contracts_base(repo) == "HEAD"  # a single commit: nothing before it
    assert compatibility_breaks(repo, "HEAD") == []

    compatible = json.loads(json.dumps(SCHEMA_V1))
    compatible["properties"]["office"] = {"type": "string"}
    write_schema(repo, compatible)
    write_schema(repo, {"type": "object"}, name="case.opened")  # a new type
    assert compatibility_breaks(repo, contracts_base(repo)) == []


def test_gate_reports_uncommitted_breaking_change(repo):
    write_schema(repo, SCHEMA_V1)
    commit_all(repo, "v1")
    broken = json.loads(json.dumps(SCHEMA_V1))
    del broken["properties"]["crux"]
    write_schema(repo, broken)

    assert contracts_base(repo) == "HEAD"
    assert compatibility_breaks(repo, "HEAD") == [
        "contracts/events/complaint.received/v1.schema.json #/properties/crux: property removed"
    ]


def test_gate_reports_breaking_change_in_the_last_commit(repo):
    write_schema(repo, SCHEMA_V1)
    commit_all(repo, "v1")
    broken = json.loads(json.dumps(SCHEMA_V1))
    broken["required"].append("crux")
    write_schema(repo, broken)
    commit_all(repo, "make crux required")

    assert contracts_base(repo) == "HEAD~1"  # clean tree: check what the last commit did
    assert compatibility_breaks(repo, "HEAD~1") == [
        "contracts/events/complaint.received/v1.schema.json #: optional field 'crux' made required"
    ]


def test_gate_reports_removed_schema(repo):
    path = write_schema(repo, SCHEMA_V1)
    commit_all(repo, "v1")
    path.unlink()
    assert compatibility_breaks(repo, contracts_base(repo)) == [
        "contracts/events/complaint.received/v1.schema.json: schema removed"
    ]


def test_gate_base_can_be_set_by_environment(repo, monkeypatch):
    write_schema(repo, SCHEMA_V1)
    commit_all(repo, "v1")
    assert git(repo, "tag", "released").returncode == 0
    broken = json.loads(json.dumps(SCHEMA_V1))
    broken["properties"]["crux"]["maxLength"] = 100
    write_schema(repo, broken)
    commit_all(repo, "shorter crux")
    write_schema(repo, broken | {"description": "only a description changed"})
    commit_all(repo, "describe")

    monkeypatch.setenv("ALAC_CONTRACTS_BASE", "released")
    assert contracts_base(repo) == "released"
    assert compatibility_breaks(repo, "released") == [
        "contracts/events/complaint.received/v1.schema.json "
        "#/properties/crux: maxLength tightened from 20000 to 100"
    ]
