"""SQL spelled from the Python definitions, so a CHECK or a partial index never lists values of its own."""
from __future__ import annotations

import enum
from collections.abc import Iterable


def one_of(column: str, values: Iterable[enum.Enum]) -> str:
    """`column IN ('a', 'b')` for these enum members (their values are plain words, never quotes)."""
    return f"{column} IN ({', '.join(repr(member.value) for member in values)})"
