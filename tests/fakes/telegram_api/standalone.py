"""`python -m tests.fakes.telegram_api`: the fake as a process of its own (the benchmarks' Telegram)."""
from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Iterable

from .fake import FakeTelegramAPI


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tests.fakes.telegram_api",
        description="Run the fake Telegram Bot API server (use the printed URL as TELEGRAM_API_URL).",
    )
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8081, help="0 = any free port (default 8081)")
    ap.add_argument("--enforce-limits", action="store_true", help="answer 429 above the flood limits")
    ap.add_argument("--global-rate", type=int, default=30, help="send calls per second overall (default 30)")
    ap.add_argument("--per-chat-rate", type=int, default=1, help="send calls per second per chat (default 1)")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds added to every call")
    ap.add_argument("--quiet", action="store_true", help="do not log calls")
    ap.add_argument("--max-calls", type=int, default=10000, help="recorded calls kept in memory")
    args = ap.parse_args(list(argv) if argv is not None else None)

    fake = FakeTelegramAPI(
        args.host,
        args.port,
        enforce_limits=args.enforce_limits,
        global_rate=args.global_rate,
        per_chat_rate=args.per_chat_rate,
        latency=args.latency,
        log_calls=not args.quiet,
        max_calls=args.max_calls,
    )
    # Ready for SIGTERM before anyone can learn the URL: a caller may stop us right after its first call.
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    fake.start()
    print(fake.url, flush=True)
    print(
        f"# fake Telegram Bot API: enforce_limits={args.enforce_limits} "
        f"latency={args.latency}s; Ctrl-C to stop",
        flush=True,
    )
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0
