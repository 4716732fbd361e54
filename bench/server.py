"""The server under test, started as the Procfile starts it: its database, the fake Bot API, gunicorn."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import redis
import requests
from cryptography.fernet import Fernet

from tests.support.database import recreate_database

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = ROOT / "gunicorn.conf.py"
BOT_TOKEN = "123456:BENCH-medsync-token"
WEBHOOK_SECRET = "bench-webhook-secret"
DB_NAME = os.environ.get("BENCH_DB_NAME", "medsync_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
# The clinic network of `python -m bench --scale` (bench/scale.py) has its own database and Redis database.
SCALE_DB_NAME = os.environ.get("BENCH_SCALE_DB_NAME", "medsync_scale")
SCALE_REDIS_URL = os.environ.get("BENCH_SCALE_REDIS_URL", "redis://127.0.0.1:6379/13")
NO_TELEGRAM = "http://127.0.0.1:9"  # for commands that never call the Bot API
# Result files are stored encrypted and the app refuses to start without a key: a fresh one for each bench run.
RESULTS_KEY = Fernet.generate_key().decode()


def app_env(database_url: str, telegram_url: str, redis_url: str = REDIS_URL) -> dict[str, str]:
    """The environment the web process gets: production defaults, only the addresses and secrets differ."""
    return {
        **os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "TELEGRAM_API_URL": telegram_url,
        "BOT_TOKEN": BOT_TOKEN, "WEBHOOK_SECRET": WEBHOOK_SECRET, "WEBAPP_URL": "https://webapp.medsync.bench/app",
        "RESULTS_KEY": RESULTS_KEY,
        "LOG_LEVEL": "WARNING", "FLASK_APP": "wsgi:app", "PYTHONPATH": str(ROOT),
        "FLASK_SKIP_DOTENV": "1",  # the checkout's .env (a developer's settings) is not the bench's
    }


def prepare_database(name: str, env: dict[str, str]) -> None:
    """A fresh database with the demo catalog, built by the same commands `make db` runs; Redis flushed."""
    recreate_database(name)
    upgrade_database(env)
    _flask(env, "medsync", "seed-demo")


def upgrade_database(env: dict[str, str]) -> None:
    """The database env names brought to the migrations' head as `make db` does; its Redis flushed, since caches
    written under an older schema may no longer describe it."""
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    _flask(env, "db", "upgrade")


def _flask(env: dict[str, str], *command: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", *command], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def staff_token(env: dict[str, str]) -> str:
    """A staff API token for every clinic, issued as an operator does (`flask medsync create-staff-token`)."""
    issued = subprocess.run([sys.executable, "-m", "flask", "medsync", "create-staff-token", "bench"], env=env,
                            cwd=ROOT, check=True, capture_output=True, text=True)
    return issued.stdout.strip().splitlines()[-1]


@contextmanager
def fake_telegram() -> Iterator[str]:
    """The fake Bot API in its own process (the webhook's replies go there); yields its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.telegram_api", "--port", "0", "--quiet", "--max-calls", "1000"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        yield process.stdout.readline().strip()
    finally:
        stop(process)


@contextmanager
def gunicorn(env: dict[str, str], *options: str, config: Path = GUNICORN_CONFIG, log: IO[str] | None = None,
             ) -> Iterator[Server]:
    """gunicorn -c gunicorn.conf.py wsgi:app (as the Procfile runs it) on a free port; `options` override the
    config for experiments; its error log goes to `log`. Yields the server once /healthz answers."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", str(config), "--bind", f"127.0.0.1:{port}",
               # Many gunicorns share this machine (benches, other checkouts): none takes the default control socket.
               "--no-control-socket", *options, "wsgi:app"]
    # The access log (if the config keeps one) is written as in production, then dropped.
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process)
        yield Server(base, process.pid)
    finally:
        stop(process)


@dataclass(frozen=True)
class Server:
    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the master and its workers have used so far."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return sum(process_cpu_seconds(pid) for pid in [self.pid, *map(int, children)])


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process of this machine has used so far; 0 for one that has exited."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(base: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
