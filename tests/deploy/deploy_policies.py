"""Policy checks on rendered manifests. Each check returns the violations it finds, [] when there are none.

The checks read only what kubectl kustomize renders, so they hold for whatever an overlay adds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from deploy_render import Manifest, of_kind, ref

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
LONG_RUNNING_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
# The services' own default for SCANPAY_DRAIN_SECONDS (services/kit/config.py).
DEFAULT_DRAIN_SECONDS = 10.0
DEFAULT_DB_POOL_MAX = 10
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE|(^|_)KEY$|SIGNING", re.IGNORECASE)
ONLY_VARIABLE_REFERENCES = re.compile(r"^(\$\([A-Za-z_][A-Za-z0-9_]*\))+$")
URL_WITH_PASSWORD = re.compile(r"://[^/\s:@]+:(?P<password>[^/\s@]+)@")
# Connections PostgreSQL keeps for itself and its operator, and the headroom asked of the services.
POSTGRES_RESERVED_CONNECTIONS = 10
POSTGRES_CONNECTION_HEADROOM = 0.9


# --- walking pod templates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Container:
    owner: Manifest
    pod: dict[str, Any]
    spec: dict[str, Any]
    init: bool

    @property
    def where(self) -> str:
        kind = "init container" if self.init else "container"
        return f"{ref(self.owner)} {kind} {self.spec['name']}"


def pod_spec(obj: Manifest) -> dict[str, Any]:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def pod_labels(obj: Manifest) -> dict[str, str]:
    template = (
        obj["spec"]["jobTemplate"]["spec"]["template"]
        if obj["kind"] == "CronJob"
        else obj["spec"]["template"]
    )
    return template.get("metadata", {}).get("labels", {})


def workloads(objects: list[Manifest], kinds: tuple[str, ...] = WORKLOAD_KINDS) -> Iterator[Manifest]:
    return (obj for obj in objects if obj["kind"] in kinds)


def containers(objects: list[Manifest], kinds: tuple[str, ...] = WORKLOAD_KINDS) -> Iterator[Container]:
    for obj in workloads(objects, kinds):
        pod = pod_spec(obj)
        for spec in pod.get("initContainers", []):
            yield Container(obj, pod, spec, init=True)
        for spec in pod.get("containers", []):
            yield Container(obj, pod, spec, init=False)


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics; an empty selector matches everything, None matches nothing."""
    if selector is None:
        return False
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    return all(_expression_matches(expression, labels) for expression in selector.get("matchExpressions", []))


def _expression_matches(expression: dict[str, Any], labels: dict[str, str]) -> bool:
    key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
    if operator == "In":
        return labels.get(key) in values
    if operator == "NotIn":
        return labels.get(key) not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    raise ValueError(f"unknown selector operator {operator}")


# --- containers ------------------------------------------------------------------------------------------


def check_probes(objects: list[Manifest]) -> list[str]:
    """Every container of a long-running workload has a readiness and a liveness probe."""
    return [
        f"{c.where}: no {probe}"
        for c in containers(objects, LONG_RUNNING_KINDS)
        if not c.init
        for probe in ("readinessProbe", "livenessProbe")
        if probe not in c.spec
    ]


def check_resources(objects: list[Manifest]) -> list[str]:
    """Every container, Jobs and init containers included, requests and limits CPU and memory."""
    return [
        f"{c.where}: no resources.{bound}.{resource}"
        for c in containers(objects)
        for bound in ("requests", "limits")
        for resource in ("cpu", "memory")
        if resource not in c.spec.get("resources", {}).get(bound, {})
    ]


def check_non_root(objects: list[Manifest]) -> list[str]:
    """runAsNonRoot is true for every container (set on the pod or the container) and no UID is 0."""
    violations = []
    for c in containers(objects):
        effective = {**c.pod.get("securityContext", {}), **c.spec.get("securityContext", {})}
        if effective.get("runAsNonRoot") is not True:
            violations.append(f"{c.where}: runAsNonRoot is not true")
        if effective.get("runAsUser") == 0:
            violations.append(f"{c.where}: runAsUser is 0")
    return violations


def check_read_only_root(objects: list[Manifest]) -> list[str]:
    return [
        f"{c.where}: readOnlyRootFilesystem is not true"
        for c in containers(objects)
        if c.spec.get("securityContext", {}).get("readOnlyRootFilesystem") is not True
    ]


def check_no_privilege_escalation(objects: list[Manifest]) -> list[str]:
    violations = []
    for c in containers(objects):
        context = c.spec.get("securityContext", {})
        if context.get("allowPrivilegeEscalation") is not False:
            violations.append(f"{c.where}: allowPrivilegeEscalation is not false")
        if context.get("privileged") is True:
            violations.append(f"{c.where}: privileged")
    return violations


