"""deploy/ must agree with the code: the realm gives tokens the shape the verifier reads; the
compose file and the Kubernetes manifests run every service on the production profile with
settings the code reads, on the ports the platform uses, with health checks and secrets by
reference. The manifests are validated offline against the Kubernetes JSON schemas
(kubernetes-validate ships them) and built by the real kustomize."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

from alac_analytics.app import AnalyticsSettings
from alac_cli.engines import available, tools
from alac_cli.engines.base import EngineMissing
from alac_cli.services import SERVICES
from alac_cli.supervisor import Layout
from alac_kernel.auth.roles import ALL_ROLES
from alac_kernel.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
# The oldest Kubernetes minor still in upstream support when this was written; the manifests
# use nothing newer (autoscaling/v2, policy/v1, networking.k8s.io/v1).
K8S_VERSION = "1.32.0"


def realm() -> dict:
    return json.loads((DEPLOY / "keycloak" / "alac-realm.json").read_text())


def test_realm_client_roles_are_the_platform_roles():
    roles = {r["name"] for r in realm()["roles"]["client"][Settings().auth_client_id]}
    assert roles == set(ALL_ROLES)


def test_front_end_tokens_carry_audience_office_and_organization():
    data = realm()
    assert data["organizationsEnabled"] is True
    scopes = {s["name"]: s for s in data["clientScopes"]}
    audience = scopes["alac-api-audience"]["protocolMappers"][0]
    assert audience["protocolMapper"] == "oidc-audience-mapper"
    assert audience["config"]["included.client.audience"] == Settings().auth_audience
    office = scopes["alac-office"]["protocolMappers"][0]["config"]
    assert (office["claim.name"], office["access.token.claim"]) == ("office", "true")
    for client in data["clients"]:
        if client["clientId"] in {"alac-web", "alac-cli", "alac-docs"}:
            assert {"roles", "organization", "alac-api-audience", "alac-office"} <= set(
                client["defaultClientScopes"]
            )


def test_the_openapi_pages_have_a_public_pkce_client():
    """`alac-docs`: what Authorize on each service's /docs signs in as (alac_kernel.apidocs)."""
    from alac_kernel.apidocs import DOCS_CLIENT_ID, OAUTH2_REDIRECT_URL

    (docs,) = [c for c in realm()["clients"] if c["clientId"] == DOCS_CLIENT_ID]
    assert docs["publicClient"] is True and docs["standardFlowEnabled"] is True
    assert docs["directAccessGrantsEnabled"] is False
    assert docs["attributes"]["pkce.code.challenge.method"] == "S256"
    assert {urlsplit(u).path for u in docs["redirectUris"]} == {OAUTH2_REDIRECT_URL}
    assert {urlsplit(u).hostname for u in docs["redirectUris"]} <= {"127.0.0.1", "localhost"}


def test_every_client_scope_the_realm_names_is_defined_in_it():
    """A realm file that defines `clientScopes` gets none of Keycloak's built-in scopes, so
    every scope a client or the realm default names must be in the file itself."""
    data = realm()
    defined = {s["name"] for s in data["clientScopes"]}
    named = set(data["defaultDefaultClientScopes"]) | set(data["defaultOptionalClientScopes"])
    demo = json.loads((DEPLOY / "keycloak" / "alac-demo.json").read_text())
    for client in [*data["clients"], *demo["clients"]]:
        named |= set(client.get("defaultClientScopes", [])) | set(
            client.get("optionalClientScopes", [])
        )
    assert named <= defined, f"undefined scopes: {sorted(named - defined)}"
    mappers = {
        s["name"]: {m["protocolMapper"] for m in s.get("protocolMappers", [])}
        for s in data["clientScopes"]
    }
    assert "oidc-sub-mapper" in mappers["basic"]  # `sub` comes from here since Keycloak 25
    assert "oidc-usermodel-client-role-mapper" in mappers["roles"]
    assert "oidc-organization-membership-mapper" in mappers["organization"]


