"""The HTTP side: a threading server with keep-alive, routing `/bot<token>/<method>` and `/file/bot<token>/<path>`."""
from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from . import forms
from .errors import ApiError

if TYPE_CHECKING:
    from .fake import FakeTelegramAPI

_NOT_FOUND = json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}).encode()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    stopping = False

    def __init__(self, address: tuple[str, int], fake: FakeTelegramAPI) -> None:
        self.fake = fake
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._conns_lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def stop(self) -> None:
        """Stop serving, drop idle keep-alive connections (no client keeps talking to a stopped fake), close."""
        self.stopping = True
        self.shutdown()
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeTelegramBotAPI/1.0"
    disable_nagle_algorithm = True  # otherwise keep-alive + delayed ACK adds ~40 ms per call
    timeout = 60  # idle keep-alive connections are closed after this
    server: Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr access log
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, http_method: str) -> None:
        fake = self.server.fake
        try:
            body = self._read_body()
            parts = urlsplit(self.path)
            segments = unquote(parts.path).lstrip("/").split("/")
            if len(segments) >= 3 and segments[0] == "file" and segments[1].startswith("bot"):
                self._download(fake, "/".join(segments[2:]))
                return
            if len(segments) not in (2, 3) or not segments[0].startswith("bot") or not segments[1] or (
                len(segments) == 3 and segments[2]
            ):
                self._send(404, _NOT_FOUND)
                return
            token, method = segments[0][3:], segments[1]
            try:
                params, files = forms.parameters(parts.query, self.headers.get("Content-Type", ""), body)
            except ApiError as err:
                status, answer, content_type = fake.refuse(http_method, token, method, err)
            else:
                status, answer, content_type = fake.answer(http_method, token, method, params, files)
            if fake.latency:
                time.sleep(fake.latency)
            self._send(status, answer, content_type)
        except (ConnectionError, socket.timeout):
            self.close_connection = True
        except Exception as exc:  # never leave a client hanging because of a bug in the fake
            try:
                self._send(500, json.dumps({"ok": False, "error_code": 500,
                                            "description": f"Internal Server Error (fake: {exc!r})"}).encode())
            except OSError:
                self.close_connection = True

    def _download(self, fake: FakeTelegramAPI, path: str) -> None:
        content, broken = fake.download(path)
        if fake.latency:
            time.sleep(fake.latency)
        if content is None:
            self._send(404, _NOT_FOUND)
        elif broken:
            self._send_broken(content)
        else:
            self._send(200, content, "application/octet-stream")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = bytearray()
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(65537)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.server.stopping:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _send_broken(self, content: bytes) -> None:
        """Promise the whole body, send half of it and close the connection."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(content[: len(content) // 2])
        self.wfile.flush()
        self.close_connection = True
