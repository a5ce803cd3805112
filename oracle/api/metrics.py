"""Prometheus metrics of one app, in a registry of its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    """The service's counters and histograms."""

    def __init__(self) -> None:
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
