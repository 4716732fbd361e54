"""The demo catalog file: bad data is refused naming the file and the entry; the shipped demo is what clinics offer."""
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest

from medsync.demo_catalog import CatalogError, DemoCatalog, load_demo_catalog, photo_url
from medsync.languages import TRANSLATED

SMALL_CATALOG = """
[specialties.therapist]
name = "Therapist"
uk.name = "Терапевт"

[clinics.main]
name = "MedSync Main"
address = "1 Main St"
timezone = "Europe/Kyiv"
currency = "UAH"
default_language = "uk"

[clinics.main.hours]
monday = { opens = "09:00", closes = "18:00", breaks = [["13:00", "14:00"]] }
saturday = { opens = "09:00", closes = "14:00" }

[[closures]]
clinic = "main"
first_day = "12-31"
last_day = "01-01"

[doctors.dr-a]
full_name = "Dr. A"
specialty = "therapist"
clinic = "main"
price = "600.00"
appointment_minutes = 30
experience = "10 years"
certificates = ["Diploma (2010)"]
services = ["Consultation"]
bio = \"\"\"
A general practitioner
who listens.
\"\"\"
ratings = [{ score = 5, comment = "Kind." }]

[doctors.dr-a.pl]
services = ["Konsultacja"]
bio = \"\"\"
Lekarz,
który słucha.
\"\"\"

[diagnostics.mri]
name = "MRI"
price = "3200"
prices = { main = "3000.00" }
duration_minutes = 60
clinics = ["main"]
description = "Magnetic resonance imaging."
ru.name = "МРТ"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(tmp_path: Path, old: str, new: str) -> str:
    """The loader's message for the small catalog with `old` replaced by `new`."""
    assert old in SMALL_CATALOG
    path = write(tmp_path, SMALL_CATALOG.replace(old, new, 1))
    with pytest.raises(CatalogError) as refused:
        load_demo_catalog(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: ")
    return message


def test_a_small_catalog_loads_into_typed_entries(tmp_path):
    catalog = load_demo_catalog(write(tmp_path, SMALL_CATALOG))
    clinic, doctor, mri = catalog.clinics[0], catalog.doctors[0], catalog.diagnostics[0]
    assert [(day.iso_weekday, day.opens, day.closes, day.breaks) for day in clinic.hours] == [
        (1, time(9), time(18), ((time(13), time(14)),)), (6, time(9), time(14), ()),
    ]
    assert doctor.price == Decimal("600.00") and mri.price == Decimal("3200.00")
    assert mri.prices == {"main": Decimal("3000.00")}
    assert (clinic.currency, clinic.default_language) == ("UAH", "uk")
    assert doctor.bio == "A general practitioner who listens."  # wrapped prose is folded
    assert doctor.bio_translations == {"pl": "Lekarz, który słucha."}
    assert doctor.services_translations == {"pl": "Konsultacja"} and doctor.experience_translations == {}
    assert catalog.specialties[0].name_translations == {"uk": "Терапевт"}
    assert mri.name_translations == {"ru": "МРТ"} and mri.description_translations == {}
    assert doctor.photo_url == photo_url("doctors", "dr-a") and mri.photo_url == photo_url("diagnostics", "mri")
    assert catalog.closures[0].days(2026) == (date(2026, 12, 31), date(2027, 1, 1))


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('clinic = "main"\nprice', 'clinic = "nowhere"\nprice', "doctors.dr-a.clinic: Unknown clinic 'nowhere'."),
    ('specialty = "therapist"', 'specialty = "surgeon"', "doctors.dr-a.specialty: Unknown specialty 'surgeon'."),
    ('clinics = ["main"]', 'clinics = ["main", "annex"]', "diagnostics.mri.clinics: Unknown clinic 'annex'."),
    ('clinics = ["main"]', 'clinics = ["main", "main"]', "diagnostics.mri.clinics: 'main' is listed 2 times."),
    ('clinic = "main"\nfirst_day', 'clinic = "annex"\nfirst_day', "closures.#1.clinic: Unknown clinic 'annex'."),
    ('name = "MRI"', 'name = "MRI"\nprise = "1.00"', "diagnostics.mri.prise: Unknown field."),
    ("[doctors.dr-a]", "[doctors.Dr_A]", "doctors.Dr_A.(key): A key is lowercase letters"),
    # A value is refused by the admin API's own rules, in its words (medsync.catalog_fields).
    ('"Europe/Kyiv"', '"Europe/Kyiev"', "clinics.main.timezone: Not a time zone we know"),
    ('opens = "09:00", closes = "18:00"', 'opens = "9:00", closes = "18:00"',
     "clinics.main.hours.monday.opens: A time of day as HH:MM, such as 09:00."),
    ('opens = "09:00", closes = "18:00"', 'opens = "09:60", closes = "18:00"',
     "clinics.main.hours.monday.opens: A time of day as HH:MM, such as 09:00."),
    ('opens = "09:00", closes = "18:00"', 'opens = "18:00", closes = "09:00"',
     "clinics.main.hours.monday.closes: Closes before it opens."),
    ('[["13:00", "14:00"]]', '[["17:00", "19:00"]]',
     "clinics.main.hours.monday.breaks: Breaks must lie within the opening hours, in order, without overlapping."),
    ('[["13:00", "14:00"]]', '[["13:00", "15:00"], ["14:00", "16:00"]]',
     "clinics.main.hours.monday.breaks: Breaks must lie within the opening hours, in order, without overlapping."),
    ("monday =", "funday =", "clinics.main.hours.funday.(key): Not a weekday: funday."),
    ('first_day = "12-31"', 'first_day = "02-30"', "closures.#1.first_day: '02-30' is not a day of every year"),
    ('first_day = "12-31"', 'first_day = "02-29"', "closures.#1.first_day: '02-29' is not a day of every year"),
    # A closure is yearly ("MM-DD") or once (dates, as `catalog export` writes an admin's): not half of each.
    ('first_day = "12-31"', 'first_day = "2026-12-31"', "closures.#1.last_day: Both days every year ('MM-DD') or "
                                                        "both once ('YYYY-MM-DD')."),
    ('first_day = "12-31"', 'first_day = "2026-02-30"', "closures.#1.first_day: '2026-02-30' is not a date."),
    ("score = 5", "score = 6", "doctors.dr-a.ratings.#1.score: A score is 1 to 5."),
    ("score = 5", "score = 4.5", "doctors.dr-a.ratings.#1.score: Not a valid integer."),
    ('price = "600.00"', 'price = "six hundred"', "doctors.dr-a.price: Not a valid number."),
    ('price = "600.00"', 'price = "0.00"', "doctors.dr-a.price: Must be more than 0."),
    ('price = "600.00"', 'price = "-5"', "doctors.dr-a.price: Must be more than 0."),
    ("appointment_minutes = 30", "appointment_minutes = 4",
     "doctors.dr-a.appointment_minutes: Must be greater than or equal to 5 and less than or equal to 480."),
    ("appointment_minutes = 30", "appointment_minutes = 30.5", "doctors.dr-a.appointment_minutes: Not a valid integer."),
    ("duration_minutes = 60", "duration_minutes = 0",
     "diagnostics.mri.duration_minutes: Must be greater than or equal to 5 and less than or equal to 480."),
    ('full_name = "Dr. A"', 'full_name = "  "', "doctors.dr-a.full_name: Must not be blank."),
    ('services = ["Consultation"]', "services = []", "doctors.dr-a.services: List at least one."),
    ('services = ["Consultation"]', 'services = ["Consultation", " "]', "doctors.dr-a.services.#2: Must not be blank."),
    ('services = ["Consultation"]', 'services = ["Consultation\\nECG"]', "doctors.dr-a.services: One line per item."),
    ("[specialties.therapist]", '[specialties.gp]\nname = "Therapist"\n\n[specialties.therapist]',
     "specialties: 2 entries are named 'therapist'; names must differ."),
    ("[specialties.therapist]", '[specialties.gp]\nname = "THERAPIST"\n\n[specialties.therapist]',
     "specialties: 2 entries are named 'therapist'; names must differ."),
    ('currency = "UAH"', 'currency = "UAN"', "clinics.main.currency: Not an ISO 4217 currency code"),
    ('currency = "UAH"', 'currency = "uah"', "clinics.main.currency: Not an ISO 4217 currency code"),
    ('default_language = "uk"', 'default_language = "kk"',
     "clinics.main.default_language: Not one of the catalog languages (uk, en, ru, pl): kk."),
    ('[doctors.dr-a.pl]', '[doctors.dr-a.de]', "doctors.dr-a.de: Unknown field."),
    ('[doctors.dr-a.pl]', '[doctors.dr-a.en]', "doctors.dr-a.en: Unknown field."),  # English is the entry itself
    ('services = ["Konsultacja"]', 'services = ["Konsultacja", ""]', "doctors.dr-a.pl.services.#2: Must not be blank."),
    ('services = ["Konsultacja"]', 'servise = ["Konsultacja"]', "doctors.dr-a.pl.servise: Unknown field."),
    ('ru.name = "МРТ"', 'ru.name = " "', "diagnostics.mri.ru.name: Must not be blank."),
    ('prices = { main = "3000.00" }', 'prices = { main = "3000.00", annex = "90.00" }',
     "diagnostics.mri.prices: 'annex' is not among the clinics offering it."),
    ('prices = { main = "3000.00" }', 'prices = { main = "three" }',
     "diagnostics.mri.prices.main: Not a valid number."),
])
def test_the_loader_refuses_bad_data_naming_the_file_and_the_entry(tmp_path, old, new, expected):
    assert expected in refusal(tmp_path, old, new)


