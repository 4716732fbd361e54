"""The catalog pages as a patient uses them: every filter chip, the search and the clinic choice, from the
form as it first appears."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from medsync.extensions import db
from medsync.services.seed import seed_demo_catalog
from tests.browser.conftest import save_screenshot


@pytest.fixture
def demo_catalog(app_context) -> None:
    seed_demo_catalog()
    db.session.commit()


def press(page: Page, control) -> None:
    """Press a control that loads a page, and check the page loaded (not an error page)."""
    with page.expect_navigation() as navigation:
        control.click()
    assert navigation.value.status == 200, (page.url, navigation.value.status)
    expect(page.get_by_role("heading", name="See a doctor")).to_be_visible()


def test_every_chip_and_the_search_work_from_the_default_form(open_app, demo_catalog):
    page = open_app("/app/see_a_doctor")
    everyone = page.locator(".card").count()
    names = page.locator(".chips .chip").all_inner_texts()
    assert names[0] == "All" and len(names) > 5

    for name in names:
        press(page, page.locator(".chips").get_by_role("link", name=name, exact=True))
        current = page.locator('.chips .chip[aria-current="true"]')
        expect(current).to_have_text(name)
        shown = page.locator(".card").count()
        assert shown >= 1 and (shown == everyone) == (name == "All"), (name, shown)
        expect(page.get_by_label("Clinic")).to_have_value("")  # "All clinics", as the form was
        press(page, page.get_by_role("button", name="Search"))  # the form as it is: no name, all clinics
        expect(current).to_have_text(name)
        expect(page.locator(".card")).to_have_count(shown)

    press(page, page.locator(".chips").get_by_role("link", name="All", exact=True))
    page.get_by_label("Name, specialty or service").fill("Kovalenko")
    press(page, page.get_by_role("button", name="Search"))
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator(".card")).to_contain_text("Olena Kovalenko")


def test_choosing_a_clinic_and_then_all_clinics_again(open_app, demo_catalog):
    page = open_app("/app/see_a_doctor")
    everyone = page.locator(".card").count()
    with page.expect_navigation():
        page.get_by_label("Clinic").select_option(label="MedSync Lviv")
    assert 0 < page.locator(".card").count() < everyone
    expect(page.locator(".card .hint").first).to_have_text("MedSync Lviv")
    with page.expect_navigation() as navigation:
        page.get_by_label("Clinic").select_option(label="All clinics")
    assert navigation.value.status == 200
    expect(page.locator(".card")).to_have_count(everyone)


def test_every_doctor_shows_a_picture_their_initials_when_no_photo_loads(open_app, make_clinic, make_doctor):
    clinic = make_clinic()
    gone = make_doctor(clinic=clinic, full_name="Olena Kovalenko", photo_url="/app/static/photos/gone.jpg")
    cyrillic = make_doctor(clinic=clinic, full_name="Ірина Бондаренко", slug="ірина-бондаренко", photo_url=None)
    titled = make_doctor(clinic=clinic, full_name="Dr. Roman Kravets", slug="Roman_Kravets", photo_url=None)

    page = open_app("/app/see_a_doctor")
    page.wait_for_function("[...document.images].every(image => image.complete && image.naturalWidth > 0)")
    save_screenshot(page, "light-avatars")

    pictures = page.locator(".card img.photo")
    expect(pictures).to_have_count(3)
    for picture in pictures.all():
        expect(picture).to_be_visible()
        expect(picture).not_to_have_class(re.compile("broken"))
    shown = {card.locator(".name").inner_text(): card.locator("img.photo").evaluate("image => image.currentSrc")
             for card in page.locator(".card").all()}
    assert shown[gone.full_name].endswith(f"/app/photos/doctors/{gone.slug}.svg")  # its avatar, not the lost photo
    assert shown[cyrillic.full_name].endswith("/app/photos/doctors/%D1%96%D1%80%D0%B8%D0%BD%D0%B0-"
                                              "%D0%B1%D0%BE%D0%BD%D0%B4%D0%B0%D1%80%D0%B5%D0%BD%D0%BA%D0%BE.svg")
    assert shown[titled.full_name].endswith("/app/photos/doctors/Roman_Kravets.svg")
