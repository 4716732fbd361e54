"""How the Mini App looks: Telegram's light and dark themes, readable contrast, usable at 320 px, keyboard focus.

Screenshots of every main page land in var/screenshots/ (a test artefact) for a person to look at.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from sqlalchemy import select

from medsync.extensions import db
from medsync.models import DiagnosticType, Doctor
from medsync.services import bookings, results
from medsync.services.seed import seed_demo_catalog
from tests.browser.conftest import (
    DARK_THEME, PATIENT_ID, choose_slot, open_day, save_screenshot, tap_main_button,
)
from tests.conftest import PDF, next_local_slot


def luminance(css_colour: str) -> float:
    """WCAG relative luminance of a computed colour: `rgb(r, g, b)` or color-mix()'s `color(srgb r g b)`."""
    numbers = [float(value) for value in re.findall(r"[\d.]+", css_colour.removeprefix("color(srgb"))[:3]]
    channels = numbers if css_colour.startswith("color(srgb") else [value / 255 for value in numbers]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def colours(page: Page, selector: str) -> tuple[str, str]:
    """The text colour of the first visible match and the background it sits on (the nearest painted ancestor's)."""
    return page.locator(f"{selector} >> visible=true").first.evaluate("""element => {
        const text = getComputedStyle(element).color;
        for (let node = element; node; node = node.parentElement) {
            const background = getComputedStyle(node).backgroundColor;
            if (background !== 'rgba(0, 0, 0, 0)' && background !== 'transparent') return [text, background];
        }
        return [text, 'rgb(255, 255, 255)'];
    }""")


# Every text on the screen, as the patient sees it: its colour, the background it sits on (the nearest
# painted ancestor's), its size and weight, and whether it is a filled button in Telegram's own button colours.
# Text of a disabled control is left out (WCAG exempts inactive controls), and so is text hidden from view.
SCREEN_TEXTS = """() => {
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const element = node.parentElement;
        if (!node.textContent.trim() || element.closest('script, :disabled')) continue;
        if (!element.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
        const style = getComputedStyle(element);
        let background = 'rgb(255, 255, 255)';
        for (let painted = element; painted; painted = painted.parentElement) {
            const colour = getComputedStyle(painted).backgroundColor;
            if (colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') { background = colour; break; }
        }
        found.push({
            text: node.textContent.trim().slice(0, 40), classes: element.className, colour: style.color,
            background, size: parseFloat(style.fontSize), weight: parseInt(style.fontWeight, 10),
            filled_button: !!element.closest('.button:not(.secondary):not(.danger)'),
        });
    }
    return found;
}"""


def least_contrast(text: dict) -> float:
    """WCAG AA: 4.5:1, 3:1 for large text (24 px, or 18.66 px bold). A filled button keeps Telegram's own
    button_color/button_text_color pair (its MainButton's), which its themes set at 3.3:1 and 3.7:1."""
    large = text["size"] >= 24 or (text["size"] >= 18.66 and text["weight"] >= 700)
    return 3 if large or text["filled_button"] else 4.5


def unreadable(page: Page) -> list[tuple[str, str, float]]:
    """The texts on the screen below WCAG AA for their size, with their contrast."""
    texts = page.evaluate(SCREEN_TEXTS)
    assert texts, "no text on the screen"
    ratios = [(text, contrast(text["colour"], text["background"])) for text in texts]
    return [(text["text"], text["classes"], round(ratio, 2)) for text, ratio in ratios if ratio < least_contrast(text)]


@pytest.fixture
def catalog_with_a_patient(app_context, make_user, make_booking):
    """The demo catalog, the patient's booking with a result and a cancelled one: every page has something
    real to show."""
    seed_demo_catalog()
    db.session.commit()
    doctor = db.session.scalars(select(Doctor).order_by(Doctor.id)).first()
    diagnostic = db.session.scalars(select(DiagnosticType).where(DiagnosticType.name == "MRI")).one()
    patient = make_user(telegram_id=PATIENT_ID)
    booking = make_booking(user=patient, doctor=doctor)
    results.store_result(booking.id, content=PDF, file_name="blood.pdf", title="Complete blood count",
                         now=booking.starts_at)
    cancelled = make_booking(user=patient, doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=4))
    bookings.cancel(cancelled.id, user_id=PATIENT_ID)
    db.session.commit()
    return {"doctor": doctor, "diagnostic": diagnostic, "clinic": doctor.clinic}


