"""Every rendered object validates offline: built-in kinds against Kubernetes 1.37, CRDs against crd_schemas/."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest
from deploy_render import OVERLAYS, Manifest, find
from deploy_schemas import KUBERNETES_VERSION, schema_violations


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rendered_object_matches_its_schema(rendered: dict[str, list[Manifest]], overlay: str) -> None:
    assert [v for obj in rendered[overlay] for v in schema_violations(obj)] == []


def test_an_unknown_field_in_a_builtin_kind_is_caught(prod: list[Manifest]) -> None:
    deployment = copy.deepcopy(find(prod, "Deployment", "wallet"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    [violation] = schema_violations(deployment)
    assert violation == (
        "Deployment/wallet: spec.template.spec.containers.0: "
        "Additional properties are not allowed ('readinesProbe' was unexpected)"
    )


def test_a_wrong_type_in_a_builtin_kind_is_caught(prod: list[Manifest]) -> None:
    hpa = copy.deepcopy(find(prod, "HorizontalPodAutoscaler", "gateway"))
    hpa["spec"]["maxReplicas"] = "twelve"
    assert schema_violations(hpa) == [
        "HorizontalPodAutoscaler/gateway: spec.maxReplicas: 'twelve' is not of type 'integer'"
    ]


def test_a_typo_in_a_custom_resource_is_caught(prod: list[Manifest]) -> None:
    cluster = copy.deepcopy(find(prod, "Cluster", "scanpay-pg"))
    cluster["spec"]["instance"] = 3
    assert schema_violations(cluster) == [
        "Cluster/scanpay-pg: spec: Additional properties are not allowed ('instance' was unexpected)"
    ]


def test_an_embedded_kubernetes_type_in_a_custom_resource_is_checked(prod: list[Manifest]) -> None:
    cluster = copy.deepcopy(find(prod, "Cluster", "scanpay-pg"))
    cluster["spec"]["resources"]["limit"] = {"cpu": "1"}
    assert schema_violations(cluster) == [
        "Cluster/scanpay-pg: spec.resources: Additional properties are not allowed ('limit' was unexpected)"
    ]


def test_a_bad_duration_in_a_prometheus_rule_is_caught(prod: list[Manifest]) -> None:
    rule = copy.deepcopy(find(prod, "PrometheusRule", "scanpay"))
    rule["spec"]["groups"][0]["rules"][0]["for"] = "10 minutes"
    [violation] = schema_violations(rule)
    assert violation.startswith(
        "PrometheusRule/scanpay: spec.groups.0.rules.0.for: '10 minutes' does not match"
    )


def test_a_kind_without_any_schema_is_not_skipped() -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    assert schema_violations(widget) == [
        "Widget/w: no schema for example.com/v1 Widget; add tests/deploy/crd_schemas/example.com_v1_Widget.yaml"
    ]


@pytest.mark.parametrize("broken", [False, True], ids=["valid", "invalid"])
def test_validation_agrees_with_kubernetes_validate(prod: list[Manifest], broken: bool) -> None:
    statefulset = copy.deepcopy(find(prod, "StatefulSet", "nats"))
    if broken:
        statefulset["spec"]["podManagementPolicy"] = 3
    try:
        kubernetes_validate.validate(statefulset, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError:
        library_rejects = True
    else:
        library_rejects = False
    assert bool(schema_violations(statefulset)) is library_rejects is broken
