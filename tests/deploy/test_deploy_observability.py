"""Dashboard, alerts and runbook agree with each other and with the metrics the services export."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from deploy_render import K8S, REPO, Manifest, find
from deploy_schemas import schema_violations

DASHBOARD = K8S / "components" / "monitoring" / "dashboards" / "scanpay-overview.json"
RUNBOOK = REPO / "docs" / "operations.md"
# What the services export (services/kit/metrics.py, gateway, settlement).
EXPORTED = {
    "scanpay_rpc_requests_total",
    "scanpay_rpc_duration_seconds",
    "scanpay_http_requests_total",
    "scanpay_http_duration_seconds",
    "scanpay_outbox_lag_events",
    "scanpay_outbox_published_total",
    "scanpay_consumer_lag_messages",
    "scanpay_events_handled_total",
    "scanpay_dead_letters_total",
    "scanpay_payments_total",
    "scanpay_settlement_runs_total",
}
# The dashboard shows payments/s, latency, errors, outbox lag, consumer lag, dead letters, settlement runs.
ON_DASHBOARD = EXPORTED - {"scanpay_outbox_published_total", "scanpay_events_handled_total"}
SCANPAY_METRIC = re.compile(r"\bscanpay_[a-z_]+")
PROCEDURES = (
    "Deploy: from an empty cluster",
    "Watch it",
    "Upgrade",
    "Scale",
    "Rotate keys and passwords",
    "Replay dead letters",
    "Run or re-run settlement",
    "Restore",
    "Alerts",
)


def metrics_in(expression: str) -> set[str]:
    return {re.sub(r"_(bucket|sum|count)$", "", name) for name in SCANPAY_METRIC.findall(expression)}


def dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels if panel["type"] != "row" for target in panel["targets"]]


def alert_rules(prod: list[Manifest]) -> list[dict[str, Any]]:
    groups = find(prod, "PrometheusRule", "scanpay")["spec"]["groups"]
    return [rule for group in groups for rule in group["rules"]]


def runbook_anchors() -> set[str]:
    """GitHub's anchors for the runbook's headings."""
    headings = re.findall(r"^#+ (.+)$", RUNBOOK.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading).strip().lower().replace(" ", "-") for heading in headings}


def balanced(expression: str) -> bool:
    depth = {"(": 0, "[": 0, "{": 0}
    closing = {")": "(", "]": "[", "}": "{"}
    for char in re.sub(r'"[^"]*"', "", expression):
        if char in depth:
            depth[char] += 1
        elif char in closing:
            depth[closing[char]] -= 1
            if depth[closing[char]] < 0:
                return False
    return not any(depth.values())


def test_dashboard_is_grafana_json_with_queries() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "scanpay-overview"
    assert all(panel["targets"] for panel in dashboard["panels"] if panel["type"] != "row")
    assert all(balanced(expression) for expression in dashboard_expressions())


def test_dashboard_shows_the_key_metrics_and_only_exported_ones() -> None:
    used = set().union(*map(metrics_in, dashboard_expressions()))
    assert used <= EXPORTED
    assert ON_DASHBOARD <= used


def test_dashboard_is_shipped_as_a_grafana_configmap(prod: list[Manifest]) -> None:
    config_map = find(prod, "ConfigMap", "scanpay-grafana-dashboards")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(config_map["data"]["scanpay-overview.json"]) == json.loads(DASHBOARD.read_text())


def test_alerts_use_only_exported_metrics(prod: list[Manifest]) -> None:
    for rule in alert_rules(prod):
        assert metrics_in(rule["expr"]) <= EXPORTED, rule["alert"]
        assert balanced(rule["expr"]), rule["alert"]


def test_every_alert_has_a_severity_a_summary_and_a_runbook_section(prod: list[Manifest]) -> None:
    rules = alert_rules(prod)
    anchors = runbook_anchors()
    assert len({rule["alert"] for rule in rules}) == len(rules)
    for rule in rules:
        anchor = rule["alert"].lower()
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["annotations"]["runbook_url"] == f"docs/operations.md#{anchor}"
        assert anchor in anchors, f"docs/operations.md has no section for {rule['alert']}"


def test_the_runbook_explains_no_alert_that_does_not_exist(prod: list[Manifest]) -> None:
    documented = set(re.findall(r"^### (Scanpay\w+)$", RUNBOOK.read_text(), flags=re.MULTILINE))
    assert documented == {rule["alert"] for rule in alert_rules(prod)}


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_the_runbook_covers(procedure: str) -> None:
    assert f"## {procedure}\n" in RUNBOOK.read_text()


def test_runbook_links_resolve() -> None:
    targets = set(re.findall(r"\]\(#([^)]+)\)", RUNBOOK.read_text()))
    assert targets <= runbook_anchors()
    paths = set(re.findall(r"`((?:deploy|tests|docs)/[\w./-]+)`", RUNBOOK.read_text()))
    assert [path for path in sorted(paths) if not (REPO / path).exists()] == []


def test_yaml_in_the_runbook_validates() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", RUNBOOK.read_text(), flags=re.DOTALL)
    documents = [doc for block in blocks for doc in yaml.safe_load_all(_dedent(block)) if doc]
    assert documents
    assert [v for doc in documents for v in schema_violations(doc)] == []


def _dedent(block: str) -> str:
    lines = block.splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines)
