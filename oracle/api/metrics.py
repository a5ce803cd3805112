"""Prometheus metrics of one app, in a registry of its own, or summed over worker processes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

if TYPE_CHECKING:
    from pathlib import Path


class Metrics:
    """The service's counters and histograms.

    With `multiprocess_dir` (prometheus-client's multiprocess mode: PROMETHEUS_MULTIPROC_DIR was
    set when the process started), every process writes its values to files there and
    `exposition` sums them all, so several workers behind one port report one set of totals.
    """

    def __init__(self, multiprocess_dir: Path | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "pqoracle_api_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "pqoracle_api_request_seconds",
            "Seconds to answer a request, by route template.",
            ["route"],
            registry=self.registry,
        )
        self.verifications = Counter(
            "pqoracle_api_verifications",
            "Signatures checked through the API, by result (valid, invalid).",
            ["result"],
            registry=self.registry,
        )
        self.auth = Counter(
            "pqoracle_api_auth",
            "Bearer tokens checked, by result (accepted, refused).",
            ["result"],
            registry=self.registry,
        )
        self.envelope = Histogram(
            "pqoracle_api_envelope_seconds",
            "Seconds to seal or open an ML-KEM-768 + AES-256-GCM envelope, by operation "
            "(encrypt, decrypt).",
            ["operation"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The Prometheus text format of the metrics: this app's, or every worker's summed."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        # A fresh registry per scrape: the collector reads the files present now.
        summed = CollectorRegistry()
        MultiProcessCollector(summed, path=str(self.multiprocess_dir))  # type: ignore[no-untyped-call]
        return generate_latest(summed)
