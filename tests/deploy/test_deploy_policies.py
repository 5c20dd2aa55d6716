"""Policy checks: each passes on the rendered overlays and catches a deliberately broken manifest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import deploy_policies as policies
import pytest
from deploy_mutations import changed, without
from deploy_policies import pod_spec
from deploy_render import OVERLAYS, Manifest

Check = Callable[[list[Manifest]], list[str]]
Breaker = Callable[[list[Manifest]], list[Manifest]]

# DESIGN.md "Call graph": who calls whom over gRPC; everything else is closed.
GRPC_PORTS = {"gateway": 50050, "merchant": 50051, "wallet": 50052, "promotions": 50053, "settlement": 50054}
CALLS = {
    "gateway": ("merchant", "promotions", "wallet"),
    "promotions": ("wallet",),
    "settlement": ("gateway", "merchant", "wallet"),
}
EXPECTED_CONNECTIONS = {
    *((caller, callee, GRPC_PORTS[callee]) for caller, callees in CALLS.items() for callee in callees),
    *((service, "nats", 4222) for service in GRPC_PORTS),
    *((service, "scanpay-pg", 5432) for service in GRPC_PORTS),
    *((f"{service}-migrate", "scanpay-pg", 5432) for service in GRPC_PORTS),
}
# From outside the namespace only the gateway's REST and partner gRPC ports (metrics ports aside).
PUBLIC_PORTS = {"gateway": {8080, 50050}}

CHECKS_FOR_EVERY_OVERLAY: dict[str, Check] = {
    "probes": policies.check_probes,
    "resources": policies.check_resources,
    "non-root": policies.check_non_root,
    "read-only root": policies.check_read_only_root,
    "no privilege escalation": policies.check_no_privilege_escalation,
    "capabilities dropped": policies.check_capabilities_dropped,
    "image tags": policies.check_image_tags,
    "termination grace": policies.check_termination_grace,
    "no literal secrets": policies.check_no_literal_secrets,
    "default deny": policies.check_default_deny,
    "connection budget": policies.check_connection_budget,
    "stream replicas": policies.check_stream_replicas,
    "connections": lambda objects: policies.check_connections(objects, EXPECTED_CONNECTIONS),
    "external ingress": lambda objects: policies.check_external_ingress(objects, PUBLIC_PORTS),
}
CHECKS_FOR_PROD: dict[str, Check] = {
    "disruption budgets": policies.check_disruption_budgets,
    "autoscalers": policies.check_autoscalers,
    "spread": policies.check_spread,
}


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("check", CHECKS_FOR_EVERY_OVERLAY.values(), ids=CHECKS_FOR_EVERY_OVERLAY.keys())
def test_overlay_passes(rendered: dict[str, list[Manifest]], overlay: str, check: Check) -> None:
    assert check(rendered[overlay]) == []


@pytest.mark.parametrize("check", CHECKS_FOR_PROD.values(), ids=CHECKS_FOR_PROD.keys())
def test_prod_passes(prod: list[Manifest], check: Check) -> None:
    assert check(prod) == []


# --- how each check is broken ----------------------------------------------------------------------------


def container(obj: Manifest, name: str | None = None) -> dict[str, Any]:
    specs = pod_spec(obj)["containers"]
    return next(c for c in specs if c["name"] == name) if name else specs[0]


def edit_container(
    kind: str, name: str, change: Callable[[dict[str, Any]], object], which: str | None = None
) -> Breaker:
    return lambda objects: changed(objects, kind, name, lambda obj: change(container(obj, which)))


def edit_pod(kind: str, name: str, change: Callable[[dict[str, Any]], object]) -> Breaker:
    return lambda objects: changed(objects, kind, name, lambda obj: change(pod_spec(obj)))


def edit_config(key: str, value: str) -> Breaker:
    def apply(objects: list[Manifest]) -> list[Manifest]:
        name = container(next(o for o in objects if o["kind"] == "Deployment"))["envFrom"][0]["configMapRef"][
            "name"
        ]
        return changed(objects, "ConfigMap", name, lambda cm: cm["data"].__setitem__(key, value))

    return apply


def edit_policy(name: str, change: Callable[[dict[str, Any]], object]) -> Breaker:
    return lambda objects: changed(objects, "NetworkPolicy", name, lambda policy: change(policy["spec"]))


def remove(kind: str, name: str) -> Breaker:
    return lambda objects: without(objects, kind, name)


def add(obj: Manifest) -> Breaker:
    return lambda objects: [*objects, obj]


def replace_env(var: str, literal: str) -> Callable[[dict[str, Any]], object]:
    def apply(spec: dict[str, Any]) -> None:
        spec["env"] = [{"name": var, "value": literal} if v["name"] == var else v for v in spec["env"]]

    return apply


ALLOW_ALL_IN_NAMESPACE: Manifest = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "allow-all-in-namespace"},
    "spec": {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"from": [{"podSelector": {}}]}],
        "egress": [{"to": [{"podSelector": {}}]}],
    },
}

BROKEN: list[Any] = [
    pytest.param(
        policies.check_probes,
        edit_container("Deployment", "wallet", lambda c: c.pop("readinessProbe")),
        "Deployment/wallet container wallet: no readinessProbe",
        id="probes: readiness missing",
    ),
    pytest.param(
        policies.check_probes,
        edit_container("StatefulSet", "nats", lambda c: c.pop("livenessProbe"), which="exporter"),
        "StatefulSet/nats container exporter: no livenessProbe",
        id="probes: liveness missing on a sidecar",
    ),
    pytest.param(
        policies.check_resources,
        edit_container("Job", "wallet-migrate", lambda c: c["resources"]["limits"].pop("memory")),
        "Job/wallet-migrate container migrate: no resources.limits.memory",
        id="resources: Job without memory limit",
    ),
    pytest.param(
        policies.check_resources,
        edit_container("Deployment", "gateway", lambda c: c.pop("resources")),
        "Deployment/gateway container gateway: no resources.requests.cpu",
        id="resources: none at all",
    ),
    pytest.param(
        policies.check_non_root,
        edit_container("Deployment", "merchant", lambda c: c["securityContext"].update(runAsNonRoot=False)),
        "Deployment/merchant container merchant: runAsNonRoot is not true",
        id="non-root: container opts out",
    ),
    pytest.param(
        policies.check_non_root,
        edit_container("Deployment", "merchant", lambda c: c["securityContext"].update(runAsUser=0)),
        "Deployment/merchant container merchant: runAsUser is 0",
        id="non-root: container overrides the UID to 0",
    ),
    pytest.param(
        policies.check_read_only_root,
        edit_container(
            "StatefulSet", "nats", lambda c: c["securityContext"].update(readOnlyRootFilesystem=False)
        ),
        "StatefulSet/nats container nats: readOnlyRootFilesystem is not true",
        id="read-only root: writable",
    ),
    pytest.param(
        policies.check_no_privilege_escalation,
        edit_container(
            "Deployment", "wallet", lambda c: c["securityContext"].pop("allowPrivilegeEscalation")
        ),
        "Deployment/wallet container wallet: allowPrivilegeEscalation is not false",
        id="privilege escalation: not forbidden",
    ),
    pytest.param(
        policies.check_no_privilege_escalation,
        edit_container("Deployment", "wallet", lambda c: c["securityContext"].update(privileged=True)),
        "Deployment/wallet container wallet: privileged",
        id="privilege escalation: privileged",
    ),
    pytest.param(
        policies.check_capabilities_dropped,
        edit_container(
            "Job", "gateway-migrate", lambda c: c["securityContext"]["capabilities"].update(drop=["NET_RAW"])
        ),
        "Job/gateway-migrate container migrate: capabilities.drop does not contain ALL",
        id="capabilities: not all dropped",
    ),
    pytest.param(
        policies.check_capabilities_dropped,
        edit_container(
            "Deployment",
            "promotions",
            lambda c: c["securityContext"]["capabilities"].update(add=["NET_ADMIN"]),
        ),
        "Deployment/promotions container promotions: adds capabilities ['NET_ADMIN']",
        id="capabilities: one added back",
    ),
    pytest.param(
        policies.check_image_tags,
        edit_container("Deployment", "gateway", lambda c: c.update(image="ghcr.io/scanpay/scanpay:latest")),
        "Deployment/gateway container gateway: image 'ghcr.io/scanpay/scanpay:latest' uses the latest tag",
        id="image: latest",
    ),
    pytest.param(
        policies.check_image_tags,
        edit_container("Deployment", "gateway", lambda c: c.update(image="registry.local:5000/scanpay")),
        "Deployment/gateway container gateway: image 'registry.local:5000/scanpay' has no tag",
        id="image: untagged, registry with a port",
    ),
    pytest.param(
        policies.check_termination_grace,
        edit_pod("Deployment", "gateway", lambda pod: pod.update(terminationGracePeriodSeconds=25)),
        "Deployment/gateway container gateway: terminationGracePeriodSeconds 25 <= preStop 5 s + drain 20 s",
        id="termination grace: shorter than drain",
    ),
    pytest.param(
        policies.check_termination_grace,
        edit_config("SCANPAY_DRAIN_SECONDS", "60"),
        "Deployment/wallet container wallet: terminationGracePeriodSeconds 45 <= preStop 5 s + drain 60 s",
        id="termination grace: drain raised in the ConfigMap",
    ),
    pytest.param(
        policies.check_no_literal_secrets,
        add(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "oops"},
                "stringData": {"password": "x"},
            }
        ),
        "Secret/oops: holds literal stringData",
        id="secrets: Secret with a value",
    ),
    pytest.param(
        policies.check_no_literal_secrets,
        edit_container("Deployment", "wallet", replace_env("SCANPAY_WALLET_DB_PASSWORD", "hunter2")),
        "Deployment/wallet container wallet env SCANPAY_WALLET_DB_PASSWORD: secret-looking value given literally",
        id="secrets: password as a literal env value",
    ),
    pytest.param(
        policies.check_no_literal_secrets,
        edit_config("SCANPAY_JWT_SECRET", "not-so-secret"),
        "key SCANPAY_JWT_SECRET: secret-looking value given literally",
        id="secrets: signing key in the ConfigMap",
    ),
    pytest.param(
        policies.check_no_literal_secrets,
        edit_config("SCANPAY_PG_DSN", "postgresql://scanpay:hunter2@scanpay-pg-rw:5432/scanpay"),
        "key SCANPAY_PG_DSN: URL carries a literal password",
        id="secrets: password inside a DSN",
    ),
    pytest.param(
        policies.check_default_deny,
        remove("NetworkPolicy", "default-deny-all"),
        "no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules)",
        id="default deny: missing",
    ),
    pytest.param(
        policies.check_default_deny,
        edit_policy("default-deny-all", lambda spec: spec.update(ingress=[{}])),
        "no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules)",
        id="default deny: allows everything in",
    ),
    pytest.param(
        lambda objects: policies.check_connections(objects, EXPECTED_CONNECTIONS),
        add(ALLOW_ALL_IN_NAMESPACE),
        "unexpected connection merchant -> wallet:50052",
        id="connections: an allow-all policy added",
    ),
    pytest.param(
        lambda objects: policies.check_connections(objects, EXPECTED_CONNECTIONS),
        edit_policy("gateway", lambda spec: spec["egress"].pop()),
        "missing connection gateway -> wallet:50052",
        id="connections: gateway cannot reach wallet",
    ),
    pytest.param(
        lambda objects: policies.check_connections(objects, EXPECTED_CONNECTIONS),
        remove("NetworkPolicy", "nats"),
        "missing connection gateway -> nats:4222",
        id="connections: NATS policy gone",
    ),
    pytest.param(
        lambda objects: policies.check_external_ingress(objects, PUBLIC_PORTS),
        edit_policy("merchant", lambda spec: spec["ingress"].append({"from": [{"namespaceSelector": {}}]})),
        "NetworkPolicy/merchant: merchant ports [50051] reachable from outside",
        id="external ingress: merchant open to other namespaces",
    ),
    pytest.param(
        policies.check_connection_budget,
        lambda objects: changed(
            objects, "HorizontalPodAutoscaler", "gateway", lambda h: h["spec"].update(maxReplicas=60)
        ),
        "Cluster/scanpay-pg: services may open 830 connections; max_connections 500 leaves 441",
        id="connection budget: gateway scales past PostgreSQL",
    ),
    pytest.param(
        policies.check_stream_replicas,
        edit_config("SCANPAY_NATS_STREAM_REPLICAS", "5"),
        "Deployment/settlement container settlement: SCANPAY_NATS_STREAM_REPLICAS=5 but NATS runs 3 nodes",
        id="stream replicas: more copies than nodes",
    ),
    pytest.param(
        policies.check_disruption_budgets,
        remove("PodDisruptionBudget", "wallet"),
        "Deployment/wallet: no PodDisruptionBudget selects its pods",
        id="PDB: one missing",
    ),
    pytest.param(
        policies.check_disruption_budgets,
        lambda objects: changed(
            objects,
            "PodDisruptionBudget",
            "nats",
            lambda p: p["spec"]["selector"]["matchLabels"].update({"app.kubernetes.io/name": "natz"}),
        ),
        "StatefulSet/nats: no PodDisruptionBudget selects its pods",
        id="PDB: selector matches nothing",
    ),
    pytest.param(
        policies.check_autoscalers,
        remove("HorizontalPodAutoscaler", "promotions"),
        "Deployment/promotions: no HorizontalPodAutoscaler",
        id="HPA: one missing",
    ),
    pytest.param(
        policies.check_autoscalers,
        lambda objects: changed(objects, "Deployment", "gateway", lambda d: d["spec"].update(replicas=3)),
        "Deployment/gateway: sets spec.replicas although an HPA scales it",
        id="HPA: replicas pinned in the manifest",
    ),
    pytest.param(
        policies.check_spread,
        edit_pod("Deployment", "merchant", lambda pod: pod.pop("topologySpreadConstraints")),
        "Deployment/merchant: pods are not spread over topology.kubernetes.io/zone",
        id="spread: none",
    ),
]


@pytest.mark.parametrize(("check", "breaker", "expected"), BROKEN)
def test_check_catches_a_broken_manifest(
    prod: list[Manifest], check: Check, breaker: Breaker, expected: str
) -> None:
    violations = check(breaker(prod))
    assert any(expected in violation for violation in violations), violations


def test_every_check_is_shown_able_to_fail() -> None:
    broken = {param.values[0] for param in BROKEN}
    named = {*CHECKS_FOR_EVERY_OVERLAY.values(), *CHECKS_FOR_PROD.values()} - {
        CHECKS_FOR_EVERY_OVERLAY["connections"],
        CHECKS_FOR_EVERY_OVERLAY["external ingress"],
    }
    assert named <= broken


def test_dev_is_not_held_to_prod_availability(rendered: dict[str, list[Manifest]]) -> None:
    assert "Deployment/wallet: no HorizontalPodAutoscaler" in policies.check_autoscalers(rendered["dev"])


def test_selector_semantics() -> None:
    labels = {"app": "wallet", "tier": "api"}
    assert policies.selector_matches({}, labels)
    assert not policies.selector_matches(None, labels)
    assert policies.selector_matches(
        {"matchExpressions": [{"key": "app", "operator": "In", "values": ["wallet"]}]}, labels
    )
    assert not policies.selector_matches(
        {"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, labels
    )
    assert not policies.selector_matches({"matchLabels": {"app": "gateway"}}, labels)
