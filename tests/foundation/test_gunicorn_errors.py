"""gunicorn's own answers — a request line or headers it will not read, a request it cannot parse, an error that
escaped the app — are the one JSON error shape too: a real gunicorn started from gunicorn.conf.py (the Procfile's
settings) on a free port, spoken to over a raw socket."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.server import ROOT, app_env, free_port, stop, wait_until_serving
from tests.conftest import _test_db_name, _test_redis_url
from tests.support.crashing_wsgi import CRASH_PATH
from tests.support.database import database_url


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gunicorn") / "error.log"


@pytest.fixture(scope="module")
def server_port(server_log: Path) -> Iterator[int]:
    port = free_port()
    env = app_env(database_url(_test_db_name()), "http://127.0.0.1:9", redis_url=_test_redis_url())
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
               "--workers", "1", "--threads", "2", "--no-control-socket", "tests.support.crashing_wsgi:app"]
    with server_log.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            wait_until_serving(f"http://127.0.0.1:{port}", process)
            yield port
        finally:
            stop(process)


def exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the answer to the end (gunicorn closes after an error): status, headers, body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def request_with(*, target: str = "/healthz", headers: list[str] = ()) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: medsync.test", *headers, "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def assert_error_shape(answer: tuple[int, dict[str, str], bytes], code: int, status: str) -> None:
    answer_code, headers, body = answer
    assert answer_code == code
    assert headers["content-type"] == "application/json"
    error = json.loads(body)
    assert (error["code"], error["status"], error["errors"]) == (code, status, {})
    assert error["message"]


def test_a_normal_request_is_served_by_the_app(server_port):
    code, _, body = exchange(server_port, request_with())
    assert (code, json.loads(body)["status"]) == (200, "ok")


def test_a_10_kb_request_line_is_414_in_the_error_shape(server_port):
    answer = exchange(server_port, request_with(target="/api/v1/doctors?q=" + "x" * 10_000))
    assert_error_shape(answer, 414, "Request-URI Too Long")


def test_a_header_larger_than_gunicorn_reads_is_431_in_the_error_shape(server_port):
    answer = exchange(server_port, request_with(headers=["Authorization: tma " + "x" * 10_000]))
    assert_error_shape(answer, 431, "Request Header Fields Too Large")


def test_more_headers_than_gunicorn_reads_is_431_in_the_error_shape(server_port):
    answer = exchange(server_port, request_with(headers=[f"X-Padding-{number}: x" for number in range(150)]))
    assert_error_shape(answer, 431, "Request Header Fields Too Large")


def test_a_request_gunicorn_cannot_parse_is_400_in_the_error_shape(server_port):
    answer = exchange(server_port, b"NOT AN HTTP REQUEST\r\n\r\n")
    assert_error_shape(answer, 400, "Bad Request")


def test_an_error_that_escaped_the_app_is_500_in_the_error_shape(server_port):
    answer = exchange(server_port, request_with(target=CRASH_PATH))
    assert_error_shape(answer, 500, "Internal Server Error")
    assert json.loads(answer[2])["message"] == "Something went wrong on our side. Please try again."


def test_gunicorns_errors_are_logged_by_name_without_what_the_request_or_the_error_said(server_port, server_log):
    exchange(server_port, request_with(target="/api/v1/doctors?q=Shevchenko" + "x" * 10_000))
    exchange(server_port, request_with(target=CRASH_PATH + "?q=Shevchenko"))

    log = wait_for_log(server_log, "RuntimeError")
    assert "Invalid request from ip=127.0.0.1: LimitRequestLine" in log
    assert "Shevchenko" not in log


def wait_for_log(path: Path, text: str, timeout: float = 10.0) -> str:
    """The server's log once it holds `text` (gunicorn writes it from its worker thread, after answering)."""
    deadline = time.monotonic() + timeout
    while text not in (log := path.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return log
