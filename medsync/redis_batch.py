"""Redis commands sent in one round trip without redis-py's command wrapper (the webhook's per-update
commands, the free-slot tokens every slot request reads and every booking replaces, a booking's hand-over).

A redis-py pipeline pays, per command, for argument checks, retry and observability hooks and response
callbacks: for the three tiny commands each update sends before and the two it sends after handling, that
Python cost more than the round trip. A batch packs them, writes them on a pooled connection and reads the
raw replies (SET: True or None as redis-py returns them; GET: bytes or None; EXPIRE: 0 or 1; LPUSH: the
list's length).
"""
from __future__ import annotations

from typing import Any

import redis


class RedisBatch:
    """Queue commands, then `execute()` them in one round trip; any failure drops the connection and raises."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._commands: list[tuple[Any, ...]] = []

    def set(self, name: str, value: Any, *, ex: int | None = None, nx: bool = False) -> None:
        command: tuple[Any, ...] = ("SET", name, value)
        if ex is not None:
            command += ("EX", ex)
        if nx:
            command += ("NX",)
        self._commands.append(command)

    def get(self, name: str) -> None:
        self._commands.append(("GET", name))

    def mget(self, names: list[str]) -> None:
        self._commands.append(("MGET", *names))

    def expire(self, name: str, seconds: int) -> None:
        self._commands.append(("EXPIRE", name, seconds))

    def lpush(self, name: str, value: Any) -> None:
        self._commands.append(("LPUSH", name, value))

    @property
    def commands(self) -> list[tuple[Any, ...]]:
        """What is queued, in order (a copy)."""
        return list(self._commands)

    def execute(self) -> list[Any]:
        """Every queued command's reply, in order."""
        if not self._commands:
            return []
        pool = self._client.connection_pool
        connection = pool.get_connection()
        try:
            connection.send_packed_command(connection.pack_commands(self._commands))
            replies = [connection.read_response() for _ in self._commands]
        except BaseException:
            connection.disconnect()  # a half-read reply must never reach the connection's next user
            raise
        finally:
            pool.release(connection)
        return [True if reply == b"OK" and command[0] == "SET" else reply
                for command, reply in zip(self._commands, replies)]