def main_pages(catalog: dict) -> dict[str, str]:
    doctor, diagnostic, clinic = catalog["doctor"], catalog["diagnostic"], catalog["clinic"]
    return {
        "home": "/app/", "doctors": "/app/see_a_doctor", "doctor": f"/app/doctors/{doctor.id}",
        "tests": "/app/get_tested", "test": f"/app/diagnostics/{diagnostic.id}",
        "slots": f"/app/diagnostics/{diagnostic.id}/clinics/{clinic.id}/book",
        "bookings": "/app/bookings", "results": "/app/results",
    }


def settle(page: Page, name: str) -> None:
    """Wait until the page's script has shown what it loads and its pictures are in."""
    page.wait_for_function("[...document.images].every(image => image.complete && image.naturalWidth > 0"
                           " || image.loading === 'lazy')")
    if name == "slots":
        expect(page.locator("button.time").first).to_be_visible()
    elif name in ("bookings", "results"):
        expect(page.locator("[data-list] li").first).to_be_visible()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_every_text_is_readable_in_telegrams_theme(open_app, catalog_with_a_patient, dark):
    """Every text on every main page, and in the states a patient meets there — the chosen chip and day, the
    Cancel action, the statuses, a form's errors — meets WCAG AA with Telegram's default colours."""
    scheme = "dark" if dark else "light"
    pages = main_pages(catalog_with_a_patient)
    problems = {}
    for name, path in pages.items():
        page = open_app(path, dark=dark)
        settle(page, name)
        save_screenshot(page, f"{scheme}-{name}")
        text, background = colours(page, "body")
        assert contrast(text, background) >= 7, (name, text, background)  # WCAG AAA for body text
        if dark:
            assert background == "rgb(23, 33, 43)"  # Telegram's bg_color, not a light fallback
        problems[name] = unreadable(page)
        if name == "bookings":
            expect(page.locator(".status-booked")).to_be_visible()
            expect(page.locator(".booking .button.danger")).to_have_text("Cancel")
            page.get_by_role("button", name="Past").click()
            expect(page.locator(".status-cancelled")).to_be_visible()
            save_screenshot(page, f"{scheme}-bookings-past")
            problems["bookings, past"] = unreadable(page)
        page.context.close()

    page = open_app(pages["slots"], dark=dark)
    expect(page.locator('button.day[aria-pressed="true"]')).to_be_visible()
    choose_slot(page, open_day(catalog_with_a_patient["clinic"]), "10:00")
    page.get_by_label("First name").fill("")
    tap_main_button(page, "Confirm booking")
    expect(page.locator("#first_name-error")).to_have_text("Please fill this in.")
    expect(page.locator("#phone-error")).to_have_text("Please fill this in.")
    save_screenshot(page, f"{scheme}-form-errors")
    problems["the form's errors"] = unreadable(page)
    assert {name: found for name, found in problems.items() if found} == {}
    assert DARK_THEME["bg_color"] == "#17212b"


def test_a_browser_in_dark_mode_outside_telegram_gets_the_dark_fallback(open_app, catalog_with_a_patient):
    page = open_app("/app/see_a_doctor", telegram=False, dark=True)
    text, background = colours(page, "body")
    assert luminance(background) < 0.05 and contrast(text, background) >= 7
    assert unreadable(page) == []  # our own palettes meet WCAG AA too, light (below) and dark
    assert unreadable(open_app("/app/see_a_doctor", telegram=False)) == []
    save_screenshot(page, "browser-dark-doctors")


def test_usable_at_320_pixels_wide(open_app, catalog_with_a_patient):
    for name, path in main_pages(catalog_with_a_patient).items():
        page = open_app(path, width=320, height=640)
        settle(page, name)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (name, overflow)
        save_screenshot(page, f"narrow-{name}")
        page.context.close()
    page = open_app(main_pages(catalog_with_a_patient)["slots"], width=320, height=640)
    day = open_day(catalog_with_a_patient["clinic"])
    choose_slot(page, day, "10:00")
    for label in ("First name", "Last name", "Phone"):
        box = page.get_by_label(label).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 320, label
    save_screenshot(page, "narrow-form")


def test_keyboard_focus_is_visible(open_app, catalog_with_a_patient):
    page = open_app("/app/", telegram=False)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle + ' ' +"
                            " getComputedStyle(document.activeElement).outlineWidth")
    assert outline.startswith("solid") and not outline.endswith(" 0px")
