"""The Mini App's server side: pages render from the catalog, are cacheable, secure, and every picture answers 200."""
from __future__ import annotations

import gzip
import json
import re

import brotli
import pytest
from flask_babel import refresh
from sqlalchemy import select

from medsync.extensions import db
from medsync.models import DiagnosticType, Doctor
from medsync.services import catalog
from tests.api.conftest import first_doctor


def test_the_root_leads_to_the_mini_app(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/app/")
    assert client.get("/app").status_code == 200


def test_home_offers_the_four_ways_in(client, seeded):
    page = client.get("/app/").get_data(as_text=True)
    for link in ("/app/see_a_doctor", "/app/get_tested", "/app/bookings", "/app/results"):
        assert f'href="{link}"' in page
    assert '<script defer src="https://telegram.org/js/telegram-web-app.js"></script>' in page


@pytest.mark.parametrize("path", ["/app/", "/app/see_a_doctor", "/app/doctors/1", "/app/get_tested",
                                  "/app/diagnostics/1", "/app/bookings", "/app/results"])
def test_catalog_pages_are_cacheable_with_an_etag_and_carry_a_content_security_policy(client, seeded, path):
    first = client.get(path)
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert first.status_code == 200 and "public" in first.headers["Cache-Control"]
    assert "Accept-Language" in first.headers["Vary"]  # a shared cache keeps one copy per language
    assert again.status_code == 304
    assert "script-src 'self' https://telegram.org" in first.headers["Content-Security-Policy"]


def test_the_doctors_page_filters_by_specialty_clinic_and_name(client, seeded):
    doctor = first_doctor()
    by_specialty = client.get(f"/app/see_a_doctor?specialty_id={doctor.specialty_id}").get_data(as_text=True)
    by_name = client.get(f"/app/see_a_doctor?q={doctor.full_name.split()[-1]}").get_data(as_text=True)
    by_clinic = client.get(f"/app/see_a_doctor?clinic_id={doctor.clinic_id}").get_data(as_text=True)
    nobody = client.get("/app/see_a_doctor?q=zzzz").get_data(as_text=True)
    others = db.session.scalars(select(Doctor).where(Doctor.specialty_id != doctor.specialty_id)).all()
    assert doctor.full_name in by_specialty and not any(other.full_name in by_specialty for other in others)
    assert by_name.count('class="card"') == 1 and doctor.full_name in by_name
    assert doctor.full_name in by_clinic
    assert "No doctor matches" in nobody
    assert client.get("/app/see_a_doctor?specialty_id=abc").status_code == 422


def test_the_doctors_form_left_at_all_clinics_and_no_name_lists_everyone(client, seeded):
    doctor = first_doctor()
    everyone = client.get("/app/see_a_doctor").get_data(as_text=True)

    as_submitted = client.get("/app/see_a_doctor?q=&clinic_id=")
    one_specialty = client.get(f"/app/see_a_doctor?specialty_id={doctor.specialty_id}&q=&clinic_id=")

    assert as_submitted.status_code == 200
    assert as_submitted.get_data(as_text=True).count('class="card"') == everyone.count('class="card"') > 1
    assert one_specialty.status_code == 200 and doctor.full_name in one_specialty.get_data(as_text=True)
    chip_links = re.findall(r'<a class="chip" href="([^"]+)"', one_specialty.get_data(as_text=True))
    assert chip_links and not [link for link in chip_links if re.search(r"=(&|$)", link)]  # no empty filters


def test_a_doctor_profile_shows_what_a_patient_decides_by(client, seeded):
    doctor = first_doctor()
    page = client.get(f"/app/doctors/{doctor.id}").get_data(as_text=True)
    assert doctor.full_name in page and doctor.clinic.address in page and doctor.experience in page
    assert doctor.services.splitlines()[0] in page
    assert f'href="/app/doctors/{doctor.id}/book"' in page
    missing = client.get("/app/doctors/9999")
    assert missing.status_code == 404 and "Doctor not found." in missing.get_data(as_text=True)


def test_a_test_page_lists_the_clinics_offering_it(client, seeded):
    diagnostic = db.session.scalars(select(DiagnosticType).order_by(DiagnosticType.id)).first()
    page = client.get(f"/app/diagnostics/{diagnostic.id}").get_data(as_text=True)
    for clinic in diagnostic.clinics:
        assert f'href="/app/diagnostics/{diagnostic.id}/clinics/{clinic.id}/book"' in page
    offered = diagnostic.clinics[0].id
    assert client.get(f"/app/diagnostics/{diagnostic.id}/clinics/{offered}/book").status_code == 200
    assert client.get(f"/app/diagnostics/{diagnostic.id}/clinics/9999/book").status_code == 404


@pytest.mark.parametrize("path", ["/app/see_a_doctor", "/app/get_tested", "/app/reschedule/1", "/app/bookings",
                                  "/app/results"])
def test_every_page_the_bot_links_to_exists(client, seeded, path):
    assert client.get(path).status_code == 200


def test_every_picture_in_both_apis_and_on_the_pages_answers_200(client, seeded, make_doctor, make_diagnostic):
    make_doctor(photo_url=None, full_name="Nadiia Without Photo")
    make_diagnostic(photo_url=None)
    urls = [item["photo_url"] for item in client.get("/api/doctors/").get_json()]
    urls += [item["photo_url"] for item in client.get("/api/diagnostics/").get_json()]
    urls += [item["photo_url"] for item in client.get("/api/v1/doctors?per_page=100").get_json()["items"]]
    urls += [item["photo_url"] for item in client.get("/api/v1/diagnostics").get_json()]
    assert len(urls) == 2 * (len(db.session.scalars(select(Doctor)).all())
                             + len(db.session.scalars(select(DiagnosticType)).all()))
    assert all(url.startswith("https://api.medsync.test/app/photos/") for url in urls)  # absolute, on PUBLIC_URL
    for url in set(urls):
        picture = client.get(url.removeprefix("https://api.medsync.test"))
        assert picture.status_code == 200 and picture.mimetype == "image/svg+xml", url
    page = client.get("/app/see_a_doctor").get_data(as_text=True)
    for src in re.findall(r'<img class="photo" src="([^"]+)"', page):
        assert src.startswith("/app/photos/") and client.get(src).status_code == 200


def test_without_public_url_photo_urls_follow_the_requests_host(app, seeded):
    from medsync import create_app

    other = create_app({**app.config["SETTINGS"].__dict__, "PUBLIC_URL": ""})
    with other.test_client() as client:
        doctors = client.get("/api/doctors/", base_url="http://clinic.example:8000").get_json()
        hosts = [f"http://h{number}.example" for number in range(50)]
        for host in hosts:  # any Host header a client sends: the cached list is not kept once per host
            assert client.get("/api/diagnostics/", base_url=host).get_json()[0]["photo_url"].startswith(host + "/app/")
        with other.app_context():
            rendered = [name for name in catalog.current_catalog()._rendered if name.startswith("compat:")]
    assert doctors[0]["photo_url"].startswith("http://clinic.example:8000/app/photos/doctors/")
    assert sorted(rendered) == ["compat:diagnostics", "compat:doctors"]


def test_an_avatar_is_drawn_only_for_the_catalogs_doctors_and_tests(client, seeded):
    assert client.get("/app/photos/doctors/olena-kovalenko.svg").status_code == 200
    assert client.get("/app/photos/diagnostics/mri.svg").status_code == 200
    assert client.get("/app/photos/doctors/nobody-here.svg").status_code == 404
    assert client.get("/app/photos/doctors/mri.svg").status_code == 404  # a test's slug is not a doctor's
    assert client.get("/app/photos/doctors/..%2Fsecret.svg").status_code == 404
    assert client.get("/app/photos/patients/olena.svg").status_code == 404


def avatar_text(client, url: str) -> str:
    picture = client.get(url.removeprefix("https://api.medsync.test"))
    assert picture.status_code == 200 and picture.mimetype == "image/svg+xml", url
    return re.search(r"<text [^>]*>([^<]*)</text>", picture.get_data(as_text=True)).group(1)


@pytest.mark.parametrize("full_name, slug, shown", [
    ("Olena Kovalenko", "olena-kovalenko", "OK"),
    ("Ірина Бондаренко", "ірина-бондаренко", "ІБ"),  # a slug in Cyrillic: its URL is percent-encoded
    ("Dr. Olena Test", "doctor-17", "OT"),  # initials of the name, not of the slug ("D1")
    ("Anna-Maria Nowak-Wójcik", "Anna_Maria", "AN"),  # capitals and _ in the slug; first and last name
    ("Piotr Wiśniewski", "piotr-wisniewski", "PW"),
    ("Madonna", "madonna", "M"),
])
def test_a_doctor_without_a_photo_gets_the_initials_of_their_name(client, make_doctor, full_name, slug, shown):
    doctor = make_doctor(full_name=full_name, slug=slug, photo_url=None)
    (listed,) = client.get(f"/api/v1/doctors?clinic_id={doctor.clinic_id}").get_json()["items"]
    page = client.get(f"/app/doctors/{doctor.id}").get_data(as_text=True)
    (on_the_page,) = re.findall(r'<img class="photo" src="([^"]+)"', page)
    assert avatar_text(client, listed["photo_url"]) == avatar_text(client, on_the_page) == shown


@pytest.mark.parametrize("name, shown", [("MRI", "MRI"), ("X-ray", "XR"), ("Blood test", "BT"),
                                         ("Ultrasound", "U"), ("DEXA", "DEXA")])
def test_a_test_without_a_photo_gets_its_short_name_or_initials(client, make_diagnostic, name, shown):
    diagnostic = make_diagnostic(name=name, photo_url=None)
    listed = client.get(f"/api/v1/diagnostics/{diagnostic.id}").get_json()
    assert avatar_text(client, listed["photo_url"]) == shown


def test_a_stored_photo_carries_the_avatar_to_show_if_it_does_not_load(client, make_doctor):
    doctor = make_doctor(full_name="Olena Kovalenko", photo_url="https://photos.example/olena.jpg")
    page = client.get(f"/app/doctors/{doctor.id}").get_data(as_text=True)
    (image,) = re.findall(r'<img class="photo"[^>]*>', page)
    assert 'src="https://photos.example/olena.jpg"' in image
    (avatar,) = re.findall(r'data-avatar="([^"]+)"', image)
    assert avatar_text(client, avatar) == "OK"


def first_page_assets(client) -> list[str]:
    """The versioned CSS and JS the Mini App's first page loads."""
    page = client.get("/app/").get_data(as_text=True)
    return re.findall(r'(?:href|src)="(/app/static/[^"]+\?v=[0-9a-f]{12})"', page)


def test_static_files_are_versioned_and_kept_for_a_year(client, seeded):
    assets = first_page_assets(client)
    assert {asset.split("?")[0] for asset in assets} == {"/app/static/css/app.css", "/app/static/js/app.js"}
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"  # no "no-cache" in it
    unversioned = client.get("/app/static/css/app.css")
    assert "no-cache" in unversioned.headers["Cache-Control"]  # a URL that does not change is revalidated


def decoded(response) -> bytes:
    """The body as sent, decoded as its Content-Encoding says."""
    encoding = response.headers.get("Content-Encoding")
    return {"gzip": gzip.decompress, "br": brotli.decompress, None: bytes}[encoding](response.data)


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_pages_styles_and_scripts_travel_compressed_when_asked(client, seeded, encoding):
    for path in ["/app/", "/app/see_a_doctor", "/app/doctors/1/book", *first_page_assets(client)]:
        plain = client.get(path)
        packed = client.get(path, headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
        assert plain.headers.get("Content-Encoding") is None and "Accept-Encoding" in plain.headers["Vary"], path
        assert packed.headers["Content-Encoding"] == encoding, path
        assert "Accept-Encoding" in packed.headers["Vary"], path  # a shared cache keeps one copy per encoding
        assert decoded(packed) == plain.data and len(packed.data) < len(plain.data) / 2, path


def test_a_compressed_page_and_asset_revalidate_by_their_own_etag(client, seeded):
    for path in ["/app/see_a_doctor", *first_page_assets(client)]:
        first = client.get(path, headers={"Accept-Encoding": "br"})
        again = client.get(path, headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]})
        plain = client.get(path)
        assert first.headers["ETag"] != plain.headers["ETag"], path  # one validator per representation
        assert again.status_code == 304 and "Accept-Encoding" in again.headers["Vary"], path


