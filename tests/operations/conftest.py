"""Reading what operators read: /metrics (parsed with prometheus_client's own parser) and the logs."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.bot.conftest import post_update  # noqa: F401 - the webhook as Telegram calls it
from tests.workers.conftest import worker, worker_process  # noqa: F401 - real Celery workers

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_metrics(text: str) -> Samples:
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text) for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 for one not reported yet (a counter nobody moved)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def scrape(client) -> Callable[[], Samples]:
    """GET /metrics from this machine, as Prometheus on the same host does."""

    def read() -> Samples:
        response = client.get("/metrics")
        assert response.status_code == 200, response.get_data(as_text=True)
        return parse_metrics(response.get_data(as_text=True))

    return read