def check_capabilities_dropped(objects: list[Manifest]) -> list[str]:
    violations = []
    for c in containers(objects):
        capabilities = c.spec.get("securityContext", {}).get("capabilities", {})
        if "ALL" not in capabilities.get("drop", []):
            violations.append(f"{c.where}: capabilities.drop does not contain ALL")
        if capabilities.get("add"):
            violations.append(f"{c.where}: adds capabilities {capabilities['add']}")
    return violations


def check_image_tags(objects: list[Manifest]) -> list[str]:
    """Images carry a digest or an explicit tag other than `latest`."""
    violations = []
    for c in containers(objects):
        image = c.spec.get("image", "")
        if "@sha256:" in image:
            continue
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if not tag:
            violations.append(f"{c.where}: image {image!r} has no tag")
        elif tag == "latest":
            violations.append(f"{c.where}: image {image!r} uses the latest tag")
    return violations


# --- availability ----------------------------------------------------------------------------------------


def check_disruption_budgets(objects: list[Manifest]) -> list[str]:
    """Every Deployment and StatefulSet has a PodDisruptionBudget that selects its pods."""
    budgets = [pdb["spec"].get("selector") for pdb in of_kind(objects, "PodDisruptionBudget")]
    return [
        f"{ref(obj)}: no PodDisruptionBudget selects its pods"
        for obj in workloads(objects, ("Deployment", "StatefulSet"))
        if not any(selector_matches(selector, pod_labels(obj)) for selector in budgets)
    ]


def check_autoscalers(objects: list[Manifest]) -> list[str]:
    """Every Deployment has a HorizontalPodAutoscaler, and leaves the replica count to it."""
    scaled = {
        hpa["spec"]["scaleTargetRef"]["name"]
        for hpa in of_kind(objects, "HorizontalPodAutoscaler")
        if hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    }
    violations = []
    for deployment in of_kind(objects, "Deployment"):
        name = deployment["metadata"]["name"]
        if name not in scaled:
            violations.append(f"{ref(deployment)}: no HorizontalPodAutoscaler")
        elif "replicas" in deployment["spec"]:
            violations.append(f"{ref(deployment)}: sets spec.replicas although an HPA scales it")
    return violations


def check_spread(objects: list[Manifest]) -> list[str]:
    """Every Deployment spreads its pods over nodes and zones (topology spread or pod anti-affinity)."""
    violations = []
    for deployment in of_kind(objects, "Deployment"):
        pod = pod_spec(deployment)
        keys = {constraint["topologyKey"] for constraint in pod.get("topologySpreadConstraints", [])}
        keys |= _anti_affinity_keys(pod)
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone"):
            if key not in keys:
                violations.append(f"{ref(deployment)}: pods are not spread over {key}")
    return violations


def _anti_affinity_keys(pod: dict[str, Any]) -> set[str]:
    anti = pod.get("affinity", {}).get("podAntiAffinity", {})
    required = anti.get("requiredDuringSchedulingIgnoredDuringExecution", [])
    preferred = [
        term["podAffinityTerm"] for term in anti.get("preferredDuringSchedulingIgnoredDuringExecution", [])
    ]
    return {term["topologyKey"] for term in [*required, *preferred]}


def check_termination_grace(objects: list[Manifest]) -> list[str]:
    """terminationGracePeriodSeconds exceeds the preStop sleep plus SCANPAY_DRAIN_SECONDS, per container."""
    violations = []
    for c in containers(objects, ("Deployment",)):
        grace = c.pod.get("terminationGracePeriodSeconds", 30)
        drain = drain_seconds(objects, c.spec)
        pre_stop = c.spec.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        if grace <= drain + pre_stop:
            violations.append(
                f"{c.where}: terminationGracePeriodSeconds {grace} <= preStop {pre_stop} s + drain {drain:g} s"
            )
    return violations


def drain_seconds(objects: list[Manifest], container: dict[str, Any]) -> float:
    value = environment(objects, container).get("SCANPAY_DRAIN_SECONDS")
    return float(value) if value is not None else DEFAULT_DRAIN_SECONDS


def environment(objects: list[Manifest], container: dict[str, Any]) -> dict[str, str]:
    """Literal environment of a container: its ConfigMaps (envFrom) overlaid with its `env` values."""
    config_maps = {cm["metadata"]["name"]: cm.get("data", {}) for cm in of_kind(objects, "ConfigMap")}
    values: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            values.update(config_maps.get(source["configMapRef"]["name"], {}))
    values.update({var["name"]: var["value"] for var in container.get("env", []) if "value" in var})
    return values


# --- secrets ---------------------------------------------------------------------------------------------