def test_a_file_takes_what_the_admin_api_takes(tmp_path):
    """A real clinic's hours and lengths: a 09:30 opening, a 12:30 break, 25-minute appointments, a 45-minute test."""
    text = (SMALL_CATALOG.replace('opens = "09:00", closes = "18:00"', 'opens = "09:30", closes = "17:45"')
            .replace('[["13:00", "14:00"]]', '[["12:30", "13:15"]]')
            .replace("appointment_minutes = 30", "appointment_minutes = 25")
            .replace("duration_minutes = 60", "duration_minutes = 45"))
    catalog = load_demo_catalog(write(tmp_path, text))
    monday = next(day for day in catalog.clinics[0].hours if day.iso_weekday == 1)
    assert (monday.opens, monday.closes, monday.breaks) == (time(9, 30), time(17, 45), ((time(12, 30), time(13, 15)),))
    assert catalog.doctors[0].appointment_minutes == 25 and catalog.diagnostics[0].duration_minutes == 45


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("[diagnostics.mri]", "[doctors.dr-a]\n[diagnostics.mri]", "Cannot declare ('doctors', 'dr-a') twice (at line 44"),
    ('price = "600.00"', 'price = "600.00"\nprice = "700.00"', 'Cannot overwrite a value (at line 27, column 17): '
                                                               'price = "700.00"'),
])
def test_a_key_given_twice_is_refused_with_its_line(tmp_path, old, new, expected):
    assert expected in refusal(tmp_path, old, new)


