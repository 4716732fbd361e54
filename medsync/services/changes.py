"""Change tokens: what cached answers are keyed by, so that none is served after a change it depends on.

Two kinds, both replaced only after the writing transaction commits (`after_commit`, savepoint-safe):

- **The catalog version**, one token for the whole catalog (clinics, hours, closures, doctors, absences,
  diagnostics…). The writer SETs it in Redis and PUBLISHes it; every process keeps a subscription and
  reads the version locally, with no Redis round trip per request (`catalog_generation()`).
- **Slot tokens**, one per resource (a doctor; a diagnostic at a clinic) and one per patient, replaced
  whenever a booking of theirs is inserted, changed or deleted. A free-slots read fetches the few it
  needs in one MGET (`slot_tokens()`), so a booked or freed slot shows on the very next request anywhere.

The catalog guarantee: once a catalog write's request has returned, the next request on *any* process
sees it. The writing process switches at once (its own after-commit). Others: the writer waits for
one more Redis round trip after its PUBLISH; Redis writes every pending reply — the message to every
subscriber included — before it reads the next command, so by then the message sits in each
subscriber's socket, and every read asks the subscription's connection whether anything is waiting
(redis-py's `Connection.can_read(timeout=0)`: its buffer, then a non-blocking poll, no round trip) and
applies it before it answers. A process whose subscription is down reads the version with a GET
per request until it has subscribed again; without Redis nothing is cached.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Protocol

import redis
from flask import current_app
from sqlalchemy.orm import ORMExecuteState, Session

from medsync.extensions import redis_client
from medsync.models import Booking
from medsync.redis_batch import RedisBatch
from medsync.services import after_commit

log = logging.getLogger(__name__)

CATALOG_KEY = "medsync:catalog:version"
CATALOG_CHANNEL = "medsync:catalog:changed"  # + ":<db>": Redis pub/sub is server-wide, keys are per database
SLOT_KEY = "medsync:slots:"
# Changed by a write to bookings that names no single resource (a bulk UPDATE/DELETE): every slot answer depends on it.
ALL_BOOKINGS = "all"
# Patients are many: an idle patient's token may lapse (a missing token is replaced, never reused).
PATIENT_TOKEN_SECONDS = 7 * 24 * 3600
RESUBSCRIBE_SECONDS = 1.0
# A subscription can die without the process hearing of it (an idle connection dropped by a firewall, a
# failover): nothing arrives, and poll(2) says so forever. Every VERIFY_SECONDS one request per process also
# reads the version, so a change missed that way is seen within this bound.
VERIFY_SECONDS = 5.0
_SLOTS_CHANGED = "slots: changed"
_RETRIED = (redis.ConnectionError, redis.TimeoutError)


def doctor_key(doctor_id: int) -> str:
    return f"d{doctor_id}"


def diagnostic_key(diagnostic_id: int, clinic_id: int) -> str:
    return f"x{diagnostic_id}@{clinic_id}"


def patient_key(user_id: int) -> str:
    return f"p{user_id}"


# --- the catalog version -------------------------------------------------------------------------


class CatalogFeed:
    """One process's view of the catalog version, kept current by a Redis subscription."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pid: int | None = None
        self.pubsub: redis.client.PubSub | None = None
        self.reconnected = False  # redis-py re-established the subscription's connection on its own
        self.version: str | None = None
        # Bumped on every change this process learns of: cache keys use it, never the version string,
        # so a late message carrying an older version can never revive an entry cached before a change.
        self.generation = 0
        self.retry_at = 0.0
        self.verify_at = 0.0
        self.subscribing = False

    def current(self, client: redis.Redis) -> tuple[int, str] | None:
        """(generation, version) after applying every announced change; None when Redis is unreachable."""
        with self.lock:
            if self.pid != os.getpid():
                self._forget()  # a forked child never reads its parent's socket
            verify = False
            if self.pubsub is not None:
                try:
                    self._drain()
                    if time.monotonic() < self.verify_at:
                        return self.generation, self.version
                    self.verify_at, verify = time.monotonic() + VERIFY_SECONDS, True
                except (redis.RedisError, OSError):
                    log.warning("lost the catalog subscription; reading the version per request until it is back")
                    self._forget()
            attempt = not verify and not self.subscribing and time.monotonic() >= self.retry_at
            self.subscribing |= attempt
        # Network waits happen outside the lock: with Redis slow or gone, readers are not queued behind them.
        if attempt:
            return self._subscribe(client)
        try:
            version = _read_version(client)
        except redis.RedisError:
            if verify:  # the subscription still answers; only the check failed
                with self.lock:
                    return self.generation, self.version
            return None
        with self.lock:
            self._learn(version)
            return self.generation, self.version

    def learn(self, version: str) -> None:
        """This process wrote the change: switch now, without waiting for its own message."""
        with self.lock:
            self._learn(version)

    def _learn(self, version: str) -> None:
        if version != self.version:
            self.version = version
            self.generation += 1

    def _subscribe(self, client: redis.Redis) -> tuple[int, str] | None:
        """Subscribe (one thread at a time), then read the version: a change after the GET arrives as a message."""
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(catalog_channel(client))
            while (confirmation := pubsub.get_message(timeout=2.0)) is None or confirmation["type"] != "subscribe":
                if confirmation is None:
                    raise redis.TimeoutError("no subscription confirmation")
            version = _read_version(client)
        except (redis.RedisError, OSError):
            pubsub.close()
            with self.lock:
                self.subscribing = False
                self.retry_at = time.monotonic() + RESUBSCRIBE_SECONDS
            return None
        with self.lock:
            self.subscribing = False
            self.pubsub, self.pid = pubsub, os.getpid()
            self.verify_at = time.monotonic() + VERIFY_SECONDS
            self.reconnected = False
            pubsub.connection.register_connect_callback(self._connection_reestablished)
            self._learn(version)
            try:
                self._drain(polled=False)
            except (redis.RedisError, OSError):
                self._forget()  # the GET above still holds: the next read subscribes again
            return self.generation, self.version

    def _drain(self, *, polled: bool = True) -> None:
        # can_read(0) is the cheap question (a buffer check and one poll(2)); get_message() asks it too, behind
        # redis-py's retry and health-check wrapper, at two to four times the cost on this per-request path.
        # can_read() reconnects a dropped connection itself, so "nothing to read" may follow a reconnection.
        if polled and not self.pubsub.connection.can_read(timeout=0) and not self.reconnected:
            return
        while (message := self.pubsub.get_message(timeout=0.0)) is not None:
            if message["type"] == "message":
                data = message["data"]
                self._learn(data.decode() if isinstance(data, bytes) else data)
        if self.reconnected or self.pubsub.connection is None:
            # redis-py reconnected and resubscribed on its own: what was published meanwhile is lost.
            raise redis.ConnectionError("the catalog subscription was re-established")

    def _connection_reestablished(self, _connection: redis.connection.AbstractConnection) -> None:
        """redis-py's connect callback (it resubscribes the same way): called on every reconnection."""
        self.reconnected = True

    def _forget(self) -> None:
        if self.pubsub is not None and self.pid == os.getpid():
            if self.pubsub.connection is not None:
                # The connection goes back to the pool for other commands: its reconnections are not ours.
                self.pubsub.connection.deregister_connect_callback(self._connection_reestablished)
            try:
                self.pubsub.close()
            except (redis.RedisError, OSError):
                pass
        self.pubsub, self.pid = None, os.getpid()