def test_the_user_profile_declares_the_office_attribute_and_only_admins_edit_it():
    """Keycloak 24+ drops user attributes its user profile does not declare."""
    (component,) = realm()["components"]["org.keycloak.userprofile.UserProfileProvider"]
    profile = json.loads(component["config"]["kc.user.profile.config"][0])
    office = next(a for a in profile["attributes"] if a["name"] == "office")
    assert office["permissions"]["edit"] == ["admin"]


def test_the_demo_overlay_matches_the_development_issuers_demo_identities():
    """The same demo users and partner on Keycloak as on the development issuer."""
    from alac_kernel.auth.dev_issuer import DEMO_CLIENTS, DEMO_USERS

    demo = json.loads((DEPLOY / "keycloak" / "alac-demo.json").read_text())
    members = {m["username"]: org["alias"] for org in demo["organizations"] for m in org["members"]}
    users = {u["username"]: u for u in demo["users"]}
    for user in DEMO_USERS:
        kc = users[user.username]
        assert kc["credentials"][0]["value"] == user.password
        assert kc["clientRoles"] == {Settings().auth_client_id: list(user.roles)}
        assert kc.get("attributes", {}).get("office") == ([user.office] if user.office else None)
        assert members[user.username] == user.tenant
    clients = {c["clientId"]: c for c in demo["clients"]}
    for partner in DEMO_CLIENTS:
        client = clients[partner.client_id]
        assert client["secret"] == partner.secret and client["serviceAccountsEnabled"] is True
        account = users[f"service-account-{partner.client_id}"]
        assert account["serviceAccountClientId"] == partner.client_id
        assert account["clientRoles"] == {Settings().auth_client_id: list(partner.roles)}
        assert members[account["username"]] == partner.tenant
    aliases = {o["alias"] for o in realm()["organizations"]}
    assert set(members.values()) <= aliases


# --- what the code reads ------------------------------------------------------------------


def known_settings() -> set[str]:
    """Every ALAC_* variable the services read: the kernel Settings' fields, analytics' own
    settings, and the names a service reads itself (quoted in its source, e.g. the intake
    master key, the search engine's)."""
    names = {f"ALAC_{field.upper()}" for field in Settings.model_fields}
    names |= {f"ALAC_ANALYTICS_{field.upper()}" for field in AnalyticsSettings.model_fields}
    sources = [ROOT / "kernel" / "src", *(ROOT / "services").glob("*/src")]
    for folder in sources:
        for path in folder.rglob("*.py"):
            names |= set(re.findall(r'"(ALAC_[A-Z0-9_]+)"', path.read_text()))
    return names


def check_settings(env: dict[str, str]) -> Settings:
    """The settings as a service would read them from this environment."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        return Settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_known_settings_are_the_ones_the_code_reads() -> None:
    known = known_settings()
    assert {"ALAC_PROFILE", "ALAC_DATABASE_URL", "ALAC_INTAKE_MASTER_KEY"} <= known
    assert {"ALAC_SEARCH_ENGINE", "ALAC_OPENSEARCH_URL", "ALAC_ANALYTICS_ALERT_INTERVAL_S"} <= known
    assert "ALAC_NO_SUCH_SETTING" not in known


# --- compose -------------------------------------------------------------------------------


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def interpolated(value: object) -> str:
    """Compose's ${VAR:-default} / ${VAR:?message} / ${VAR}, with a stand-in for secrets."""

    def one(match: re.Match[str]) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3)
        return rest if op == ":-" else f"secret-{name.lower()}"

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:[-?])([^}]*))?\}", one, str(value))


def compose_schema() -> dict:
    """The schema `alac engines fetch` brought (npm package, integrity hash checked)."""
    try:
        return json.loads(tools.compose_schema_file().read_text())
    except EngineMissing as exc:
        pytest.fail(str(exc))


