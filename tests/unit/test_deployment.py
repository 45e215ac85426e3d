"""The Containerfile and the Kubernetes manifests: valid against the schemas, and saying what operators rely on."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from govmesh.runtime.config import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAY = K8S / "overlays" / "guangzhou"
COMPONENTS = ("catalog", "authz", "exchange", "gateway")
# The web console: a client of the gateway, probed on its HTTP /healthz rather than on grpc.health.v1.
CONSOLE = "console"
COMPONENT = "app.kubernetes.io/component"
# The Kubernetes release the manifests are checked against (kubernetes-validate ships its schemas).
KUBERNETES = "1.30.0"
CLUSTER_SCOPED = {"Namespace"}


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def _merge(base: Any, patch: Any) -> Any:
    """A strategic merge as kustomize does it for these manifests: maps deeply, lists of named maps by name."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(patch, list) and all(isinstance(i, dict) and "name" in i for i in patch):
        by_name = {item["name"]: item for item in patch}
        merged_list = [
            _merge(item, by_name.pop(item["name"])) if item.get("name") in by_name else item for item in base
        ]
        return merged_list + list(by_name.values())
    return copy.deepcopy(patch)


def render(directory: Path) -> list[dict[str, Any]]:
    """The documents `kubectl kustomize DIRECTORY` prints, for the features these kustomizations use."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))
    documents: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        path = directory / resource
        documents += render(path) if path.is_dir() else _documents(path)
    for labels in kustomization.get("labels", []):
        for doc in documents:
            doc["metadata"].setdefault("labels", {}).update(labels["pairs"])
    for patch_entry in kustomization.get("patches", []):
        for patch in _documents(directory / patch_entry["path"]):
            for n, doc in enumerate(documents):
                if (doc["kind"], doc["metadata"]["name"]) == (patch["kind"], patch["metadata"]["name"]):
                    documents[n] = _merge(doc, patch)
    for image in kustomization.get("images", []):
        for doc in documents:
            for container in doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
                name, _, _tag = container["image"].partition(":")
                if name == image["name"]:
                    container["image"] = f"{image['newName']}:{image['newTag']}"
    if "namespace" in kustomization:
        for doc in documents:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = kustomization["namespace"]
    return documents


@pytest.fixture(scope="module")
def city() -> list[dict[str, Any]]:
    return render(OVERLAY)


def of_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def test_every_document_of_the_base_and_the_city_overlay_is_valid_against_the_kubernetes_schemas(
    city: list[dict[str, Any]],
) -> None:
    for document in [*render(K8S / "base"), *city]:
        kubernetes_validate.validate(document, KUBERNETES, strict=True)
    assert {d["kind"] for d in city} >= {"Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy", "Secret"}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (for `kubectl kustomize`) not installed")
def test_kubectl_kustomize_renders_what_the_python_merge_renders(city: list[dict[str, Any]]) -> None:
    printed = subprocess.run(["kubectl", "kustomize", str(OVERLAY)], capture_output=True, text=True, check=True)
    rendered = [d for d in yaml.safe_load_all(printed.stdout) if d]
    for document in rendered:
        kubernetes_validate.validate(document, KUBERNETES, strict=True)
    key = lambda d: (d["kind"], d["metadata"]["name"])  # noqa: E731
    assert sorted(map(key, rendered)) == sorted(map(key, city))
    assert of_kind(rendered, "Deployment") == of_kind(city, "Deployment")


def test_each_component_is_probed_on_grpc_health_at_the_port_the_code_serves_it_on(city: list[dict[str, Any]]) -> None:
    config = of_kind(city, "ConfigMap")["govmesh-config"]["data"]
    settings = Settings(
        health_port=int(config["GOVMESH_HEALTH_PORT"]), metrics_port=int(config["GOVMESH_METRICS_PORT"])
    )
    deployments = of_kind(city, "Deployment")
    assert set(deployments) == {*COMPONENTS, CONSOLE}
    for name in COMPONENTS:
        [container] = deployments[name]["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["serve", name]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["health"] == settings.health_port_of(name) and ports["metrics"] == settings.metrics_port_of(name)
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"]["port"] == ports["health"], (name, probe)


def test_the_console_is_probed_on_its_healthz_at_the_port_its_settings_make_it_listen_on(
    city: list[dict[str, Any]],
) -> None:
    [container] = of_kind(city, "Deployment")[CONSOLE]["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["serve", CONSOLE]
    settings = Settings(**console_settings(city))
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["http"] == settings.console_port and settings.console_host == "0.0.0.0"
    assert ports["metrics"] == settings.metrics_port_of(CONSOLE)
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}, probe
    # It dials the gateway by its Service's name, not the gateway's own bind address.
    assert (settings.gateway_host, settings.gateway_port) == ("gateway", Settings().gateway_port)
    service = of_kind(city, "Service")[CONSOLE]["spec"]
    assert service.get("type", "ClusterIP") == "ClusterIP" and service["ports"][0]["port"] == 8080


def console_settings(documents: list[dict[str, Any]]) -> dict[str, str]:
    """The console container's GOVMESH_* settings as `govmesh serve console` reads them: the ConfigMap, then its env."""
    [container] = of_kind(documents, "Deployment")[CONSOLE]["spec"]["template"]["spec"]["containers"]
    found = dict(of_kind(documents, "ConfigMap")["govmesh-config"]["data"])
    found.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    return {k.removeprefix("GOVMESH_").lower(): v for k, v in found.items() if k != "GOVMESH_SERVICE"}


