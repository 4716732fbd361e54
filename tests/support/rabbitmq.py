"""RabbitMQ for the delivery tests: a virtual host per test database, so parallel suites never share a queue."""
from __future__ import annotations

import os
import subprocess
from urllib.parse import unquote, urlsplit

from amqp.exceptions import AccessRefused, NotAllowed
from kombu import Connection

AMQP_SERVER_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")


def amqp_url(virtual_host: str) -> str:
    """The broker URL of this virtual host on the server TEST_AMQP_URL names."""
    return f"{AMQP_SERVER_URL.rstrip('/')}/{virtual_host}"


def ensure_virtual_host(url: str) -> None:
    """Create the URL's virtual host and let its user in, unless it already answers (rabbitmqctl is slow: seconds)."""
    if _answers(url):
        return
    parts = urlsplit(url)
    virtual_host, user = unquote(parts.path[1:]), unquote(parts.username or "guest")
    subprocess.run(["rabbitmqctl", "add_vhost", virtual_host], check=False, capture_output=True)
    subprocess.run(["rabbitmqctl", "set_permissions", "-p", virtual_host, user, ".*", ".*", ".*"], check=True,
                   capture_output=True)
    if not _answers(url):
        raise RuntimeError(f"RabbitMQ does not let {user} into the virtual host {virtual_host!r}")


def _answers(url: str) -> bool:
    with Connection(url, connect_timeout=5) as connection:
        try:
            connection.ensure_connection(max_retries=1)
        except (AccessRefused, NotAllowed):  # no such virtual host, or the user may not use it
            return False
        except Exception as exc:  # noqa: BLE001 - anything else: the server is not there
            raise RuntimeError(f"RabbitMQ is not answering at {urlsplit(url).hostname}:{urlsplit(url).port} "
                               "(scripts/ensure-services starts it)") from exc
    return True


def purge(url: str, queue: str) -> None:
    """Drop every message waiting in the queue (what a test left behind), if the queue exists."""
    with Connection(url, connect_timeout=5) as connection:
        channel = connection.channel()
        try:
            channel.queue_purge(queue)
        except connection.channel_errors:
            pass
