"""The catalog in the reader's language: /api/v1 and the Mini App pages, texts with their fallbacks, prices in the
clinic's currency written the reader's way, each language cached apart."""
from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import refresh

from medsync.extensions import db
from medsync.models import ClinicDiagnostic
from tests.api.conftest import local_slot

NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def catalog_languages(app, monkeypatch):
    """Accept-Language chooses uk, ru and pl as well, whether or not their gettext catalogs are in this checkout."""
    monkeypatch.setitem(app.extensions, "medsync_locales", ["en", "uk", "ru", "pl"])


def speaking(language: str) -> dict[str, str]:
    """Accept-Language for one request. The factories' app context is shared by the client's requests, and
    Flask-Babel keeps a request's locale in it: forgotten here, so that each request chooses its own."""
    refresh()
    return {"Accept-Language": language}


@pytest.fixture
def cardiologist(make_clinic, make_doctor):
    """A doctor at a Kyiv clinic that writes Ukrainian first; the specialty has no Russian name, the bio no Polish."""
    clinic = make_clinic(name="MedSync Kyiv", default_language="uk", currency="UAH")
    doctor = make_doctor(
        clinic=clinic, full_name="Andrii Shevchuk", price=Decimal("1200.00"),
        bio="Treats hypertension.", bio_translations={"uk": "Лікує гіпертонію.", "ru": "Лечит гипертонию."},
        services="Cardiology consultation\nECG interpretation",
        services_translations={"uk": "Консультація кардіолога\nРозшифрування ЕКГ", "pl": "Konsultacja kardiologiczna\nOcena EKG"},
    )
    doctor.specialty.name_translations = {"uk": "Кардіолог", "pl": "Kardiolog"}
    db.session.commit()
    return doctor


def test_a_doctor_is_shown_in_the_readers_language_with_the_price_written_their_way(client, cardiologist):
    ukrainian = client.get(f"/api/v1/doctors/{cardiologist.id}", headers=speaking("uk-UA,uk;q=0.9")).get_json()
    english = client.get(f"/api/v1/doctors/{cardiologist.id}", headers=speaking("en")).get_json()
    assert ukrainian["specialty"]["name"] == "Кардіолог" and english["specialty"]["name"] == "Cardiologist"
    assert ukrainian["bio"] == "Лікує гіпертонію." and english["bio"] == "Treats hypertension."
    assert ukrainian["services"] == ["Консультація кардіолога", "Розшифрування ЕКГ"]
    assert ukrainian["price_text"] == f"1{NBSP}200{NBSP}₴" and english["price_text"] == f"UAH{NBSP}1,200"
    assert ukrainian["price"] == english["price"] == 1200.0  # the number stays a number
    assert ukrainian["currency"] == ukrainian["clinic"]["currency"] == "UAH"
    assert ukrainian["full_name"] == english["full_name"] == "Andrii Shevchuk"  # names stay as written


def test_a_missing_text_falls_back_to_the_clinics_language_and_a_shared_name_to_english(client, cardiologist):
    polish = client.get(f"/api/v1/doctors/{cardiologist.id}", headers=speaking("pl")).get_json()
    russian = client.get(f"/api/v1/doctors/{cardiologist.id}", headers=speaking("ru")).get_json()
    assert polish["bio"] == "Лікує гіпертонію."  # no Polish bio: the Kyiv clinic's Ukrainian one
    assert polish["services"] == ["Konsultacja kardiologiczna", "Ocena EKG"]
    assert russian["specialty"]["name"] == "Cardiologist"  # a specialty belongs to no one clinic: English
    assert client.get("/api/v1/specialties", headers=speaking("ru")).get_json() == [
        {"id": cardiologist.specialty_id, "name": "Cardiologist"}
    ]


def test_each_language_has_its_own_cached_doctor_list(client, cardiologist):
    first_ukrainian = client.get("/api/v1/doctors", headers=speaking("uk"))
    english = client.get("/api/v1/doctors", headers=speaking("en"))
    polish = client.get("/api/v1/doctors", headers=speaking("pl"))
    ukrainian_again = client.get("/api/v1/doctors", headers=speaking("uk"))
    names = [response.get_json()["items"][0]["specialty"]["name"] for response in
             (first_ukrainian, english, polish, ukrainian_again)]
    assert names == ["Кардіолог", "Cardiologist", "Kardiolog", "Кардіолог"]
    assert ukrainian_again.get_data() == first_ukrainian.get_data()
    assert len({first_ukrainian.headers["ETag"], english.headers["ETag"], polish.headers["ETag"]}) == 3
    assert "Accept-Language" in english.headers["Vary"]
    revalidated = client.get("/api/v1/doctors", headers={**speaking("en"), "If-None-Match": first_ukrainian.headers["ETag"]})
    assert revalidated.status_code == 200 and revalidated.get_json()["items"][0]["specialty"]["name"] == "Cardiologist"


def test_doctors_are_found_by_a_service_in_the_readers_language_or_in_english(client, cardiologist):
    def found(query: str, language: str) -> list[int]:
        answer = client.get("/api/v1/doctors", query_string={"q": query}, headers=speaking(language)).get_json()
        return [item["id"] for item in answer["items"]]

    assert found("розшифрування", "uk") == found("ecg interpretation", "uk") == [cardiologist.id]
    assert found("кардіолог", "uk") == [cardiologist.id]
    assert found("розшифрування", "pl") == []  # Ukrainian is not the Polish reader's language, nor English