def test_only_the_gateway_is_exposed_and_the_services_are_headless_for_client_side_balancing(
    city: list[dict[str, Any]],
) -> None:
    services = of_kind(city, "Service")
    assert set(services) == {*COMPONENTS, CONSOLE}
    assert services["gateway"]["spec"]["type"] == "LoadBalancer"
    assert [n for n, s in services.items() if s["spec"].get("type") in ("LoadBalancer", "NodePort")] == ["gateway"]
    for name in ("catalog", "authz", "exchange"):
        assert services[name]["spec"].get("type", "ClusterIP") == "ClusterIP"
        assert services[name]["spec"]["clusterIP"] == "None"
    targets = of_kind(city, "ConfigMap")["govmesh-config"]["data"]
    defaults = Settings()
    assert targets["GOVMESH_CATALOG_TARGETS"] == f"dns:///catalog:{defaults.catalog_port}"
    assert targets["GOVMESH_AUTHZ_TARGETS"] == f"dns:///authz:{defaults.authz_port}"
    assert targets["GOVMESH_EXCHANGE_TARGETS"] == f"dns:///exchange:{defaults.exchange_port}"


def test_pods_run_unprivileged_with_resources_the_database_url_from_a_secret_and_a_disruption_budget(
    city: list[dict[str, Any]],
) -> None:
    budgets = of_kind(city, "PodDisruptionBudget")
    deployments = of_kind(city, "Deployment")
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] != 0
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert {"requests", "limits"} <= set(container["resources"])
        assert container["image"] == "registry.gz.gov.cn/govmesh:0.1.0"
        secret_env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container.get("env", []) if "valueFrom" in e}
        if name in ("gateway", CONSOLE):
            assert "GOVMESH_DATABASE_URL" not in secret_env  # neither keeps state in the database
        else:
            assert secret_env["GOVMESH_DATABASE_URL"] == {"name": "govmesh-database", "key": "url"}
    for name in COMPONENTS:
        assert deployments[name]["spec"]["replicas"] >= 2
        selector = deployments[name]["spec"]["selector"]["matchLabels"]
        assert budgets[name]["spec"]["selector"]["matchLabels"] == selector and budgets[name]["spec"]["minAvailable"]
    assert deployments["gateway"]["spec"]["replicas"] == 3
    # One console, replaced rather than rolled (its login links live in the pod), and no budget that would
    # keep its only replica from ever being drained.
    assert deployments[CONSOLE]["spec"]["replicas"] == 1
    assert deployments[CONSOLE]["spec"]["strategy"] == {"type": "Recreate"} and CONSOLE not in budgets


