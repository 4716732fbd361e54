"""The Mini App in Debian's Chromium (Playwright) against the live app on the test database.

The session's app is served by werkzeug in a thread, so each test's rows (made with the usual factories)
and the after-test cleanup are shared with it. Every page gets, before any of its scripts runs, a
`window.Telegram.WebApp` stub carrying real initData signed for the test bot; the real telegram.org
script is never fetched. Nothing here sleeps: Playwright's `expect` and `wait_for_function` wait on conditions.
"""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright
from werkzeug.serving import make_server

from medsync import clock
from medsync.models import Clinic
from tests.bot.staff.conftest import make_staff
from tests.conftest import BOT_TOKEN
from tests.support.initdata import sign_init_data

__all__ = ["make_staff"]  # the staff pages' tests use the staff bot's member factory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
STUB = (Path(__file__).parent / "telegram_stub.js").read_text()
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PATIENT_ID = 700_000_001
PATIENT = {"id": PATIENT_ID, "first_name": "Taras", "last_name": "Shevchenko", "username": "taras",
           "language_code": "en"}

# Telegram's own palettes (Telegram Desktop's day and night themes).
LIGHT_THEME = {
    "bg_color": "#ffffff", "text_color": "#000000", "hint_color": "#707579", "link_color": "#3390ec",
    "button_color": "#3390ec", "button_text_color": "#ffffff", "secondary_bg_color": "#f4f4f5",
    "section_bg_color": "#ffffff", "section_separator_color": "#e7e7e7", "destructive_text_color": "#e53935",
}
DARK_THEME = {
    "bg_color": "#17212b", "text_color": "#f5f5f5", "hint_color": "#708499", "link_color": "#6ab3f3",
    "button_color": "#5288c1", "button_text_color": "#ffffff", "secondary_bg_color": "#232e3c",
    "section_bg_color": "#17212b", "section_separator_color": "#111921", "destructive_text_color": "#ec3942",
}


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The session's app on a free local port, in a thread (it sees the test database and the fake Bot API)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the session (Debian's; Playwright's own download is never used)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs it (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_app(browser: Browser, live_server: str) -> Iterator[Callable[..., Page]]:
    """`open_app(path, telegram=True, theme=..., timezone_id=..., width=...)`: a fresh browser context's page."""
    contexts: list[BrowserContext] = []

    def open_page(
        path: str, *, telegram: bool = True, user: dict[str, Any] | None = None, dark: bool = False,
        timezone_id: str = "Europe/Kyiv", width: int = 390, height: int = 780,
    ) -> Page:
        context = browser.new_context(
            base_url=live_server, timezone_id=timezone_id, locale="en-GB",
            viewport={"width": width, "height": height}, color_scheme="dark" if dark else "light",
            service_workers="block",
        )
        contexts.append(context)
        context.route(TELEGRAM_SCRIPT, _serve_nothing if telegram else _refuse)
        if telegram:
            profile = user or PATIENT
            config = {
                "initData": sign_init_data(BOT_TOKEN, profile, auth_date=int(clock.now().timestamp())),
                "user": profile,
                "colorScheme": "dark" if dark else "light", "themeParams": DARK_THEME if dark else LIGHT_THEME,
            }
            context.add_init_script(f"window.__TG_CONFIG__ = {json.dumps(config)};\n{STUB}")
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(path)
        return page

    yield open_page
    for context in contexts:
        context.close()


def _serve_nothing(route: Route) -> None:
    """The stub already stands in for Telegram's script."""
    route.fulfill(status=200, content_type="application/javascript", body="")


def _refuse(route: Route) -> None:
    route.abort()


# --- the Telegram stub, seen from the test -------------------------------------------------------------


def wait_for_main_button(page: Page, text: str) -> None:
    """Wait until Telegram's MainButton shows `text` (and is not busy)."""
    page.wait_for_function(
        "text => window.__tg.main.visible && window.__tg.main.text === text && !window.__tg.main.progress", arg=text
    )


def tap_main_button(page: Page, text: str) -> None:
    """Press Telegram's MainButton once it reads `text`."""
    wait_for_main_button(page, text)
    page.evaluate("window.__tg.clickMain()")


def telegram_record(page: Page) -> dict[str, Any]:
    return page.evaluate("({popups: window.__tg.popups, haptics: window.__tg.haptics, closed: window.__tg.closed,"
                         " calls: window.__tg.calls, back: window.__tg.back.visible})")


def wait_for_popup(page: Page, count: int = 1) -> list[dict[str, str]]:
    page.wait_for_function("count => window.__tg.popups.length >= count", arg=count)
    return telegram_record(page)["popups"]


# --- days in the clinic's calendar ----------------------------------------------------------------------


def clinic_today(clinic: Clinic) -> date:
    """Today where the clinic is (the live server uses the real clock, as the browser does)."""
    return datetime.now(clinic.zone).date()


def open_day(clinic: Clinic, days_ahead: int = 2, *, skip: tuple[date, ...] = ()) -> date:
    """The first day the clinic works at least `days_ahead` days from its today."""
    open_weekdays = {hours.weekday for hours in clinic.hours}
    day = clinic_today(clinic) + timedelta(days=days_ahead)
    while day.isoweekday() not in open_weekdays or day in skip:
        day += timedelta(days=1)
    return day


def choose_slot(page: Page, day: date, clock: str) -> None:
    """In the slot picker: the day in the strip, then the time."""
    page.locator(f'button.day[data-day="{day.isoformat()}"]').click()
    page.locator(f'button.day[data-day="{day.isoformat()}"][aria-pressed="true"]').wait_for()
    page.locator(f'button.time[data-starts-at^="{day.isoformat()}T{clock}"]').click()  # the clinic's wall time


def save_screenshot(page: Page, name: str) -> Path:
    """What the patient sees first (the viewport) as a PNG under var/screenshots/ (a test artefact, git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
