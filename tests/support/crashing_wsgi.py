"""The app as wsgi.py builds it, plus one path that raises past Flask (as a failing teardown once did): for running a
real gunicorn against both."""
from __future__ import annotations

from typing import Any

from wsgi import app as medsync_app

CRASH_PATH = "/test/crash-past-the-app"


def app(environ: dict[str, Any], start_response: Any) -> Any:
    if environ.get("PATH_INFO") == CRASH_PATH:
        # An exception whose text quotes the request, as database errors quote rows: never to be logged.
        raise RuntimeError(f"escaped the app while serving {environ.get('QUERY_STRING')}")
    return medsync_app(environ, start_response)
