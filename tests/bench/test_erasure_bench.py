"""bench.erasure runs on today's schema: a patient's bookings written as the app's constraints require, then erased."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import _test_db_name, _test_redis_url

ROOT = Path(__file__).resolve().parents[2]


def test_the_erasure_bench_erases_what_it_wrote():
    environment = {**os.environ, "BENCH_DB_NAME": f"{_test_db_name()}_bench", "REDIS_URL": _test_redis_url()}
    finished = subprocess.run(
        [sys.executable, "-m", "bench.erasure", "--bookings", "5", "--results", "2", "--rounds", "1", "--json"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr[-2000:]
    numbers = json.loads(finished.stdout.strip().splitlines()[-1])
    assert numbers["bookings"] == 8 and numbers["results"] == 2 and numbers["statements"] > 0
