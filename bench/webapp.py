"""The Mini App in headless Chromium: bytes transferred for the first page, first contentful paint, and the
time until the slot picker offers its first free time.

    python -m bench.webapp [--runs 5]

Creates (drops first) the database `medsync_bench_webapp`, migrates and seeds it, starts
`gunicorn wsgi:app` on a free localhost port and opens the pages in Debian's Chromium (Playwright; never
its own browser download) with a Telegram WebApp stub carrying signed initData. Each run uses a fresh
browser context (an empty cache); Telegram's script is stubbed, so it is neither fetched nor counted.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import BOT_TOKEN, REDIS_URL, free_port, prepare_database, start_gunicorn  # noqa: E402
from tests.support.initdata import sign_init_data  # noqa: E402

DB_NAME = "medsync_bench_webapp"
# As make run serves it.
GUNICORN = argparse.Namespace(workers=2, threads=4, worker_class="gthread")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STUB = (ROOT / "tests" / "browser" / "telegram_stub.js").read_text()
BUDGET = 60 * 1024
USER = {"id": 900_000_001, "first_name": "Bench", "last_name": "Patient", "language_code": "en"}


def measure(browser: Any, base: str) -> dict[str, float]:
    """One cold visit: the home page's bytes and first paint, then the slot picker's first free time."""
    context = browser.new_context(base_url=base, viewport={"width": 390, "height": 780})
    context.route("https://telegram.org/js/telegram-web-app.js",
                  lambda route: route.fulfill(status=200, content_type="application/javascript", body=""))
    config = {"initData": sign_init_data(BOT_TOKEN, USER), "user": USER, "colorScheme": "light", "themeParams": {}}
    context.add_init_script(f"window.__TG_CONFIG__ = {json.dumps(config)};\n{STUB}")
    page = context.new_page()
    responses: list[Any] = []
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto("/app/", wait_until="load")
    paint = page.evaluate("""new Promise(resolve => new PerformanceObserver(list => {
        const entry = list.getEntriesByName('first-contentful-paint')[0];
        if (entry) resolve(entry.startTime);
    }).observe({type: 'paint', buffered: true}))""")
    transferred = 0
    for request in responses:
        if request.url.startswith(base):
            sizes = request.sizes()
            transferred += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    page.goto("/app/doctors/1/book")
    page.wait_for_selector("button.time")
    picker = page.evaluate("performance.now()")
    context.close()
    return {"bytes": transferred, "fcp_ms": paint, "picker_ms": picker}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()

    from playwright.sync_api import sync_playwright

    database_url = prepare_database(DB_NAME)
    port = free_port()
    server = start_gunicorn(database_url, port, GUNICORN)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            measure(browser, base)  # warm-up: every gunicorn worker loads its catalog snapshot
            runs = [measure(browser, base) for _ in range(options.runs)]
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        redis.Redis.from_url(REDIS_URL).flushdb()

    size = runs[0]["bytes"]
    print(f"Mini App in headless Chromium, {options.runs} cold runs (fresh context each), gunicorn gthread 2x4")
    print("| measure | median | best | worst |\n|---|---|---|---|")
    print(f"| first page HTML+CSS+JS transferred | {size / 1024:.1f} KB (budget {BUDGET // 1024} KB) | | |")
    for key, label in (("fcp_ms", "first contentful paint, ms"), ("picker_ms", "slot picker offers a time, ms")):
        values = [run[key] for run in runs]
        print(f"| {label} | {statistics.median(values):.0f} | {min(values):.0f} | {max(values):.0f} |")
    if size > BUDGET:
        raise SystemExit(f"the first page weighs {size} bytes, over the {BUDGET}-byte budget")


if __name__ == "__main__":
    main()
