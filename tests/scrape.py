"""Read a Prometheus text exposition over HTTP, as a scraper would, for assertions on samples."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Samples:
    """Every sample of one scrape, by sample name and label set."""

    values: dict[tuple[str, frozenset[tuple[str, str]]], float]

    def value(self, name: str, **labels: str) -> float | None:
        """The sample `name` with exactly `labels`, or None when the scrape lacks it."""
        return self.values.get((name, frozenset(labels.items())))

    def names(self) -> set[str]:
        """Every sample name in the scrape."""
        return {name for name, _ in self.values}


def scrape(url: str, *, timeout: float = 5.0) -> Samples:
    """GET `url` (a /metrics endpoint) and parse its samples."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        assert response.status == 200
        text = response.read().decode()
    values: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return Samples(values)


def get_json(url: str, *, timeout: float = 5.0) -> tuple[int, dict[str, object]]:
    """GET `url`; its status and JSON body, whether the status is 2xx or not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())
