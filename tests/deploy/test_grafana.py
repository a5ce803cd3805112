"""deploy/grafana/pqoracle.json: every query reads metrics (and labels) the service and the daemon
export, every exported metric is on the dashboard, the security targets carry the alert
thresholds, and promtool parses every query."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.catalogue import DASHBOARD, exported, selectors, unknown

#: Grafana's macros and this dashboard's variables, as Prometheus would receive them.
_MACROS = {"$__rate_interval": "1m", "$__range": "1h", "$instance": ".*"}


def _panels(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for node in nodes:
        found.append(node)
        found.extend(_panels(node.get("panels", [])))
    return found


def _dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def _queries() -> list[str]:
    dashboard = _dashboard()
    queries = [
        target["expr"]
        for panel in _panels(dashboard["panels"])
        for target in panel.get("targets", [])
    ]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            queries.append(variable["definition"])
    return queries


def test_the_catalogue_names_what_is_missing() -> None:
    catalogue = exported()
    assert unknown('rate(pqoracle_api_verification_total{result="valid"}[5m])', catalogue) == [
        "no metric pqoracle_api_verification_total"
    ]
    assert unknown('pqoracle_daemon_queue_requests{route="x"}', catalogue) == [
        "pqoracle_daemon_queue_requests has no label ['route']"
    ]
    assert unknown('pqoracle_api_request_seconds_bucket{le="0.1", job="a"}', catalogue) == []


def test_every_dashboard_query_reads_metrics_and_labels_the_code_exports() -> None:
    catalogue = exported()
    queries = _queries()
    assert len(queries) >= 20
    for query in queries:
        assert unknown(query, catalogue) == [], query


def test_every_exported_metric_is_on_the_dashboard() -> None:
    shown = {name for query in _queries() for name, _ in selectors(query)}
    families = {
        name.removesuffix("_total").removesuffix("_bucket")
        for name in exported()
        if not name.endswith(("_count", "_sum"))
    }
    missing = {
        family
        for family in families
        if not any(name == family or name.startswith(family + "_") for name in shown)
    }
    assert missing == set()


@pytest.mark.parametrize(
    ("title", "threshold"),
    [
        ("Signature verification success (target ≥ 99%)", 0.99),
        ("Authentication success (target ≥ 98%)", 0.98),
        ("Envelope latency p99 (target ≤ 50 ms)", 0.05),
        ("Blocks behind the confirmed head", 50),
        ("Seconds since the last cycle", 300),
    ],
)
def test_the_targets_are_drawn_as_threshold_lines(title: str, threshold: float) -> None:
    [panel] = [p for p in _panels(_dashboard()["panels"]) if p.get("title") == title]
    defaults = panel["fieldConfig"]["defaults"]
    assert defaults["custom"]["thresholdsStyle"]["mode"] == "line"
    assert threshold in [step["value"] for step in defaults["thresholds"]["steps"]]


def test_panel_ids_are_unique_and_every_panel_has_a_datasource() -> None:
    panels = _panels(_dashboard()["panels"])
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_promtool_parses_every_dashboard_query(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is missing: `apt-get install prometheus` (scripts/test.sh does)")
    rules = []
    for index, query in enumerate(_queries()):
        if query.startswith("label_values("):
            continue  # a Grafana function, not PromQL
        for macro, value in _MACROS.items():
            query = query.replace(macro, value)
        rules.append({"record": f"dashboard:query_{index}", "expr": query})
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    checked = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=120
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules)} rules found" in checked.stdout