def test_compose_file_follows_the_compose_specification() -> None:
    schema = compose_schema()
    validator = jsonschema.Draft201909Validator(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose())]
    assert not errors, errors
    # And the schema does catch a mistake: a health check with an unknown key.
    broken = compose()
    broken["services"]["intake"]["healthcheck"] = {"test": ["CMD", "true"], "every": "10s"}
    assert list(validator.iter_errors(broken))


def test_compose_runs_every_service_on_the_production_profile() -> None:
    services = compose()["services"]
    known = known_settings()
    layout = Layout(host="127.0.0.1", port_base=8000, data=Path())
    for name in SERVICES:
        service = services[name]
        assert service["command"] == ["serve", name, "--host", "0.0.0.0", "--port", "8000"]
        # The host ports are the platform's own layout, so the README's URLs work here too.
        assert service["ports"] == [f"{layout.port(name)}:8000"]
        env = {k: interpolated(v) for k, v in service["environment"].items()}
        unknown = {k for k in env if k.startswith("ALAC_")} - known
        assert not unknown, f"{name} sets settings no code reads: {sorted(unknown)}"
        settings = check_settings(env)
        assert settings.profile == "production"
        assert settings.bus_backend == "kafka"
        assert settings.database_url.endswith(f"@postgres/alac_{name}")
        assert f"alac_{name}" in (DEPLOY / "postgres" / "init.sh").read_text()
        assert env["ALAC_SEARCH_ENGINE"] == "opensearch"
        assert {"postgres", "kafka", "keycloak", "opensearch", "migrate"} <= set(
            service["depends_on"]
        )
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["intake"]["environment"]["ALAC_INTAKE_MASTER_KEY"].startswith(
        "${ALAC_INTAKE_MASTER_KEY:?"
    ), "the master key is required, never defaulted"


def test_compose_has_a_health_check_for_every_service_and_engine() -> None:
    services = compose()["services"]
    for name, service in services.items():
        if name == "migrate":
            assert service["restart"] == "no"
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
        assert not service["healthcheck"].get("disable"), name
    for name in SERVICES:
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])


def test_compose_keycloak_has_a_fixed_hostname_that_is_the_services_issuer() -> None:
    services = compose()["services"]
    keycloak = services["keycloak"]
    assert "--import-realm" in keycloak["command"]
    assert keycloak["environment"]["KC_HEALTH_ENABLED"] == "true"
    hostname = interpolated(keycloak["environment"]["KC_HOSTNAME"])
    issuer = interpolated(services["intake"]["environment"]["ALAC_AUTH_ISSUER"])
    assert issuer == f"{hostname}/realms/{realm()['realm']}"
    mounts = " ".join(keycloak["volumes"])
    assert "./keycloak/alac-realm.json:/opt/keycloak/data/import/" in mounts


def test_compose_opensearch_has_the_icu_plugin() -> None:
    opensearch = compose()["services"]["opensearch"]
    dockerfile = (
        DEPLOY / opensearch["build"]["context"] / opensearch["build"]["dockerfile"]
    ).read_text()
    assert re.search(r"opensearch-plugin install --batch analysis-icu", dockerfile)
    assert opensearch["environment"]["discovery.type"] == "single-node"


def test_compose_secrets_are_required_from_the_environment() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    for secret in (
        "POSTGRES_PASSWORD",
        "ALAC_DB_PASSWORD",
        "KEYCLOAK_DB_PASSWORD",
        "KEYCLOAK_ADMIN_PASSWORD",
        "ALAC_INTAKE_MASTER_KEY",
    ):
        assert f"${{{secret}:?" in text, f"{secret} must be required"
        assert re.search(rf"^{secret}=$", (DEPLOY / ".env.example").read_text(), re.M), secret