def test_every_problem_is_listed_at_once(tmp_path):
    path = write(tmp_path, SMALL_CATALOG.replace('"Europe/Kyiv"', '"Mars/Olympus"').replace("score = 5", "score = 0"))
    with pytest.raises(CatalogError) as refused:
        load_demo_catalog(path)
    assert str(refused.value).splitlines() == [
        f"{path}: clinics.main.timezone: Not a time zone we know (an IANA name such as Europe/Kyiv).",
        f"{path}: doctors.dr-a.ratings.#1.score: A score is 1 to 5.",
    ]


def test_a_missing_or_unparsable_file_is_refused(tmp_path):
    with pytest.raises(CatalogError, match="cannot be read"):
        load_demo_catalog(tmp_path / "missing.toml")
    with pytest.raises(CatalogError, match=r"catalog\.toml: .*line 1"):
        load_demo_catalog(write(tmp_path, "clinics = ]\n"))


def test_the_loader_still_refuses_under_python_optimisations(tmp_path):
    """No check is an assert, so `python -O` (which drops asserts) refuses the same mistakes."""
    path = write(tmp_path, SMALL_CATALOG.replace("appointment_minutes = 30", "appointment_minutes = 4"))
    script = ("import sys\nfrom medsync.demo_catalog import CatalogError, load_demo_catalog\nload_demo_catalog()\n"
              "try:\n    load_demo_catalog(__import__('pathlib').Path(sys.argv[1]))\n"
              "except CatalogError as exc:\n    print(exc)\nelse:\n    sys.exit('accepted')\n")
    run = subprocess.run([sys.executable, "-O", "-c", script, str(path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "doctors.dr-a.appointment_minutes: Must be greater than or equal to 5" in run.stdout


# --- the shipped demo: what the Mini App, the bot and the tests expect of it ----------------------


@pytest.fixture(scope="module")
def demo() -> DemoCatalog:
    return load_demo_catalog()


def test_demo_clinics_are_in_two_zones_open_monday_to_saturday_with_lunch(demo):
    assert len(demo.clinics) >= 3
    assert len({clinic.timezone for clinic in demo.clinics}) >= 2
    for clinic in demo.clinics:
        days = {day.iso_weekday: day for day in clinic.hours}
        assert set(range(1, 7)) <= set(days), clinic.key
        saturday = days[6]
        assert saturday.breaks == (), clinic.key
        for weekday in range(1, 6):
            assert days[weekday].breaks == ((time(13), time(14)),), clinic.key
            assert saturday.closes.hour - saturday.opens.hour < days[weekday].closes.hour - days[weekday].opens.hour
    # Whole hours: the original front end builds hourly slots from them (API.md); a clinic's own file need not.
    moments = [moment for clinic in demo.clinics for day in clinic.hours
               for moment in (day.opens, day.closes, *(edge for pause in day.breaks for edge in pause))]
    assert all(moment.minute == 0 for moment in moments)
    sunday_hours = [(day.opens, day.closes) for clinic in demo.clinics for day in clinic.hours if day.iso_weekday == 7]
    assert sunday_hours == [(time(10), time(14))]  # one clinic opens on Sundays, most do not


def test_demo_closure_wraps_over_new_year(demo):
    assert [closure.days(2026) for closure in demo.closures] == [(date(2026, 12, 31), date(2027, 1, 1))]


def test_demo_doctors_cover_every_specialty_and_every_clinic(demo):
    assert len(demo.specialties) == 12
    assert 14 <= len(demo.doctors) <= 16
    assert {doctor.specialty for doctor in demo.doctors} == {specialty.key for specialty in demo.specialties}
    per_clinic = Counter(doctor.clinic for doctor in demo.doctors)
    assert all(per_clinic[clinic.key] >= 4 for clinic in demo.clinics), per_clinic
    for doctor in demo.doctors:
        assert doctor.appointment_minutes in (30, 60), doctor.key
        assert 2 <= len(doctor.certificates.split("\n")) <= 3, doctor.key
        assert 3 <= len(doctor.services.split("\n")) <= 5, doctor.key
        assert 3 <= len(doctor.ratings) <= 8, doctor.key
        assert doctor.price.as_tuple().exponent == -2 and doctor.price > 0, doctor.key


def test_demo_diagnostics_are_the_twelve_tests_basic_ones_everywhere(demo):
    assert sorted(item.name for item in demo.diagnostics) == sorted([
        "MRI", "CT", "X-ray", "Ultrasound", "PET", "Blood test", "Urine test", "Biopsy", "ECG",
        "Bone density (DEXA)", "Endoscopy", "Colonoscopy",
    ])
    by_key = {item.key: item for item in demo.diagnostics}
    everywhere = {clinic.key for clinic in demo.clinics}
    for key in ("blood-test", "urine-test", "ecg", "x-ray", "ultrasound"):
        assert set(by_key[key].clinics) == everywhere, key
    big_clinics = set(by_key["mri"].clinics)
    assert big_clinics and all(set(by_key[key].clinics) == big_clinics for key in ("ct", "pet"))
    for clinic in demo.clinics:
        assert sum(clinic.key in item.clinics for item in demo.diagnostics) >= 6, clinic.key


def test_demo_photos_come_from_one_rule_one_per_entry(demo):
    doctors = [doctor.photo_url for doctor in demo.doctors]
    diagnostics = [item.photo_url for item in demo.diagnostics]
    assert doctors == [photo_url("doctors", doctor.key) for doctor in demo.doctors]
    assert diagnostics == [photo_url("diagnostics", item.key) for item in demo.diagnostics]
    assert len(set(doctors + diagnostics)) == len(doctors) + len(diagnostics)


def test_demo_clinics_price_in_their_countrys_currency_and_fall_back_to_their_language(demo):
    assert {clinic.key: (clinic.currency, clinic.default_language) for clinic in demo.clinics} == {
        "kyiv-central": ("UAH", "uk"), "lviv-center": ("UAH", "uk"), "warsaw-mokotow": ("PLN", "pl"),
        "almaty-dostyk": ("KZT", "ru"),
    }


def test_demo_diagnostics_have_a_price_in_each_offering_clinics_currency(demo):
    """A diagnostic's own price is in hryvnias: every clinic in another currency sets its own."""
    currencies = {clinic.key: clinic.currency for clinic in demo.clinics}
    at_the_shared_price = {currencies[clinic] for item in demo.diagnostics for clinic in item.clinics
                           if clinic not in item.prices}
    assert at_the_shared_price == {"UAH"}
    for item in demo.diagnostics:
        assert all(price > 0 for price in item.prices.values()), item.key


TRANSLATED_TEXTS = {
    "specialties": ("name",),
    "doctors": ("experience", "services", "bio"),
    "diagnostics": ("name", "description"),
}


@pytest.mark.parametrize("kind", sorted(TRANSLATED_TEXTS))
def test_every_demo_text_is_translated_into_every_language(demo, kind):
    for entry in getattr(demo, kind):
        for text in TRANSLATED_TEXTS[kind]:
            translations = getattr(entry, f"{text}_translations")
            missing = set(TRANSLATED) - set(translations)
            assert not missing, f"{kind}.{entry.key}.{text} has no {', '.join(sorted(missing))}"
            english = getattr(entry, text)
            if text in ("services", "experience", "bio", "description"):  # a short name may be the same word
                assert english not in translations.values(), f"{kind}.{entry.key}.{text} is English in a translation"
            if text == "services":  # one translated line per service
                assert all(len(lines.split("\n")) == len(english.split("\n")) for lines in translations.values()), \
                    f"{kind}.{entry.key}.services"


@pytest.mark.parametrize("language", TRANSLATED)
def test_demo_names_differ_within_each_language(demo, language):
    for kind in ("specialties", "diagnostics"):
        names = [entry.name_translations[language] for entry in getattr(demo, kind)]
        assert len(set(names)) == len(names), (kind, language)
