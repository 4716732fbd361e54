"""The Mini App in headless Chromium: bytes transferred for the first page, first contentful paint, and the
time until the slot picker offers its first free time.

Run by `python -m bench` against its gunicorn: the pages open in Debian's Chromium (Playwright; never its
own browser download) with a Telegram WebApp stub carrying signed initData. Each run uses a fresh
browser context (an empty cache); Telegram's script is stubbed, so it is neither fetched nor counted.
"""
from __future__ import annotations

import json
from typing import Any

from bench.server import BOT_TOKEN, ROOT
from tests.support.initdata import sign_init_data

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STUB = (ROOT / "tests" / "browser" / "telegram_stub.js").read_text()
BUDGET = 60 * 1024
USER = {"id": 930_000_001, "first_name": "Bench", "last_name": "Patient", "language_code": "en"}


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


def measure_runs(base: str, runs: int) -> list[dict[str, float]]:
    """`runs` cold visits after one warm-up visit, in Debian's headless Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            measure(browser, base)  # warm-up: every gunicorn worker loads its catalog snapshot
            return [measure(browser, base) for _ in range(runs)]
        finally:
            browser.close()
