"""The Grafana dashboard in docs/ asks only for series /metrics has (it is not run in a Grafana here)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

from medsync.metrics import Backlog, BacklogCollector

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"
_SAMPLE_SUFFIXES = re.compile(r"_(total|bucket|count|sum)$")


def test_every_series_the_dashboard_plots_is_one_medsync_exposes():
    dashboard = json.loads(DASHBOARD.read_text())
    asked = {
        _SAMPLE_SUFFIXES.sub("", name)
        for panel in dashboard["panels"] for target in panel["targets"]
        for name in re.findall(r"medsync_[a-z_]+", target["expr"])
    }
    backlog = BacklogCollector(lambda: Backlog(outbox_due=0, outbox_scheduled=0, oldest_due_age_seconds=0,
                                               queue="medsync", queue_length=0))
    exposed = {family.name for family in [*REGISTRY.collect(), *backlog.collect()]}

    assert asked - exposed == set()
    assert {name for name in exposed if name.startswith("medsync_")} - asked == set()
