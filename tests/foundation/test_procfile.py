"""`make run` starts what the Procfile lists: the web process as bench and Dockerfile start it, a worker, beat."""
from __future__ import annotations

import shlex
import sys
from pathlib import Path

from gunicorn.app.wsgiapp import WSGIApplication

ROOT = Path(__file__).resolve().parents[2]


def _processes() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def _command(name: str) -> tuple[dict[str, str], list[str]]:
    """A Procfile line's leading NAME=value settings, and the command after them."""
    words = shlex.split(_processes()[name].replace("${PORT:-8000}", "8000"))
    settings = {}
    while words and "=" in words[0] and words[0].split("=", 1)[0].isidentifier():
        name_, value = words.pop(0).split("=", 1)
        settings[name_] = value
    return settings, words


def test_the_procfile_runs_web_worker_and_beat():
    processes = _processes()
    assert set(processes) == {"web", "worker", "beat"}
    assert "celery -A celery_app worker" in processes["worker"]
    assert "celery -A celery_app beat" in processes["beat"]


def test_the_web_process_takes_its_settings_from_gunicorn_conf_like_the_bench():
    _, web = _command("web")
    assert web[0] == "gunicorn"
    assert web[web.index("-c") + 1] == "gunicorn.conf.py"
    assert web[-1] == "wsgi:app"
    assert "--bind" in web


def test_the_web_process_opens_no_control_socket_that_other_gunicorns_on_the_machine_would_share(monkeypatch):
    monkeypatch.setattr(sys, "argv", _command("web")[1])
    monkeypatch.chdir(ROOT)

    settings = WSGIApplication().cfg  # gunicorn's own reading of the command line and gunicorn.conf.py

    assert settings.control_socket_disable is True


def test_only_the_web_process_keeps_its_metrics_in_a_multiprocess_directory():
    # gunicorn empties it when it starts: a worker sharing it would lose its figures, so the worker counts alone.
    web_settings, _ = _command("web")
    assert web_settings["PROMETHEUS_MULTIPROC_DIR"] == "${PROMETHEUS_MULTIPROC_DIR:-var/metrics/web}"
    assert "PROMETHEUS_MULTIPROC_DIR" not in _processes()["worker"]
