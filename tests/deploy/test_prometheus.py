"""deploy/prometheus: promtool checks the scrape config and the rules and runs the rules' unit
tests; every alert has a firing and a quiet test, labels, annotations, and reads only metrics the
code exports."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.deploy.catalogue import PROMETHEUS, exported, unknown

#: The severities an Alertmanager route may match on.
SEVERITIES = {"warning", "critical"}


@pytest.fixture
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is missing: `apt-get install prometheus` (scripts/test.sh does)")
    return found


def _promtool(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120
    )


def _rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_promtool_accepts_the_scrape_config_and_the_rules_it_loads(promtool: str) -> None:
    checked = _promtool(promtool, "check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 1 rule files found" in checked.stdout
    rules = _promtool(promtool, "check", "rules", "alerts.yml")
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in rules.stdout


def test_promtool_unit_tests_of_the_alert_rules_pass(promtool: str) -> None:
    tested = _promtool(promtool, "test", "rules", "alerts_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_promtool_fails_a_rule_that_no_longer_fires(promtool: str, tmp_path: Any) -> None:
    # The unit tests would catch a threshold moved by mistake.
    original = (PROMETHEUS / "alerts.yml").read_text()
    loosened = original.replace("> 0.01\n", "> 0.5\n")
    assert loosened != original
    (tmp_path / "alerts.yml").write_text(loosened)
    shutil.copy(PROMETHEUS / "alerts_test.yml", tmp_path)
    tested = subprocess.run(
        [promtool, "test", "rules", "alerts_test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert tested.returncode != 0
    assert "PqoracleSignatureVerificationSuccessLow" in tested.stdout + tested.stderr


def test_every_alert_has_a_firing_test_and_a_quiet_test() -> None:
    document = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in document["tests"]:
        for check in case["alert_rule_test"]:
            (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in _rules()}
    assert names - firing == set()
    assert names - quiet == set()
    assert (firing | quiet) - names == set()


def test_every_alert_has_a_severity_a_summary_and_a_description() -> None:
    for rule in _rules():
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert set(rule["annotations"]) == {"summary", "description"}, rule["alert"]


def test_the_alert_rules_read_only_metrics_the_code_exports() -> None:
    catalogue = exported()
    read = 0
    for rule in _rules():
        assert unknown(rule["expr"], catalogue) == [], rule["alert"]
        read += "pqoracle_" in rule["expr"]
    assert read == len(_rules()) - 1  # all but the target-down rule, which reads `up`


def test_the_scrape_config_names_the_jobs_the_rules_expect() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert jobs == {"pqoracle-api", "pqoracle-daemon"}
    assert config["rule_files"] == ["alerts.yml"]
    [down] = [rule for rule in _rules() if rule["alert"] == "PqoracleTargetDown"]
    assert all(job in down["expr"] for job in jobs)
