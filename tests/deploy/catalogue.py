"""What the service and the daemon export, and which metrics a PromQL expression reads, so that
the alert rules and the dashboard are checked against the code rather than against a list."""

from __future__ import annotations

import re
from typing import Final

from prometheus_client import CollectorRegistry

from oracle.api.metrics import Metrics
from oracle.daemon.metrics import DaemonMetrics
from tests.chains import ROOT

DEPLOY: Final = ROOT / "deploy"
PROMETHEUS: Final = DEPLOY / "prometheus"
DASHBOARD: Final = DEPLOY / "grafana" / "pqoracle.json"
#: Labels Prometheus attaches to every scraped series (target labels).
TARGET_LABELS: Final = frozenset({"job", "instance"})
#: Sample suffixes each metric type exposes besides its own name.
_SUFFIXES: Final = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("_count", "_sum"),
    "gauge": ("",),
}
_SELECTOR: Final = re.compile(r"\b(pqoracle_[A-Za-z0-9_]+)\s*(\{[^}]*\})?")
_MATCHER: Final = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)\s*"')


def exported() -> dict[str, frozenset[str]]:
    """Every sample name the service and the daemon expose, with the label names it carries."""
    found: dict[str, frozenset[str]] = {}
    registries: list[CollectorRegistry] = [Metrics().registry, DaemonMetrics().registry]
    for registry in registries:
        # prometheus_client keeps label names on the collector only (no public accessor for a
        # labelled metric without children).
        for collector in registry._collector_to_names:
            name, kind = collector._name, collector._type  # type: ignore[attr-defined]
            labels = frozenset(collector._labelnames) | TARGET_LABELS  # type: ignore[attr-defined]
            for suffix in _SUFFIXES[kind]:
                found[name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return found


def selectors(expr: str) -> list[tuple[str, frozenset[str]]]:
    """Each `pqoracle_*` metric an expression reads, with the label names it matches on."""
    return [
        (match.group(1), frozenset(_MATCHER.findall(match.group(2) or "")))
        for match in _SELECTOR.finditer(expr)
    ]


def unknown(expr: str, catalogue: dict[str, frozenset[str]]) -> list[str]:
    """What in `expr` the code does not export: metric names, or label names a metric lacks."""
    problems: list[str] = []
    for name, labels in selectors(expr):
        if name not in catalogue:
            problems.append(f"no metric {name}")
        elif not labels <= catalogue[name]:
            problems.append(f"{name} has no label {sorted(labels - catalogue[name])}")
    return problems
