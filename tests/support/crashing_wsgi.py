"""The app as wsgi.py builds it, plus one path that raises past Flask (as a failing teardown once did): for running a
real gunicorn against both."""
from __future__ import annotations

from typing import Any

from wsgi import app as medsync_app

CRASH_PATH = "/test/crash-past-the-app"


def app(environ: dict[str, Any], start_response: Any) -> Any:
    if environ.get("PATH_INFO") == CRASH_PATH:
        raise RuntimeError("escaped every handler of the app")
    return medsync_app(environ, start_response)