def catalog_channel(client: redis.Redis) -> str:
    """The channel of this client's database: a deployment (or a test suite) on another database of the same
    Redis server neither hears this one's changes nor sends it theirs."""
    return f"{CATALOG_CHANNEL}:{client.connection_pool.connection_kwargs.get('db', 0)}"


def _read_version(client: redis.Redis) -> str:
    version = client.get(CATALOG_KEY)
    if version is None:
        # A fresh Redis: start a version, so that nothing cached before the flush is taken as current.
        client.set(CATALOG_KEY, uuid.uuid4().hex, nx=True)
        version = client.get(CATALOG_KEY)
    return version.decode() if isinstance(version, bytes) else version


def _feed() -> tuple[CatalogFeed, redis.Redis]:
    # Per app (each app has its own Redis client): two apps in one test process act as two processes. One
    # lookup of the app context for both: each costs ~1 µs, and every catalog read comes through here.
    extensions = current_app.extensions
    feed = extensions.get("medsync_catalog_feed")
    if feed is None:
        feed = extensions.setdefault("medsync_catalog_feed", CatalogFeed())
    return feed, extensions["redis"]  # the app's client, as redis_client.client gives it


def catalog_generation() -> int | None:
    """A number that changes with every catalog change this process has been told of; None without Redis."""
    feed, client = _feed()
    current = feed.current(client)
    return None if current is None else current[0]


def announce_catalog_change(client: redis.Redis) -> str:
    """Give the catalog a new version and tell every process; returns once every subscriber has the message."""
    version = uuid.uuid4().hex
    with client.pipeline(transaction=True) as pipe:
        pipe.set(CATALOG_KEY, version)
        pipe.publish(catalog_channel(client), version)
        pipe.execute()
    # Redis flushes all pending output (our message to every subscriber) before it reads another command.
    client.ping()
    return version


