"""Signed transparency reports: the oracle's security figures for one period, each beside the
target the project sets for it, as a `.maml.md` document signed with the operator's ML-DSA key.

Chain-side figures come from the daemon's store (requests and this oracle's verdicts by parameter
set, request latency, gas of its vote transactions, security events by type, disagreements);
service-side figures from a Prometheus server that scrapes the HTTP service (signature
verification success ratio, envelope encryption latency, authentication success ratio), when one
is given; the risk score from the newest signed audit report. A figure with no source is written
as not measured, never guessed.
"""

from __future__ import annotations

import json
import math
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from oracle import maml
from oracle.crypto import ALGORITHMS
from oracle.errors import InputError, MamlError, OracleError
from oracle.store.models import SecurityEventType

if TYPE_CHECKING:
    from oracle.crypto import SigningKey
    from oracle.store import Store

__all__ = [
    "REPORT_TYPE",
    "Figure",
    "TransparencyReport",
    "collect",
    "latest_audit",
    "latest_report",
    "render",
]

REPORT_TYPE: Final = "transparency_report"
REPORT_ORIGIN: Final = "pqoracle:report"
#: The targets the project sets (README, "Security targets").
VERIFICATION_TARGET: Final = 0.99
ENCRYPTION_P99_TARGET_S: Final = 0.050
AUTH_TARGET: Final = 0.98
RISK_TARGET: Final = 10
_NO_PROMETHEUS: Final = "no --prometheus-url given"
_DISAGREEMENTS: Final = (SecurityEventType.VERDICT_DISAGREEMENT, SecurityEventType.VOTE_DISPUTED)


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure: its value (None: not measured), unit, target and whether it meets it."""

    name: str
    value: float | int | None
    unit: str
    target: str | None = None
    met: bool | None = None
    source: str = "store"
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The figure in the report's front matter."""
        found: dict[str, Any] = {"value": self.value, "unit": self.unit, "source": self.source}
        if self.target is not None:
            found["target"] = self.target
            found["met"] = self.met
        if self.note is not None:
            found["note"] = self.note
        return found


@dataclass(frozen=True, slots=True)
class TransparencyReport:
    """The figures of one period."""

    since: datetime
    until: datetime
    figures: tuple[Figure, ...]
    verdicts: dict[str, dict[str, int]]
    events: dict[str, int]


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, max(0, math.ceil(share * len(values)) - 1))]


class _Prometheus:
    """Instant PromQL queries at the period's end against a Prometheus server's HTTP API."""

    def __init__(self, url: str, at: datetime) -> None:
        """Query the server at `url` (http or https) for the instant `at`.

        Raises:
            InputError: not an http(s) URL.
        """
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise InputError(f"--prometheus-url must be http(s), got {url!r}")
        self._url = url.rstrip("/")
        self._at = at

    def scalar(self, query: str) -> float | None:
        """The query's single value, None when it has none (no data, or NaN).

        Raises:
            InputError: the server cannot be reached or refuses the query.
        """
        params = urllib.parse.urlencode({"query": query, "time": f"{self._at.timestamp():.3f}"})
        try:
            query_url = f"{self._url}/api/v1/query?{params}"
            # The scheme is checked to be http(s) when the URL is given.
            with urllib.request.urlopen(query_url, timeout=10) as got:  # noqa: S310
                answer = json.loads(got.read())
        except (OSError, ValueError) as err:
            raise InputError(f"cannot query Prometheus at {self._url}: {err}") from None
        if answer.get("status") != "success":
            raise InputError(f"Prometheus refused a query: {answer.get('error', 'no reason')}")
        result = answer["data"]["result"]
        if not result:
            return None
        value = float(result[0]["value"][1])
        return None if math.isnan(value) or math.isinf(value) else value


def _ratio_figure(
    prometheus: _Prometheus | None, name: str, metric: str, good: str, target: float, window: str
) -> Figure:
    if prometheus is None:
        return Figure(name, None, "ratio", f"> {target:.0%}", None, "prometheus", _NO_PROMETHEUS)
    ratio = prometheus.scalar(
        f'sum(increase({metric}{{result="{good}"}}[{window}])) / sum(increase({metric}[{window}]))'
    )
    met = None if ratio is None else ratio > target
    return Figure(name, ratio, "ratio", f"> {target:.0%}", met, "prometheus")


