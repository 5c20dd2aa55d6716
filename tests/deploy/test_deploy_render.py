"""Every kustomize tree renders offline, and what it renders is wired together consistently."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_policies import environment, pod_spec
from deploy_render import K8S, OVERLAYS, Manifest, RenderError, find, kubectl, of_kind, render

# DESIGN.md "Local ports": gRPC per service, metrics at 9100 + the same offset.
GRPC_PORTS = {"gateway": 50050, "merchant": 50051, "wallet": 50052, "promotions": 50053, "settlement": 50054}
SERVICES = tuple(GRPC_PORTS)


def test_kubectl_comes_from_the_dev_extra() -> None:
    assert kubectl().name == "kubectl"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_every_service(rendered: dict[str, list[Manifest]], overlay: str) -> None:
    objects = rendered[overlay]
    assert {d["metadata"]["name"] for d in of_kind(objects, "Deployment")} == set(SERVICES)
    assert {j["metadata"]["name"] for j in of_kind(objects, "Job")} == {f"{s}-migrate" for s in SERVICES}
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {"scanpay"}
    assert find(objects, "StatefulSet", "nats")["spec"]["replicas"] == 3
    assert find(objects, "Cluster", "scanpay-pg")


@pytest.mark.parametrize("component", sorted(p.name for p in (K8S / "components").iterdir()))
def test_every_component_is_used_by_prod(component: str) -> None:
    assert f"../../components/{component}" in (K8S / "overlays" / "prod" / "kustomization.yaml").read_text()


def test_a_broken_kustomization_is_reported(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    with pytest.raises(RenderError, match="missing.yaml"):
        render(tmp_path)


def test_prod_runs_three_copies_of_everything_stateful(prod: list[Manifest]) -> None:
    cluster = find(prod, "Cluster", "scanpay-pg")["spec"]
    assert cluster["instances"] == 3
    assert cluster["postgresql"]["synchronous"] == {
        "method": "any",
        "number": 1,
        "dataDurability": "required",
    }
    assert cluster["plugins"][0]["isWALArchiver"] is True
    assert find(prod, "ConfigMap", _config_map_name(prod))["data"]["SCANPAY_NATS_STREAM_REPLICAS"] == "3"


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_service_ports_and_probes_match_the_design(
    rendered: dict[str, list[Manifest]], overlay: str, service: str
) -> None:
    objects = rendered[overlay]
    container = pod_spec(find(objects, "Deployment", service))["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports["grpc"] == GRPC_PORTS[service]
    assert ports["metrics"] == 9100 + GRPC_PORTS[service] - 50050
    assert container["command"] == ["scanpay", "serve", service]
    if service == "gateway":
        assert ports["http"] == 8080
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    else:
        assert all(
            container[p]["grpc"]["port"] == ports["grpc"]
            for p in ("startupProbe", "readinessProbe", "livenessProbe")
        )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_callee_address_is_a_rendered_service_port(
    rendered: dict[str, list[Manifest]], overlay: str
) -> None:
    objects = rendered[overlay]
    env = environment(objects, pod_spec(find(objects, "Deployment", "gateway"))["containers"][0])
    for service in SERVICES:
        host, _, port = env[f"SCANPAY_{service.upper()}_ADDR"].partition(":")
        assert int(port) in {p["port"] for p in find(objects, "Service", host)["spec"]["ports"]}


def _config_map_name(objects: list[Manifest]) -> str:
    return pod_spec(find(objects, "Deployment", "wallet"))["containers"][0]["envFrom"][0]["configMapRef"][
        "name"
    ]
