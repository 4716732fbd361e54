"""Waiting, without sleeps, until one of two transactions waits for the other's lock."""
from __future__ import annotations

from sqlalchemy import text

from medsync.extensions import db

WAITING = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")


def wait_until_one_waits_for_a_lock(what: str = "neither side ever waited for the other") -> None:
    """Return once a session of this database waits for a lock; `what` is the failure's message if none does."""
    for _ in range(10_000):
        with db.engine.connect() as observer:
            if observer.scalar(WAITING):
                return
    raise AssertionError(what)
