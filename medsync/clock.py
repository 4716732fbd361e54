"""The one source of "now", so tests can move time without touching the system clock."""
from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(timezone.utc)