def latest_audit(directory: Path) -> tuple[int, bool, bytes, str] | None:
    """The newest audit report in `directory` (by its `created_at`): risk score, passed, the
    document's digest and its file name; None when there is none.

    Raises:
        InputError: a report in the directory does not parse.
    """
    newest: tuple[str, Path, maml.MamlDocument] | None = None
    for path in sorted(directory.glob("*.maml.md")) if directory.is_dir() else []:
        try:
            document = maml.parse(path.read_bytes())
        except (OSError, MamlError) as err:
            raise InputError(f"audit report {path.name} does not parse: {err}") from None
        front = document.front_matter
        if front.get("type") != "audit_report":
            continue
        created = str(front.get("created_at", ""))
        if newest is None or created > newest[0]:
            newest = (created, path, document)
    if newest is None:
        return None
    _, path, document = newest
    audit = document.front_matter.get("audit")
    if not isinstance(audit, Mapping):
        raise InputError(f"audit report {path.name} has no audit section")
    score = audit.get("score")
    if not isinstance(score, int):
        raise InputError(f"audit report {path.name} has no risk score")
    return score, bool(audit.get("passed")), maml.document_digest(document), path.name


def collect(
    store: Store,
    since: datetime,
    until: datetime,
    *,
    prometheus_url: str | None = None,
    audit_dir: Path | None = None,
) -> TransparencyReport:
    """The period's figures from the store, Prometheus (when given) and the audit directory.

    Raises:
        InputError: `until` is not after `since`, Prometheus fails, or an audit does not parse.
        StoreError: the database failed.
    """
    start, end = since.astimezone(UTC), until.astimezone(UTC)
    if end <= start:
        raise InputError("--until must be after --since")
    found = store.period_figures(start, end)
    names = {algorithm.id: algorithm.name for algorithm in ALGORITHMS}
    verdicts: dict[str, dict[str, int]] = {}
    for (algorithm_id, label), count in sorted(found.verdicts.items()):
        verdicts.setdefault(names.get(algorithm_id, "unknown"), {})[label] = count
    disagreements = sum(found.events.get(kind, 0) for kind in _DISAGREEMENTS)
    window = f"{max(1, round((end - start).total_seconds()))}s"
    prometheus = None if prometheus_url is None else _Prometheus(prometheus_url, end)
    figures = [
        _ratio_figure(
            prometheus,
            "signature_verification_success_ratio",
            "pqoracle_api_verifications_total",
            "valid",
            VERIFICATION_TARGET,
            window,
        ),
        _encryption_figure(prometheus, window, 0.50),
        _encryption_figure(prometheus, window, 0.99),
        _ratio_figure(
            prometheus,
            "authentication_success_ratio",
            "pqoracle_api_auth_total",
            "accepted",
            AUTH_TARGET,
            window,
        ),
        Figure("oracle_disagreements", disagreements, "events", "0", disagreements == 0),
        Figure(
            "request_to_final_p50",
            _percentile(found.latencies, 0.50),
            "seconds",
            note="from the request's arrival in the store to its final status",
        ),
        Figure("request_to_final_p99", _percentile(found.latencies, 0.99), "seconds"),
        Figure("gas_spent", found.gas_used, "gas", note="this oracle's mined vote transactions"),
    ]
    audit = None if audit_dir is None else latest_audit(audit_dir)
    if audit is None:
        figures.append(
            Figure(
                "audit_risk_score", None, "points", f"< {RISK_TARGET}", None, "audit", "no report"
            )
        )
    else:
        score, _, digest, name = audit
        figures.append(
            Figure(
                "audit_risk_score",
                score,
                "points",
                f"< {RISK_TARGET}",
                score < RISK_TARGET,
                "audit",
                f"{name}, digest 0x{digest.hex()}",
            )
        )
    events = {kind.value: count for kind, count in sorted(found.events.items())}
    return TransparencyReport(start, end, tuple(figures), verdicts, events)