def check_no_literal_secrets(objects: list[Manifest]) -> list[str]:
    """No Secret carries data, and secret-looking settings come from secretKeyRef, never from a literal."""
    violations = [
        f"{ref(secret)}: holds literal {field}"
        for secret in of_kind(objects, "Secret")
        for field in ("data", "stringData")
        if secret.get(field)
    ]
    for config_map in of_kind(objects, "ConfigMap"):
        for key, value in config_map.get("data", {}).items():
            violations += _literal_secret(f"{ref(config_map)} key {key}", key, value)
    for c in containers(objects):
        for var in c.spec.get("env", []):
            if "value" in var:
                violations += _literal_secret(f"{c.where} env {var['name']}", var["name"], var["value"])
    return violations


def _literal_secret(where: str, name: str, value: str) -> list[str]:
    if SECRET_NAME.search(name) and value and not ONLY_VARIABLE_REFERENCES.match(value):
        return [f"{where}: secret-looking value given literally"]
    password = URL_WITH_PASSWORD.search(value)
    if password and not ONLY_VARIABLE_REFERENCES.match(password["password"]):
        return [f"{where}: URL carries a literal password"]
    return []


# --- network ---------------------------------------------------------------------------------------------


def check_default_deny(objects: list[Manifest]) -> list[str]:
    """A NetworkPolicy selects every pod for both directions and allows nothing."""
    for policy in of_kind(objects, "NetworkPolicy"):
        spec = policy["spec"]
        if (
            spec.get("podSelector") == {}
            and {"Ingress", "Egress"} <= set(spec.get("policyTypes", []))
            and not spec.get("ingress")
            and not spec.get("egress")
        ):
            return []
    return ["no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, no rules)"]


@dataclass(frozen=True)
class Pod:
    """A kind of pod the manifests make: a workload's template, or a PostgreSQL instance of a Cluster."""

    name: str
    labels: dict[str, str]
    ports: dict[str, int]


# Ports of a CloudNativePG instance pod (the operator makes these pods; they are not rendered).
CNPG_INSTANCE_PORTS = {"postgresql": 5432, "status": 8000, "metrics": 9187}


def pods(objects: list[Manifest]) -> list[Pod]:
    found = [
        Pod(
            obj["metadata"]["name"],
            pod_labels(obj),
            {
                port.get("name", str(port["containerPort"])): port["containerPort"]
                for spec in pod_spec(obj).get("containers", [])
                for port in spec.get("ports", [])
            },
        )
        for obj in workloads(objects)
    ]
    for cluster in of_kind(objects, "Cluster"):
        labels = {
            **cluster["spec"].get("inheritedMetadata", {}).get("labels", {}),
            "cnpg.io/cluster": cluster["metadata"]["name"],
        }
        found.append(Pod(cluster["metadata"]["name"], labels, dict(CNPG_INSTANCE_PORTS)))
    return found


def allowed_connections(objects: list[Manifest]) -> set[tuple[str, str, int]]:
    """(source, destination, port) between different pods of the namespace that the NetworkPolicies allow."""
    policies = list(of_kind(objects, "NetworkPolicy"))
    everything = pods(objects)
    return {
        (source.name, destination.name, port)
        for source in everything
        for destination in everything
        if source.name != destination.name
        for port in destination.ports.values()
        if _allowed(policies, source, destination, port, "Egress")
        and _allowed(policies, destination, source, port, "Ingress")
    }


def _allowed(policies: list[Manifest], subject: Pod, peer: Pod, port: int, direction: str) -> bool:
    """Whether `subject`'s policies let it talk to `peer` (Egress) or hear from it (Ingress) on `port`."""
    target = peer if direction == "Egress" else subject
    governing = [
        policy
        for policy in policies
        if direction in policy_types(policy)
        and selector_matches(policy["spec"].get("podSelector"), subject.labels)
    ]
    if not governing:
        return True
    peers_key = "to" if direction == "Egress" else "from"
    return any(
        _rule_admits(rule.get(peers_key), peer) and _rule_ports_admit(rule.get("ports"), target, port)
        for policy in governing
        for rule in policy["spec"].get(direction.lower(), [])
    )


def policy_types(policy: Manifest) -> list[str]:
    """policyTypes, or the API's default when omitted: Ingress, plus Egress if there are egress rules."""
    spec = policy["spec"]
    return spec.get("policyTypes") or ["Ingress", *(["Egress"] if "egress" in spec else [])]


def _rule_admits(peers: list[dict[str, Any]] | None, pod: Pod) -> bool:
    """Whether a rule's peers include a pod of this namespace (peers naming other namespaces do not)."""
    if not peers:
        return True
    return any(
        "namespaceSelector" not in peer
        and "ipBlock" not in peer
        and selector_matches(peer.get("podSelector"), pod.labels)
        for peer in peers
    )


