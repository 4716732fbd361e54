"""Micro-benchmarks of the hot paths that sit on a library's interface, in-process, µs per call.

    python -m bench.paths [--calls 20000] [--rounds 7] [--json]

`make bench` measures whole requests through gunicorn; on a shared machine its noise (±10 %) hides a few µs
moved in one of these paths. Each path here runs `--calls` times per round; the table gives the median and
the fastest round. Compare two checkouts by running each in turn, several times, on the same machine.

- catalog read, idle: `CatalogFeed.current()` on a subscription with nothing waiting (every cached read).
- catalog read, change waiting: the same read with one announced change to apply.
- Bot API POST / GET: one call through `BotApiTransport` to the fake Bot API on loopback (the fake's own
  work and the round trip included: compare differences, not totals).

Uses the Redis database of BENCH_REDIS_URL (default redis://127.0.0.1:6379/14; only the catalog version key
and channel are touched).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # a standalone script: the project and its test fake, without installing

import redis  # noqa: E402

from medsync.bot.transport import BotApiTransport  # noqa: E402
from medsync.services.changes import CatalogFeed, announce_catalog_change  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
TOKEN = "123456:BENCH-paths"
CHAT = 800_000_001


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="calls per round (a tenth for the Bot API)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the numbers as one JSON object")
    args = parser.parse_args()

    client = redis.Redis.from_url(REDIS_URL)
    feed = CatalogFeed()
    feed.current(client)  # subscribed
    api_calls = max(1, args.calls // 10)
    with FakeTelegramAPI(max_calls=1000) as fake:
        transport = BotApiTransport()
        send = f"{fake.url}/bot{TOKEN}/sendMessage"
        get_chat = f"{fake.url}/bot{TOKEN}/getChat"
        paths: dict[str, tuple[Callable[[], None], int, Callable[[], None] | None]] = {
            "catalog read, idle": (lambda: feed.current(client), args.calls, None),
            "catalog read, change waiting": (lambda: feed.current(client), args.calls // 10,
                                             lambda: announce_catalog_change(client)),
            "Bot API POST sendMessage": (lambda: transport("post", send, params={
                "chat_id": CHAT, "text": "Your visit is tomorrow at 10:00", "reply_markup": '{"inline_keyboard":[]}',
                "disable_notification": None}, timeout=(5, 5)), api_calls, None),
            "Bot API GET getChat": (lambda: transport("get", get_chat, params={"chat_id": CHAT}, timeout=(5, 5)),
                                    api_calls, None),
        }
        results = {name: _rounds(call, calls, prepare, args.rounds) for name, (call, calls, prepare) in paths.items()}
    feed.pubsub.close()
    if args.json:
        print(json.dumps(results))
    else:
        print("| path | median µs/call | fastest round µs/call |\n|---|---:|---:|")
        for name, (median, fastest) in results.items():
            print(f"| {name} | {median:.2f} | {fastest:.2f} |")
    return 0


def _rounds(call: Callable[[], None], calls: int, prepare: Callable[[], None] | None,
            rounds: int) -> tuple[float, float]:
    """(median, fastest) µs per call over the rounds; `prepare` runs before each call, outside the clock."""
    per_call = []
    for _ in range(rounds):
        spent = 0.0
        if prepare is None:
            started = time.perf_counter()
            for _ in range(calls):
                call()
            spent = time.perf_counter() - started
        else:
            for _ in range(calls):
                prepare()
                started = time.perf_counter()
                call()
                spent += time.perf_counter() - started
        per_call.append(spent / calls * 1e6)
    return statistics.median(per_call), min(per_call)


if __name__ == "__main__":
    sys.exit(main())