def test_compose_runs_the_versions_the_engines_run() -> None:
    """deploy/ describes what was tested: each engine's image is the version its engine
    module runs in the tests (for the engine modules in this checkout; all once merged)."""
    services = compose()["services"]
    images = {
        "kafka": services["kafka"]["image"],
        "keycloak": services["keycloak"]["image"],
        "opensearch": (DEPLOY / "opensearch" / "Dockerfile").read_text(),
    }
    checked = []
    for name in set(available()) & set(images):
        version = importlib.import_module(f"alac_cli.engines.{name}").VERSION
        assert re.search(rf":{re.escape(version)}\b", images[name]), (name, version)
        checked.append(name)
    assert "keycloak" in checked
    if shutil.which("prometheus") is None:
        pytest.fail("prometheus not found; install it with: make install-system")
    prometheus = subprocess.run(
        ["prometheus", "--version"], capture_output=True, text=True, check=True
    ).stdout
    tag = services["prometheus"]["image"].rsplit(":v", 1)[1]
    assert f"version {tag}" in prometheus
    assert services["postgres"]["image"] == f"postgres:{postgres_major()}"


def postgres_major() -> str:
    from alac_kernel.testing import postgres_server

    return postgres_server.bin_dir().parent.name  # /usr/lib/postgresql/<major>/bin


def test_compose_prometheus_scrapes_every_service_with_the_alert_rules() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    assert jobs == {name: [f"{name}:8000"] for name in SERVICES}
    assert config["rule_files"] == ["alerts.yml"]
    mounts = " ".join(compose()["services"]["prometheus"]["volumes"])
    assert "./prometheus/alerts.yml:/etc/prometheus/alerts.yml" in mounts


# --- Kubernetes ----------------------------------------------------------------------------


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml")


def documents(text: str) -> Iterator[dict]:
    yield from (doc for doc in yaml.safe_load_all(text) if doc)


def test_every_full_manifest_is_valid_against_the_kubernetes_schemas() -> None:
    validated = 0
    for path in manifest_files():
        for doc in documents(path.read_text()):
            if not isinstance(doc, dict) or "apiVersion" not in doc:
                continue  # a JSON patch of the overlay, not a resource
            if "spec" not in doc and doc["kind"] not in ("ConfigMap", "Namespace"):
                continue
            if path.parent.name == "production" and doc["kind"] == "ConfigMap":
                continue  # a strategic-merge patch: validated once built, below
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
            validated += 1
    assert validated >= 24


def test_the_schema_validation_rejects_a_broken_manifest() -> None:
    deployment = next(documents((K8S / "base" / "search.yaml").read_text()))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["port"] = [
        "http"
    ]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