def _rule_ports_admit(ports: list[dict[str, Any]] | None, target: Pod, port: int) -> bool:
    if not ports:
        return True
    for entry in ports:
        if "port" not in entry:
            return True
        number = target.ports.get(entry["port"]) if isinstance(entry["port"], str) else entry["port"]
        if number is not None and number <= port <= entry.get("endPort", number):
            return True
    return False


def check_connections(objects: list[Manifest], expected: set[tuple[str, str, int]]) -> list[str]:
    """The NetworkPolicies allow exactly the `expected` connections between the namespace's pods."""
    allowed = allowed_connections(objects)
    return [
        *(f"unexpected connection {s} -> {d}:{p}" for s, d, p in sorted(allowed - expected)),
        *(f"missing connection {s} -> {d}:{p}" for s, d, p in sorted(expected - allowed)),
    ]


def check_external_ingress(objects: list[Manifest], public: dict[str, set[int]]) -> list[str]:
    """Traffic from outside the namespace reaches only `public` (pod name -> ports) and metrics ports.

    Exception: the CloudNativePG operator's namespace (cnpg-system) talks to the PostgreSQL instances.
    """
    everything = pods(objects)
    violations = []
    for policy in of_kind(objects, "NetworkPolicy"):
        selected = [
            pod for pod in everything if selector_matches(policy["spec"].get("podSelector"), pod.labels)
        ]
        for rule in policy["spec"].get("ingress", []):
            if not _admits_outside(rule.get("from")) or _from_operator(rule.get("from")):
                continue
            for pod in selected:
                exposed = _exposed_ports(rule.get("ports"), pod) - {pod.ports.get("metrics")}
                if not exposed <= public.get(pod.name, set()):
                    violations.append(
                        f"{ref(policy)}: {pod.name} ports {sorted(exposed)} reachable from outside"
                    )
    return violations


def _admits_outside(peers: list[dict[str, Any]] | None) -> bool:
    return not peers or any("namespaceSelector" in peer or "ipBlock" in peer for peer in peers)


def _from_operator(peers: list[dict[str, Any]] | None) -> bool:
    operator = {"kubernetes.io/metadata.name": "cnpg-system"}
    return bool(peers) and all(
        peer.get("namespaceSelector", {}).get("matchLabels") == operator for peer in peers
    )


def _exposed_ports(ports: list[dict[str, Any]] | None, pod: Pod) -> set[int]:
    if not ports:
        return set(pod.ports.values())
    return {number for number in pod.ports.values() if _rule_ports_admit(ports, pod, number)}


# --- capacity --------------------------------------------------------------------------------------------


def check_connection_budget(objects: list[Manifest]) -> list[str]:
    """At full scale (HPA maxReplicas) the services' pools fit in PostgreSQL's max_connections."""
    violations = []
    for cluster in of_kind(objects, "Cluster"):
        limit = int(cluster["spec"].get("postgresql", {}).get("parameters", {}).get("max_connections", 100))
        available = int((limit - POSTGRES_RESERVED_CONNECTIONS) * POSTGRES_CONNECTION_HEADROOM)
        needed = sum(
            _max_pods(objects, deployment) * _pool_size(objects, deployment)
            for deployment in _postgres_clients(objects)
        )
        if needed > available:
            violations.append(
                f"{ref(cluster)}: services may open {needed} connections; max_connections {limit} leaves {available}"
            )
    return violations


def _postgres_clients(objects: list[Manifest]) -> Iterator[Manifest]:
    return (
        d for d in of_kind(objects, "Deployment") if pod_labels(d).get("scanpay.io/postgres-client") == "true"
    )


def _max_pods(objects: list[Manifest], deployment: Manifest) -> int:
    for hpa in of_kind(objects, "HorizontalPodAutoscaler"):
        if hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]:
            return int(hpa["spec"]["maxReplicas"])
    return int(deployment["spec"].get("replicas", 1))


def _pool_size(objects: list[Manifest], deployment: Manifest) -> int:
    pools = [
        int(environment(objects, spec).get("SCANPAY_DB_POOL_MAX", DEFAULT_DB_POOL_MAX))
        for spec in pod_spec(deployment)["containers"]
    ]
    return sum(pools)


def check_stream_replicas(objects: list[Manifest]) -> list[str]:
    """Streams ask for no more copies (SCANPAY_NATS_STREAM_REPLICAS) than there are NATS nodes."""
    nodes = sum(
        int(s["spec"].get("replicas", 1))
        for s in of_kind(objects, "StatefulSet")
        if s["metadata"]["name"] == "nats"
    )
    return [
        f"{c.where}: SCANPAY_NATS_STREAM_REPLICAS={replicas} but NATS runs {nodes} nodes"
        for c in containers(objects, ("Deployment",))
        if (replicas := int(environment(objects, c.spec).get("SCANPAY_NATS_STREAM_REPLICAS", 1))) > nodes
    ]
