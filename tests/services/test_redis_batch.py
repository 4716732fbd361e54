"""The webhook's Redis batch: one round trip, replies in order, and a failure never leaves a half-read reply."""
from __future__ import annotations

import pytest
import redis

from medsync.redis_batch import RedisBatch
from medsync.extensions import redis_client


def test_replies_come_back_in_order_as_redis_py_gives_them(app_context):
    client = redis_client.client
    client.delete("medsync:test:batch:a", "medsync:test:batch:b")
    batch = RedisBatch(client)
    batch.set("medsync:test:batch:a", 1, nx=True, ex=60)
    batch.set("medsync:test:batch:a", 2, nx=True, ex=60)
    batch.get("medsync:test:batch:a")
    batch.get("medsync:test:batch:b")
    batch.expire("medsync:test:batch:a", 120)

    assert batch.execute() == [True, None, b"1", None, 1]
    assert 60 < client.ttl("medsync:test:batch:a") <= 120


def test_a_refused_command_raises_and_the_next_command_reads_its_own_reply(app_context):
    client = redis_client.client
    client.delete("medsync:test:batch:list")
    client.rpush("medsync:test:batch:list", "x")
    batch = RedisBatch(client)
    batch.get("medsync:test:batch:list")  # WRONGTYPE
    batch.set("medsync:test:batch:c", "after", ex=60)

    with pytest.raises(redis.ResponseError):
        batch.execute()

    assert client.get("medsync:test:batch:c") in (None, b"after")
    assert client.ping() is True and client.get("medsync:test:batch:list:none") is None


def test_redis_replies_are_parsed_by_hiredis(app):
    """hiredis is a pinned dependency for speed: redis-py uses it only if it imports, silently falling back to
    its Python parser otherwise. The app's client and the batch's connections must use it."""
    from redis._parsers import _HiredisParser

    connection = app.extensions["redis"].connection_pool.get_connection()
    try:
        assert isinstance(connection._parser, _HiredisParser)
    finally:
        app.extensions["redis"].connection_pool.release(connection)