def _encryption_figure(prometheus: _Prometheus | None, window: str, share: float) -> Figure:
    name = f"encryption_latency_p{round(share * 100)}"
    target = f"< {ENCRYPTION_P99_TARGET_S * 1000:g} ms" if share >= 0.99 else None
    if prometheus is None:
        return Figure(name, None, "seconds", target, None, "prometheus", _NO_PROMETHEUS)
    value = prometheus.scalar(
        f"histogram_quantile({share}, sum by (le) (increase("
        f'pqoracle_api_envelope_seconds_bucket{{operation="encrypt"}}[{window}])))'
    )
    met = None if value is None or target is None else value < ENCRYPTION_P99_TARGET_S
    return Figure(name, value, "seconds", target, met, "prometheus")


def _cell(figure: Figure) -> str:
    if figure.value is None:
        return "not measured" if figure.source != "store" else "no data in this period"
    if figure.unit == "ratio":
        return f"{figure.value:.4%}"
    if figure.unit == "seconds":
        return f"{figure.value * 1000:.1f} ms" if figure.value < 1 else f"{figure.value:.2f} s"
    return f"{figure.value:,}"


def render(report: TransparencyReport, key: SigningKey, *, created_at: str | None = None) -> str:
    """The report as a `.maml.md` document signed with `key`.

    Raises:
        MamlError: the document cannot be built (a bug: every field is the project's own).
    """
    since = report.since.isoformat(timespec="seconds").replace("+00:00", "Z")
    until = report.until.isoformat(timespec="seconds").replace("+00:00", "Z")
    rows = ["| Figure | Value | Target | Met | Source |", "| --- | ---: | --- | --- | --- |"]
    for figure in report.figures:
        met = "" if figure.met is None else ("yes" if figure.met else "**no**")
        rows.append(
            f"| {figure.name} | {_cell(figure)} | {figure.target or ''} | {met} | {figure.source} |"
        )
    verdict_rows = [
        "| Parameter set | Valid | Invalid | Unverified |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, counts in sorted(report.verdicts.items()):
        verdict_rows.append(
            f"| {name} | {counts.get('valid', 0)} | {counts.get('invalid', 0)} | "
            f"{counts.get('unverified', 0)} |"
        )
    event_rows = ["| Security event | Count |", "| --- | ---: |"]
    event_rows += [f"| {kind} | {count} |" for kind, count in report.events.items()]
    content = "\n".join(
        [
            "### Figures",
            "",
            *rows,
            "",
            "### Verdicts by parameter set",
            "",
            *verdict_rows,
            "",
            "### Security events",
            "",
            *(event_rows if report.events else ["None in this period."]),
        ]
    )
    text = maml.new_document(
        doc_type=REPORT_TYPE,
        origin=REPORT_ORIGIN,
        intent=f"The oracle's security figures from {since} to {until}, each beside its target.",
        context=(
            "Chain-side figures are read from the daemon's store, service-side figures from "
            "Prometheus, the risk score from the newest signed audit report. Verify this report: "
            "`pqoracle maml verify <this file> --public-key <operator public key>`."
        ),
        content=content,
        created_at=created_at,
    )
    document = maml.parse(text)
    front = dict(document.front_matter)
    front["report"] = {
        "period": {"since": since, "until": until},
        "figures": {figure.name: figure.as_json() for figure in report.figures},
        "verdicts": report.verdicts,
        "security_events": report.events,
    }
    return maml.sign(maml.render(front, document.body), key)


def latest_report(directory: Path) -> tuple[str, str] | None:
    """The newest transparency report in `directory` (by `created_at`): its text and file name.

    Raises:
        OracleError: the directory cannot be read.
    """
    newest: tuple[str, str, str] | None = None
    try:
        paths = sorted(directory.glob("*.maml.md")) if directory.is_dir() else []
        for path in paths:
            text = path.read_text(encoding="utf-8")
            try:
                front = maml.parse(text).front_matter
            except MamlError:
                continue
            if front.get("type") != REPORT_TYPE:
                continue
            created = str(front.get("created_at", ""))
            if newest is None or created > newest[0]:
                newest = (created, text, path.name)
    except OSError as err:
        raise OracleError(f"cannot read the reports directory: {err.strerror}") from None
    return None if newest is None else (newest[1], newest[2])