@pytest.fixture(scope="session")
def kustomize() -> Path:
    """The real kustomize, built by `alac engines fetch` from the Go module proxy."""
    try:
        return tools.kustomize()
    except EngineMissing as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def built(kustomize: Path) -> list[dict]:
    done = subprocess.run(
        [str(kustomize), "build", str(K8S / "overlays" / "production")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return list(documents(done.stdout))


def of_kind(resources: list[dict], kind: str) -> dict[str, dict]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


@pytest.mark.timeout(1500)
def test_the_overlay_builds_into_valid_resources(built: list[dict]) -> None:
    for resource in built:
        kubernetes_validate.validate(resource, K8S_VERSION, strict=True)
    kinds = sorted({r["kind"] for r in built})
    assert kinds == sorted(
        [
            "ConfigMap",
            "Deployment",
            "HorizontalPodAutoscaler",
            "Namespace",
            "NetworkPolicy",
            "PersistentVolumeClaim",
            "PodDisruptionBudget",
            "Service",
        ]
    )
    assert "Secret" not in kinds, "no secret values are committed"
    for resource in built:
        if resource["kind"] != "Namespace":
            assert resource["metadata"]["namespace"] == "alac"


def test_every_service_has_probes_resources_and_settings_it_reads(built: list[dict]) -> None:
    deployments = of_kind(built, "Deployment")
    assert set(deployments) == set(SERVICES) | {f"{name}-worker" for name in SERVICES}
    settings = of_kind(built, "ConfigMap")["alac-settings"]["data"]
    known = known_settings()
    assert set(settings) <= known, sorted(set(settings) - known)
    assert not settings["ALAC_AUTH_ISSUER"].endswith("/realms/alac-dev")
    for name, deployment in deployments.items():
        service = name.removesuffix("-worker")
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"]:
            assert container["image"].startswith("registry.example.org/alac/platform:")
            assert container["args"][:2] == ["serve", service]
            port = int(container["args"][container["args"].index("--port") + 1])
            assert container["ports"] == [{"name": "http", "containerPort": port}]
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
            assert {"cpu", "memory"} <= set(container["resources"]["limits"])
            env = {e["name"]: e for e in container["env"]}
            assert set(env) <= known, sorted(set(env) - known)
            # Secrets by reference only: the URL with its password, the master key.
            assert env["ALAC_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
                "name": "alac-secrets",
                "key": f"{service}-database-url",
            }
            for var in env.values():
                assert "value" not in var or not re.search("KEY|PASSWORD|URL", var["name"])
            expected_workers = "true" if name.endswith("-worker") else "false"
            assert env["ALAC_RUN_WORKERS"]["value"] == expected_workers
            # The service's settings as it reads them: the production profile accepts them.
            resolved = {
                **settings,
                "ALAC_DATABASE_URL": f"postgresql+psycopg://u:p@db/alac_{service}",
            }
            assert check_settings(resolved).profile == "production"
        if service == "intake":
            names = {e["name"] for e in pod["containers"][0]["env"]}
            assert "ALAC_INTAKE_MASTER_KEY" in names


def test_the_stateless_api_processes_scale_and_are_reachable(built: list[dict]) -> None:
    deployments = of_kind(built, "Deployment")
    autoscalers = of_kind(built, "HorizontalPodAutoscaler")
    services = of_kind(built, "Service")
    assert set(autoscalers) == set(SERVICES)
    for name in SERVICES:
        target = autoscalers[name]["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == ("Deployment", name)
        assert "replicas" not in deployments[name]["spec"], "the autoscaler owns the count"
        assert deployments[f"{name}-worker"]["spec"]["replicas"] == 1
        selector = services[name]["spec"]["selector"]
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items()
        assert selector["app.kubernetes.io/component"] == "api"
        assert services[name]["spec"]["ports"][0]["targetPort"] == "http"
    # The overlay's patch reached the two public-facing services only.
    assert autoscalers["intake"]["spec"]["maxReplicas"] == 10
    assert autoscalers["search"]["spec"]["maxReplicas"] == 10
    assert autoscalers["cases"]["spec"]["maxReplicas"] == 6


def test_network_policy_admits_only_the_ingress_prometheus_and_the_key_service(
    built: list[dict],
) -> None:
    policies = of_kind(built, "NetworkPolicy")
    deny = policies["alac-default-deny"]["spec"]
    assert deny["podSelector"] == {} and deny["policyTypes"] == ["Ingress"]
    assert "ingress" not in deny
    sources = {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for policy in policies.values()
        for rule in policy["spec"].get("ingress", [])
        for peer in rule["from"]
        if "namespaceSelector" in peer
    }
    assert sources == {"ingress-nginx", "monitoring"}
    # Inside the namespace only search and cases reach intake's API pods (its key service
    # for complaint text keys, docs/privacy.md); nothing else reaches any pod.
    in_namespace = [
        (policy["spec"]["podSelector"], peer["podSelector"])
        for policy in policies.values()
        for rule in policy["spec"].get("ingress", [])
        for peer in rule["from"]
        if "namespaceSelector" not in peer
    ]
    assert in_namespace == [
        (
            {"matchLabels": {"app.kubernetes.io/name": "intake", "app.kubernetes.io/component": "api"}},
            {"matchExpressions": [
                {"key": "app.kubernetes.io/name", "operator": "In", "values": ["search", "cases"]}
            ]},
        )
    ]  # fmt: skip
    # Every pod carries the label the Prometheus policy selects.
    for deployment in of_kind(built, "Deployment").values():
        assert (
            deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/part-of"]
            == "alac"
        )
