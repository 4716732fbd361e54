"""Keeping a live worker's claims alive: one thread per worker process renews the leases of the rows its
tasks are working on, so a slow send is never taken for a dead worker's and handed out twice.

A worker that dies stops renewing: its rows' leases run out after DELIVERY_LEASE and the sweep hands
them out again. A task that hangs is renewed for at most MAX_HOLD, then let go the same way.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app

from medsync.extensions import db
from medsync.logs import log_failure
from medsync.services import delivery
from medsync.services.delivery import Claim

log = logging.getLogger(__name__)

MAX_HOLD = 600.0  # seconds: far beyond any Bot API call's timeouts


class LeaseKeeper:
    """Renews each registered claim's lease once a third of a lease has passed since it was last renewed."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        # token -> (claim, when it was taken, when its lease was last extended), on the monotonic clock
        self._held: dict[str, tuple[Claim, float, float]] = {}
        self._lock = threading.Lock()
        self._changed = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def holding(self, held: Claim) -> Iterator[None]:
        """Keep `held` (just claimed, so its lease is fresh) renewed while the block runs."""
        now = time.monotonic()
        with self._lock:
            self._held[held.token] = (held, now, now)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)
                self._thread.start()
        self._changed.set()
        try:
            yield
        finally:
            with self._lock:
                self._held.pop(held.token, None)

    def _run(self) -> None:
        while True:
            due, wait = self._due_for_renewal()
            if due:
                self._renew(due)
                continue
            self._changed.wait(wait)
            self._changed.clear()

    def _period(self) -> float:
        """A third of a lease: one missed renewal (a database hiccup) still leaves slack."""
        return self.app.config["SETTINGS"].DELIVERY_LEASE.total_seconds() / 3

    def _due_for_renewal(self) -> tuple[list[Claim], float]:
        """The claims to renew now, and how long until the next one is due."""
        now, period = time.monotonic(), self._period()
        due, wait = [], period
        with self._lock:
            for token, (held, taken, renewed) in list(self._held.items()):
                if now - taken > MAX_HOLD:
                    log.warning("outbox message %s held for over %d s; letting its lease run out",
                                held.message_id, MAX_HOLD)
                    del self._held[token]
                elif now - renewed >= period:
                    due.append(held)
                    self._held[token] = (held, taken, now)
                else:
                    wait = min(wait, period - (now - renewed))
        return due, wait

    def _renew(self, claims: list[Claim]) -> None:
        with self.app.app_context():
            try:
                delivery.renew(claims)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - a missed renewal is retried; the lease has slack for two
                db.session.rollback()
                log_failure(log, exc, "renewing %d outbox leases failed", len(claims))
            finally:
                db.session.remove()


def lease_keeper() -> LeaseKeeper:
    """This process's keeper (created on first use, so a forked worker child starts its own thread)."""
    app = current_app._get_current_object()
    keeper = app.extensions.get("lease_keeper")
    if keeper is None:
        keeper = app.extensions.setdefault("lease_keeper", LeaseKeeper(app))
    return keeper
