"""Catalog languages and money: Babel's formats per language, the fallback order, and what the database refuses."""
from __future__ import annotations


import pytest
from flask_babel import force_locale
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from medsync.extensions import db
from medsync.i18n import current_language
from medsync.languages import pick
from medsync.models import Clinic, Doctor, Specialty

NBSP = "\u00a0"


ENGLISH_ONLY = ("Cardiologist", {})
TRANSLATED = ("Cardiologist", {"uk": "Кардіолог", "pl": "Kardiolog"})


@pytest.mark.parametrize(("texts", "language", "clinic_language", "shown"), [
    (TRANSLATED, "uk", "pl", "Кардіолог"),  # the reader's language first
    (TRANSLATED, "ru", "pl", "Kardiolog"),  # then the clinic's
    (TRANSLATED, "ru", "uk", "Кардіолог"),
    (TRANSLATED, "ru", "en", "Cardiologist"),  # then English
    (TRANSLATED, "en", "uk", "Cardiologist"),  # an English reader reads the English column, whatever the clinic's
    (ENGLISH_ONLY, "pl", "uk", "Cardiologist"),
    ((None, {"uk": "Кардіолог"}), "en", "uk", "Кардіолог"),  # no English text: the clinic's language
    ((None, {"pl": "Kardiolog"}), "en", "uk", None),
])
def test_a_catalog_text_falls_back_to_the_clinics_language_then_to_english(texts, language, clinic_language, shown):
    english, translations = texts
    assert pick(english, translations, language, clinic_language) == shown


@pytest.mark.parametrize(("locale", "language"), [
    ("uk", "uk"), ("uk_UA", "uk"), ("ru", "ru"), ("pl_PL", "pl"), ("en_GB", "en"), ("pt_BR", "en"), ("de", "en"),
])
def test_the_requests_locale_maps_onto_a_catalog_language(app, locale, language):
    with app.test_request_context(), force_locale(locale):
        assert current_language() == language


@pytest.mark.parametrize("value", ["uah", "UA", "Uah", "U1H"])
def test_the_database_refuses_a_currency_that_is_not_three_capital_letters(make_clinic, value):
    clinic = make_clinic()
    with pytest.raises(IntegrityError, match="currency_iso_4217"):
        db.session.execute(update(Clinic).where(Clinic.id == clinic.id).values(currency=value))
    db.session.rollback()


def test_a_clinic_takes_only_a_known_currency_and_a_catalog_language(app_context):
    assert Clinic(currency="KZT", default_language="ru").currency == "KZT"
    with pytest.raises(ValueError, match="ISO 4217"):
        Clinic(currency="ABC")
    with pytest.raises(ValueError, match="uk, en, ru, pl"):
        Clinic(default_language="de")


@pytest.mark.parametrize("translations", [
    {"en": "Cardiologist"},  # English lives in the column
    {"de": "Kardiologe"},
    {"uk": "  "},
    {"uk": 7},
    ["Кардіолог"],
])
def test_the_database_refuses_translations_that_are_not_texts_by_translated_language(make_doctor, translations):
    specialty_id = make_doctor().specialty_id
    with pytest.raises(IntegrityError, match="name_translations_valid"):
        db.session.execute(update(Specialty).where(Specialty.id == specialty_id).values(name_translations=translations))
    db.session.rollback()


def test_an_edit_of_one_language_is_saved(make_doctor):
    doctor = make_doctor(bio="Treats hearts.", bio_translations={"uk": "Лікує серце."})
    doctor.bio_translations["pl"] = "Leczy serce."
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Doctor, doctor.id).bio_translations == {"uk": "Лікує серце.", "pl": "Leczy serce."}