def _who_may_reach(policies: dict[str, dict[str, Any]], component: str) -> set[str]:
    """The components (or `anyone`) a NetworkPolicy lets reach `component`'s gRPC port."""
    allowed: set[str] = set()
    for policy in policies.values():
        selected = policy["spec"]["podSelector"].get("matchLabels", {})
        if selected.get("app.kubernetes.io/component") != component:
            continue
        for rule in policy["spec"].get("ingress", []):
            if "from" not in rule:
                allowed.add("anyone")
            for peer in rule.get("from", []):
                labels = peer.get("podSelector", {})
                allowed.update(labels.get("matchLabels", {}).get("app.kubernetes.io/component", "").split() or [])
                for expression in labels.get("matchExpressions", []):
                    allowed.update(expression["values"])
    return allowed


def test_network_policies_deny_by_default_and_let_departments_reach_only_the_gateway(
    city: list[dict[str, Any]],
) -> None:
    policies = of_kind(city, "NetworkPolicy")
    deny = policies["default-deny-ingress"]["spec"]
    assert deny["podSelector"] == {} and deny["policyTypes"] == ["Ingress"] and "ingress" not in deny
    assert _who_may_reach(policies, "gateway") == {"anyone"}
    assert _who_may_reach(policies, "exchange") == {"gateway"}
    assert _who_may_reach(policies, "authz") == {"gateway", "exchange"}
    assert _who_may_reach(policies, "catalog") == {"gateway", "authz", "exchange"}
    assert _who_may_reach(policies, CONSOLE) == set()  # only from the ingress controller's namespace
    [console] = [
        p for p in policies.values() if p["spec"]["podSelector"].get("matchLabels", {}).get(COMPONENT) == CONSOLE
    ]
    [rule] = console["spec"]["ingress"]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"govmesh.io/ingress": "true"}}}]
    assert rule["ports"] == [{"port": 8080, "protocol": "TCP"}]


def test_the_python_merge_merges_named_lists_by_name() -> None:
    base = {"containers": [{"name": "a", "image": "x", "env": [1]}, {"name": "b"}]}
    patch = {"containers": [{"name": "a", "image": "y"}, {"name": "c"}]}
    assert _merge(base, patch) == {
        "containers": [{"name": "a", "image": "y", "env": [1]}, {"name": "b"}, {"name": "c"}]
    }


# -- the Containerfile -------------------------------------------------------------------------------

INSTRUCTIONS = {
    "FROM",
    "WORKDIR",
    "COPY",
    "RUN",
    "ENV",
    "USER",
    "EXPOSE",
    "HEALTHCHECK",
    "STOPSIGNAL",
    "ENTRYPOINT",
    "CMD",
}


def containerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) with continuation lines joined and comments dropped."""
    text = (ROOT / "Containerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return [(line.split(None, 1)[0], line.split(None, 1)[1]) for line in joined.splitlines() if line.strip()]


def test_the_containerfile_builds_one_non_root_image_whose_health_check_asks_grpc_health() -> None:
    lines = containerfile()
    assert {instruction for instruction, _ in lines} <= INSTRUCTIONS
    assert lines[0][0] == "FROM"
    stages = [args for instruction, args in lines if instruction == "FROM"]
    final = lines[max(i for i, (instruction, _) in enumerate(lines) if instruction == "FROM") :]
    assert len(stages) == 2 and "AS build" in stages[0]
    users = [args for instruction, args in final if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    [healthcheck] = [args for instruction, args in final if instruction == "HEALTHCHECK"]
    assert '"govmesh", "health"' in healthcheck
    env = " ".join(args for instruction, args in final if instruction == "ENV")
    assert "GOVMESH_HEALTH_PORT=8460" in env and "GOVMESH_METRICS_PORT=9460" in env and "GOVMESH_HOST=0.0.0.0" in env
    assert ("ENTRYPOINT", '["govmesh"]') in final and ("CMD", '["serve"]') in final