def catalog_committed() -> None:
    """After a catalog commit: this process switches now, every other one on its next request."""
    try:
        version = announce_catalog_change(redis_client.client)
    except redis.RedisError:
        log.warning("could not announce a catalog change in Redis; other processes may serve a stale catalog")
        version = uuid.uuid4().hex
    _feed()[0].learn(version)


# --- slot tokens ---------------------------------------------------------------------------------


def slot_tokens(keys: Iterable[str]) -> tuple[str, ...] | None:
    """The current tokens of these resources/patients (plus the all-bookings one); None without Redis."""
    names = [SLOT_KEY + ALL_BOOKINGS, *(SLOT_KEY + key for key in keys)]
    client = redis_client.client
    try:
        values = _mget(client, names)
        if None in values:
            with client.pipeline(transaction=False) as pipe:
                for name, value in zip(names, values):
                    if value is None:
                        pipe.set(name, uuid.uuid4().hex, nx=True, ex=_lifetime(name))
                pipe.mget(names)
                values = pipe.execute()[-1]
    except redis.RedisError:
        return None
    return tuple(value.decode() for value in values)


def _mget(client: redis.Redis, names: list[str]) -> list[bytes | None]:
    """MGET without redis-py's command wrapper (retries, observability hooks): on this path, which every
    free-slots request takes, the wrapper cost more than the round trip itself."""
    batch = RedisBatch(client)
    batch.mget(names)
    return batch.execute()[0]


def _lifetime(name: str) -> int | None:
    return PATIENT_TOKEN_SECONDS if name.startswith(SLOT_KEY + "p") else None


def replace_tokens(client: redis.Redis, keys: Iterable[str]) -> None:
    """New tokens for these keys, in one round trip: every answer cached under the old ones is dead. A dropped
    connection is retried once (SETting a new token again is harmless)."""
    for attempt in (1, 2):
        batch = RedisBatch(client)
        for name in {SLOT_KEY + key for key in keys}:
            batch.set(name, uuid.uuid4().hex, ex=_lifetime(name))
        try:
            batch.execute()
            return
        except _RETRIED:
            if attempt == 2:
                raise


def _replace_tokens_after_commit(session: Session) -> None:
    keys = after_commit.take(session, _SLOTS_CHANGED)
    if not keys:
        return
    try:
        replace_tokens(redis_client.client, keys)
    except Exception:  # noqa: BLE001 - the commit stands
        # Answers cached under the old tokens stay until they reach their maximum age (answers.MAX_ANSWER_AGE).
        log.warning("could not replace slot tokens in Redis; cached free slots may be stale for a short while",
                    exc_info=True)


class BookingRow(Protocol):
    """What names a booking's tokens: a Booking, or the copy of its row a write answers with."""

    @property
    def user_id(self) -> int | None: ...
    @property
    def clinic_id(self) -> int | None: ...
    @property
    def doctor_id(self) -> int | None: ...
    @property
    def diagnostic_id(self) -> int | None: ...


def booking_keys(booking: BookingRow) -> list[str]:
    """The tokens a booking's change replaces: its resource's and its patient's."""
    keys = [patient_key(booking.user_id)] if booking.user_id is not None else []
    if booking.doctor_id is not None:
        keys.append(doctor_key(booking.doctor_id))
    if booking.diagnostic_id is not None and booking.clinic_id is not None:
        keys.append(diagnostic_key(booking.diagnostic_id, booking.clinic_id))
    if booking.doctor_id is None and booking.diagnostic_id is None:
        keys.append(ALL_BOOKINGS)
    return keys


def register_hooks(hooks: after_commit.Hooks) -> None:
    """Booking writes, by a flush or an ORM statement, replace their tokens once the transaction commits."""
    hooks.on("after_flush", _notice_booking_writes)
    hooks.on("do_orm_execute", _notice_bulk_booking_writes)
    hooks.on("after_commit", _replace_tokens_after_commit)


def _notice_booking_writes(session: Session, _context: object) -> None:
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, Booking):
            for key in booking_keys(row):
                after_commit.add(session, _SLOTS_CHANGED, key)


def note_booking_written(session: Session, booking: BookingRow) -> None:
    """A booking written by a statement (not a flush) in `session`: its resource's and patient's tokens change on
    commit."""
    for key in booking_keys(booking):
        after_commit.add(session, _SLOTS_CHANGED, key)


def _notice_bulk_booking_writes(state: ORMExecuteState) -> None:
    """An ORM UPDATE/DELETE/INSERT statement on bookings names no single row the flush hook sees: change them all.
    (A booking's own statement is SQL, not the ORM's: it notes its row, note_booking_written.)"""
    if (state.is_update or state.is_delete or state.is_insert) and any(
        mapper.class_ is Booking for mapper in state.all_mappers
    ):
        after_commit.add(state.session, _SLOTS_CHANGED, ALL_BOOKINGS)

