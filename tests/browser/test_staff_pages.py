"""The staff pages shell: opened inside Telegram (the member's initData) in light and dark, in the member's language,
and in a desktop browser after a Telegram Login Widget sign-in (session cookie), with signing out."""
from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from tests.browser.conftest import save_screenshot
from tests.conftest import BOT_TOKEN


def telegram_profile(member, language_code: str = "en") -> dict:
    return {"id": member.telegram_id, "first_name": "Iryna", "last_name": "Desk", "username": "iryna_desk",
            "language_code": language_code}


def login_url(member) -> str:
    """Where Telegram's Login Widget sends the member back, signed now (the live server reads the real clock)."""
    fields = {"id": str(member.telegram_id), "first_name": "Iryna", "auth_date": str(int(time.time()))}
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    fields["hash"] = hmac.new(hashlib.sha256(BOT_TOKEN.encode()).digest(), check.encode(), hashlib.sha256).hexdigest()
    return f"/app/staff/login/telegram?{urlencode({**fields, 'next': '/app/staff/'})}"


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_an_admin_opens_the_staff_pages_in_telegram(open_app, make_staff, make_clinic, dark):
    clinic = make_clinic(name="MedSync Podil")
    admin = make_staff("admin", clinics=[clinic])

    page = open_app("/app/staff/", user=telegram_profile(admin), dark=dark)

    expect(page.locator("[data-staff-who]")).to_have_text("Iryna Desk · Admin")
    expect(page.locator(f'[data-staff-clinics] [data-clinic-id="{clinic.id}"]')).to_contain_text("MedSync Podil")
    expect(page.locator(".staff-nav [aria-current=page]")).to_be_visible()
    assert page.evaluate("document.documentElement.style.getPropertyValue('--tg-theme-bg-color')") == (
        "#17212b" if dark else "#ffffff")
    save_screenshot(page, f"staff-home-{'dark' if dark else 'light'}")


def test_the_staff_pages_speak_the_members_language(open_app, make_staff, app):
    member = make_staff("reception")

    page = open_app("/app/staff/", user=telegram_profile(member, "uk"))

    expect(page.locator("html")).to_have_attribute("lang", "uk")
    with app.test_request_context(), force_locale("uk"):
        expected = f"Iryna Desk · {gettext('Reception')}"
    expect(page.locator("[data-staff-who]")).to_have_text(expected)
    save_screenshot(page, "staff-home-uk")


def test_a_patient_in_telegram_is_told_the_pages_are_for_staff(open_app, make_user):
    patient = make_user()

    page = open_app("/app/staff/", user={"id": patient.telegram_id, "first_name": "Taras", "language_code": "en"})

    expect(page.locator("[data-staff-error]")).to_have_text(
        "This Telegram account is not an active clinic staff member.")


def test_in_a_desktop_browser_a_member_signs_in_with_telegram_and_out_again(open_app, make_staff):
    member = make_staff("admin")

    page = open_app("/app/staff/", telegram=False)
    page.wait_for_url("**/app/staff/login?next=%2Fapp%2Fstaff%2F")
    page.goto(login_url(member))

    page.wait_for_url("**/app/staff/")
    expect(page.locator("[data-staff-who]")).to_have_text("Iryna Desk · Admin")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/app/staff/login")
    page.goto("/app/staff/")
    page.wait_for_url("**/app/staff/login?next=%2Fapp%2Fstaff%2F")
