"""/metrics under gunicorn as the Procfile runs it: every worker process counts, and each run starts afresh."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests

from bench.server import ROOT, app_env, gunicorn
from tests.conftest import _test_db_name, _test_redis_url
from tests.operations.conftest import parse_metrics, value
from tests.support.database import database_url
from tests.workers.conftest import wait_until

HEALTHZ = {"route": "/healthz", "method": "GET", "status": "200"}


def _pids_that_counted(directory: Path) -> set[str]:
    return {path.stem.rsplit("_", 1)[1] for path in directory.glob("counter_*.db")}


def test_two_gunicorn_workers_add_up_on_metrics_and_an_earlier_runs_figures_are_gone(app, tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_999999.db").write_bytes(b"an earlier run's figures")
    env = {**app_env(database_url(_test_db_name()), "http://127.0.0.1:9", redis_url=_test_redis_url()),
           "PROMETHEUS_MULTIPROC_DIR": str(directory)}

    with gunicorn(env, "--workers", "2") as server:
        before = parse_metrics(requests.get(f"{server.base}/metrics", timeout=5).text)
        sent = 0

        def both_workers_counted() -> bool:
            nonlocal sent
            for _ in range(10):  # a fresh connection each: the two processes take turns accepting them
                assert requests.get(f"{server.base}/healthz", timeout=5).status_code == 200
                sent += 1
            return len(_pids_that_counted(directory)) == 2 or sent >= 400

        wait_until(both_workers_counted, 60, "both workers to answer")
        after = parse_metrics(requests.get(f"{server.base}/metrics", timeout=5).text)

    assert len(_pids_that_counted(directory)) == 2
    assert value(after, "medsync_http_requests_total", **HEALTHZ) - value(before, "medsync_http_requests_total",
                                                                          **HEALTHZ) == sent
    assert not (directory / "counter_999999.db").exists()


def test_prometheus_client_is_imported_only_once_dotenv_was_read():
    # wsgi.py and celery_app.py import medsync, then read .env: prometheus_client chooses its multiprocess mode from
    # PROMETHEUS_MULTIPROC_DIR when first imported, so that must come later, with create_app().
    script = "import sys, medsync, medsync.config; print('prometheus_client' in sys.modules)"
    finished = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)

    assert finished.stdout.strip() == "False"