def test_the_apis_json_is_not_compressed(client, seeded):
    for path in ["/api/v1/doctors?per_page=100", "/api/doctors/", "/api/v1/doctors/1/slots"]:
        response = client.get(path, headers={"Accept-Encoding": "gzip, br"})
        assert response.status_code == 200 and response.headers.get("Content-Encoding") is None, path
        assert "Accept-Encoding" not in response.headers.get("Vary", ""), path


def test_the_first_page_with_its_styles_and_scripts_stays_small(client, seeded):
    page = client.get("/app/")
    total = len(page.data) + sum(len(client.get(asset).data) for asset in first_page_assets(client))
    packed = client.get("/app/", headers={"Accept-Encoding": "br"})
    on_the_wire = len(packed.data) + sum(
        len(client.get(asset, headers={"Accept-Encoding": "br"}).data) for asset in first_page_assets(client))
    assert total <= 60 * 1024, total
    assert on_the_wire <= 10 * 1024, on_the_wire  # about 8 KB with brotli, 9 KB with gzip


def test_the_page_scripts_get_their_texts_from_the_catalog(client, seeded):
    page = client.get("/app/bookings").get_data(as_text=True)
    texts = re.search(r'<script type="application/json" id="texts">(.*?)</script>', page, re.S).group(1)
    assert '"cancel_confirm": "Cancel your visit on {when}?"' in texts


def test_the_page_scripts_get_the_clinics_cities_in_the_pages_language(client, make_clinic):
    make_clinic(timezone_name="Europe/Kyiv")
    make_clinic(timezone_name="Europe/Warsaw")
    refresh()  # the factories' app context is the request's too: Flask-Babel would keep a locale chosen before

    page = client.get("/app/bookings", headers={"Accept-Language": "uk"}).get_data(as_text=True)

    cities = re.search(r'<script type="application/json" id="cities">(.*?)</script>', page, re.S).group(1)
    assert json.loads(cities) == {"Europe/Kyiv": "Київ", "Europe/Warsaw": "Варшава"}