def test_a_test_costs_each_clinics_own_price_in_its_currency(client, make_clinic, make_diagnostic):
    kyiv = make_clinic(currency="UAH", default_language="uk")
    warsaw = make_clinic(currency="PLN", default_language="pl", timezone_name="Europe/Warsaw")
    mri = make_diagnostic(clinics=[kyiv, warsaw], name="MRI", price=Decimal("3200.00"),
                          name_translations={"uk": "МРТ", "pl": "Rezonans magnetyczny"})
    db.session.get(ClinicDiagnostic, (warsaw.id, mri.id)).price = Decimal("750.00")
    db.session.commit()

    polish = client.get(f"/api/v1/diagnostics/{mri.id}", headers=speaking("pl")).get_json()

    assert polish["name"] == "Rezonans magnetyczny" and polish["price"] == 3200.0
    assert polish["prices"] == [
        {"clinic_id": kyiv.id, "price": 3200.0, "currency": "UAH", "price_text": f"3{NBSP}200{NBSP}UAH"},
        {"clinic_id": warsaw.id, "price": 750.0, "currency": "PLN", "price_text": f"750{NBSP}zł"},
    ]
    listed = client.get("/api/v1/diagnostics", headers=speaking("uk")).get_json()
    assert [(item["name"], [price["price_text"] for price in item["prices"]]) for item in listed] == [
        ("МРТ", [f"3{NBSP}200{NBSP}₴", f"750{NBSP}PLN"])
    ]


def test_the_mini_app_pages_show_the_catalog_in_the_readers_language(client, cardiologist, make_diagnostic):
    make_diagnostic(clinics=[cardiologist.clinic], name="ECG", price=Decimal("300.00"),
                    name_translations={"uk": "ЕКГ"}, description="A heart tracing.",
                    description_translations={"uk": "Запис електричної активності серця."})
    doctors = client.get("/app/see_a_doctor", headers=speaking("uk")).get_data(as_text=True)
    profile = client.get(f"/app/doctors/{cardiologist.id}", headers=speaking("uk")).get_data(as_text=True)
    booking = client.get(f"/app/doctors/{cardiologist.id}/book", headers=speaking("uk")).get_data(as_text=True)
    tests = client.get("/app/get_tested", headers=speaking("uk")).get_data(as_text=True)
    english_tests = client.get("/app/get_tested", headers=speaking("en")).get_data(as_text=True)

    assert "Кардіолог" in doctors and f"1{NBSP}200{NBSP}₴" in doctors
    assert "Лікує гіпертонію." in profile and "Розшифрування ЕКГ" in profile and "Cardiologist" not in profile
    assert f"1{NBSP}200{NBSP}₴" in booking
    assert "ЕКГ" in tests and f"300{NBSP}₴" in tests
    assert "ECG" in english_tests and f"UAH{NBSP}300" in english_tests and "ЕКГ" not in english_tests


@pytest.mark.parametrize("path", ["/api/v1/specialties", "/api/v1/doctors", "/api/v1/doctors/1", "/api/v1/diagnostics",
                                  "/api/v1/diagnostics/1"])
def test_every_answer_in_the_readers_language_varies_by_it(client, cardiologist, make_diagnostic, path):
    make_diagnostic(clinics=[cardiologist.clinic])
    response = client.get(path, headers=speaking("uk"))
    assert response.status_code == 200 and "Accept-Language" in response.headers["Vary"]


def test_a_booked_test_is_named_in_the_patients_language_in_every_answer_that_shows_it(
    client, make_clinic, make_diagnostic, tma_headers, staff_headers, results_dir, frozen_now
):
    clinic = make_clinic()
    mri = make_diagnostic(clinics=[clinic], name="MRI", name_translations={"uk": "МРТ"})
    starts_at = local_slot(clinic, days_ahead=2)
    body = {"diagnostic_id": mri.id, "clinic_id": clinic.id, "starts_at": starts_at.isoformat(),
            "patient": {"first_name": "Taras", "last_name": "Shevchenko", "phone": "+380501234567"}}
    ukrainian = tma_headers(language_code="uk")

    refresh()
    booked = client.post("/api/v1/bookings", headers=ukrainian, json=body).get_json()
    refresh()
    shown = client.get(f"/api/v1/bookings/{booked['id']}", headers=ukrainian).get_json()
    refresh()
    mine = client.get("/api/v1/me/bookings", headers=ukrainian).get_json()["items"]
    refresh()
    day = client.get(f"/api/v1/staff/bookings?date={starts_at.date()}",
                     headers={**staff_headers, **speaking("uk")}).get_json()["items"]
    refresh()
    cancelled = client.post(f"/api/v1/bookings/{booked['id']}/cancel", headers=ukrainian, json={}).get_json()

    for answer in (booked, shown, *mine, cancelled):
        assert (answer["service_name"], answer["diagnostic"]["name"]) == ("МРТ", "МРТ")
    assert [line["service_name"] for line in day] == ["МРТ"]
    refresh()
    english = client.get(f"/api/v1/bookings/{booked['id']}", headers=tma_headers(language_code="en")).get_json()
    assert (english["service_name"], english["diagnostic"]["name"]) == ("MRI", "MRI")


def test_a_tests_result_is_titled_in_the_patients_language(
    client, make_clinic, make_diagnostic, make_visit, tma_headers, upload, results_dir
):
    clinic = make_clinic()
    mri = make_diagnostic(clinics=[clinic], name="MRI", name_translations={"uk": "МРТ"})
    visit = make_visit(diagnostic_id=mri.id, clinic_id=clinic.id, user=None)
    assert upload(visit.id).status_code == 201

    refresh()
    ukrainian = client.get("/api/v1/me/results", headers=tma_headers(visit.user_id, language_code="uk")).get_json()
    refresh()
    english = client.get("/api/v1/me/results", headers=tma_headers(visit.user_id, language_code="en")).get_json()

    assert [item["title"] for item in ukrainian["items"]] == ["МРТ"]
    assert [item["title"] for item in english["items"]] == ["MRI"]
