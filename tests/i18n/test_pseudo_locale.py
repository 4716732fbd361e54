"""No text reaches a reader without going through gettext: in a pseudo-translated Ukrainian (every catalog text
arrives as `⟦uk·…⟧`, tests/i18n/conftest.py), every bot reply and button, every notification kind, every Mini App
page and every kind of API error is rendered, and nothing may be left in English outside the brackets.

Everything the tests make is named in Ukrainian (clinic, doctor, test, patient, staff), so whatever Latin word is
left is a text that missed the catalog. Dates, times and money come from Babel in Ukrainian; numbers and emoji are
no words; a URL, a /command and the names below stay as they are written.
"""
from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from medsync import clock
from medsync.bot import texts
from medsync.bot.notifications import render
from medsync.bot.staff import chat_commands
from medsync.bot.staff import texts as staff_texts
from medsync.extensions import db
from medsync.i18n import LANGUAGES, in_language
from medsync.models import (
    Actor, Booking, BookingStatus, MessageKind, OutboxMessage, StaffMember, StaffRole, User,
)
from medsync.services import bookings, delivery, results, staff_accounts, staff_groups, staff_results
from medsync.services.bookings import PatientDetails
from medsync.services.reminder_runs import FailedReminder, Progress
from tests.bot.conftest import callback_update, message_update, web_app_data_update
from tests.bot.staff.conftest import card_message, document_update, group_update, uploaded_file
from tests.conftest import PDF
from tests.i18n.conftest import unwrapped

# Written as they are, in any language: the brand, the languages' own names, what Telegram's buttons carry.
NAMES = ("MedSync", *LANGUAGES.values())
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_NOT_WORDS = re.compile(r"https?://\S+|(?<![\w/])/[a-z_]+|\S+@\S+|\+?\d[\d ()-]{4,}\d")
PATIENT = PatientDetails(first_name="Тарас", last_name="Шевченко", phone="+380501234567", email="taras@poshta.ua")
UKRAINIAN_PROFILE = {"first_name": "Тарас", "last_name": "Шевченко", "username": "taras", "language_code": "uk"}


def english_left(text: str) -> list[str]:
    """The Latin words of a text outside its pseudo translations, tags, URLs, /commands and names."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", unwrapped(text)))
    for name in NAMES:
        text = text.replace(name, " ")
    return _LATIN_WORD.findall(_NOT_WORDS.sub(" ", text))


def assert_all_translated(texts_read: Iterable[str]) -> None:
    leaks = {text: words for text in texts_read if (words := english_left(text))}
    assert leaks == {}, "texts not through gettext:\n" + "\n".join(f"{words}: {text!r}" for text, words in leaks.items())


def texts_sent(telegram_api) -> list[str]:
    """Every text the bot put in front of someone: messages, captions, answers, buttons, placeholders, commands."""
    found = []
    for call in telegram_api.calls():
        params = call.params
        found += [params[name] for name in ("text", "caption") if params.get(name)]
        markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else {}
        found += [button["text"] for row in markup.get("inline_keyboard", []) for button in row]
        found += [markup["input_field_placeholder"]] if markup.get("input_field_placeholder") else []
        found += [command["description"] for command in json.loads(params.get("commands") or "[]")]
    return found


def in_ukrainian(update: dict[str, Any]) -> dict[str, Any]:
    """The update as a Ukrainian-speaking Telegram user sends it."""
    event = update.get("message") or update.get("callback_query")
    event["from"].update(UKRAINIAN_PROFILE)
    return update


@pytest.fixture
def ukrainian_clinic(make_clinic, make_doctor, make_diagnostic, make_user, frozen_now):
    """A clinic, a doctor, a test and a patient, all named in Ukrainian; the clock on a Tuesday morning in Kyiv."""
    clinic = make_clinic(name="Клініка на Подолі", address="вул. Хорива, 1, Київ")
    doctor = make_doctor(clinic=clinic, full_name="Олена Коваль", specialty_name="Кардіолог", experience="10 років",
                         certificates="Сертифікат кардіолога", services="Консультація\nЕКГ")
    diagnostic = make_diagnostic(clinics=[clinic], name="МРТ", description="Магнітно-резонансна томографія")
    patient = make_user(first_name="Тарас", last_name="Шевченко", language_code="uk")
    return {"clinic": clinic, "doctor": doctor, "diagnostic": diagnostic, "patient": patient}


def book(patient: User, doctor, day_offset: int, hour: int) -> Booking:
    local_day = clock.now().astimezone(doctor.clinic.zone).date() + timedelta(days=day_offset)
    booking = bookings.book(user_id=patient.telegram_id, clinic_id=doctor.clinic_id, doctor_id=doctor.id,
                            starts_at=datetime.combine(local_day, time(hour), doctor.clinic.zone), patient=PATIENT)
    db.session.commit()
    return booking


def test_every_bot_reply_and_button_a_patient_meets_is_translated(
    pseudo_post, telegram_api, ukrainian_clinic, frozen_now, app_context
):
    patient, doctor = ukrainian_clinic["patient"], ukrainian_clinic["doctor"]
    chat = patient.telegram_id
    for command in ("/start", "/help", "/language", "/bookings", "/results"):  # before anything is booked
        pseudo_post(in_ukrainian(message_update(chat, command)))
    booked = [book(patient, doctor, day, hour) for day in (1, 2) for hour in (10, 11, 12)]
    soon = book(patient, doctor, 0, 9)  # within the cancellation cutoff
    first = booked[0]
    visit = book(patient, doctor, 3, 14)
    bookings.change_status(visit.id, BookingStatus.ARRIVED, actor=Actor.STAFF, actor_id="staff:desk",
                           now=visit.starts_at)
    results.store_result(visit.id, content=PDF, file_name="висновок.pdf")
    db.session.commit()

    presses = [
        "mb", "mr", "bl:upcoming:2", "bl:past:1", f"bd:{first.id}:upcoming:1", f"bc:{first.id}:upcoming:1",
        f"by:{first.id}:upcoming:1", f"by:{first.id}:upcoming:1", f"bi:{booked[1].id}", f"bc:{soon.id}:upcoming:1",
        f"rc:{booked[2].id}", f"rc:{first.id}", f"rx:{booked[3].id}", "rd:1", "rl:1", "pg", "zz:1", "bd:999:upcoming:1",
        "lg:uk",
    ]
    for data in presses:
        pseudo_post(in_ukrainian(callback_update(chat, data)))
    pseudo_post(in_ukrainian(web_app_data_update(chat, {"action": "booking_confirmed", "booking_id": booked[4].id})))
    pseudo_post(in_ukrainian(web_app_data_update(chat, {"action": "booking_confirmed", "booking_id": 999})))
    unreachable = in_ukrainian(callback_update(chat, "mb"))
    unreachable["callback_query"]["message"] = {"message_id": 1, "chat": {"id": chat, "type": "private"}, "date": 0}
    pseudo_post(unreachable)

    sent = texts_sent(telegram_api)
    assert len(sent) > 60 and {"answerCallbackQuery", "editMessageText", "sendDocument"} <= {
        call.method for call in telegram_api.calls()}
    assert_all_translated(sent)


def test_every_bot_reply_and_button_staff_meet_is_translated(
    pseudo_app, pseudo_post, telegram_api, ukrainian_clinic, make_user, frozen_now, app_context
):
    clinic, doctor, patient = ukrainian_clinic["clinic"], ukrainian_clinic["doctor"], ukrainian_clinic["patient"]
    other = make_user(first_name="Ольга", last_name="Кобилянська", language_code="uk")
    desk_user = make_user(first_name="Ірина", last_name="Реєстратура", language_code="uk")
    second_clinic = staff_accounts.invite(role=StaffRole.RECEPTION, clinic_ids=[clinic.id], name="Ірина")
    db.session.commit()
    staff = {"first_name": "Ірина", "last_name": "Реєстратура", "language_code": "uk"}
    pdf = uploaded_file(telegram_api, PDF, "висновок.pdf")  # (each upload starts the fake's record afresh)
    text_file = uploaded_file(telegram_api, b"not a pdf", "висновок.txt")

    def post(update: dict[str, Any]) -> None:
        event = update.get("message") or update.get("callback_query")
        event["from"].update(staff)
        pseudo_post(update)

    desk = desk_user.telegram_id
    post(message_update(desk, "/today"))  # not staff yet: the patient's menu
    post(message_update(desk, f"/start staff-{second_clinic[1]}"))
    post(message_update(desk, "/start staff-" + "x" * 20))
    admin_member, admin_code = staff_accounts.invite(role=StaffRole.ADMIN, clinic_ids=[clinic.id], name="Адмін")
    db.session.commit()
    post(message_update(desk, f"/start staff-{admin_code}"))  # already staff
    today = clock.now().astimezone(clinic.zone).date()
    visits = [book(patient, doctor, 0, hour) for hour in (10, 11, 12)]
    book(other, doctor, 1, 10)
    frozen_now(visits[0].starts_at + timedelta(minutes=30))
    for command in ("/today", "/agenda tomorrow", "/agenda someday", "/staff", "/remind someday", "/remind"):
        post(message_update(desk, command))
    day = today.strftime("%Y%m%d")
    for data in (f"sa:{clinic.id}:{day}:1", f"sv:{visits[0].id}:1", f"sf:{visits[0].id}:1",
                 f"sm:{visits[0].id}:arrived:1", f"sm:{visits[0].id}:noshow:1", f"sm:{visits[2].id}:noshow:1",
                 f"sc:{visits[1].id}:1", f"sr:{visits[1].id}:patient:1", f"sm:{visits[1].id}:arrived:1",
                 f"sc:{visits[2].id}:1", f"so:{visits[2].id}"):
        post(callback_update(desk, data))
    prompt = telegram_api.last("sendMessage")
    post(message_update(desk, "Пацієнт захворів", reply_to_message=card_message(prompt, desk)))

    card = card_message(telegram_api.last("sendMessage"), desk)
    post(message_update(desk, "/today"))
    post(callback_update(desk, f"sv:{visits[0].id}:1"))
    card = card_message(telegram_api.last("editMessageText"), desk)
    member = db.session.scalar(select(StaffMember).where(StaffMember.telegram_id == desk))
    for update in (document_update(member, text_file, reply_to=card), document_update(member, pdf, reply_to=card),
                   document_update(member, pdf, reply_to=card), document_update(member, pdf),
                   document_update(member, pdf, caption="999999"), document_update(member, pdf, caption=str(visits[0].id))):
        post(update)
    question = telegram_api.last("sendMessage")
    send, dont = (button["callback_data"] for button in json.loads(question.params["reply_markup"])["inline_keyboard"][0])
    post(callback_update(desk, send))
    post(callback_update(desk, dont))
    for update in (group_update(desk, "/setgroup"), group_update(desk, "/unsetgroup")):
        update["message"]["from"].update(staff)
        pseudo_post(update)

    doctor_member, doctor_code = staff_accounts.invite(role=StaffRole.DOCTOR, doctor_id=doctor.id, name="Олена")
    db.session.commit()
    doctor_user = make_user(first_name="Олена", last_name="Коваль", language_code="uk")
    post(message_update(doctor_user.telegram_id, f"/start staff-{doctor_code}"))
    post(message_update(doctor_user.telegram_id, "/remind"))
    post(group_update(doctor_user.telegram_id, "/setgroup"))

    with pseudo_app.app_context(), in_language("uk"):
        commands = chat_commands.commands_for(db.session.get(StaffMember, member.id))
        progress = Progress(total=4, sent=1, skipped=1, failed=[FailedReminder("Ольга Кобилянська", "403: blocked")])
        shown = [staff_texts.remind_progress([today], progress, finished=finished) for finished in (False, True)]
        shown.append(staff_texts.result_too_large(20 * 1_048_576))
        shown.append(str(staff_texts.ACCESS_ENDED))
    assert_all_translated([*texts_sent(telegram_api), *(str(command.description) for command in commands), *shown])


def test_every_notification_kind_is_translated(pseudo_app, ukrainian_clinic, make_staff, make_user, frozen_now):
    clinic, doctor, patient = ukrainian_clinic["clinic"], ukrainian_clinic["doctor"], ukrainian_clinic["patient"]
    diagnostic = ukrainian_clinic["diagnostic"]
    admin = make_staff("admin", clinics=[clinic], user=make_user(first_name="Адмін", language_code="uk"),
                       name="Адмін")
    staff_groups.set_group(admin, -100_500)
    booked = book(patient, doctor, 1, 10)
    confirmation = db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.booking_id == booked.id, OutboxMessage.kind == MessageKind.CONFIRMATION.value))
    claim, _ = delivery.claim(confirmation)
    delivery.mark_failed(claim, "403: Forbidden: bot was blocked by the user")  # the group hears of it
    db.session.commit()
    moved_from = book(patient, doctor, 1, 11)
    bookings.reschedule(moved_from.id, user_id=patient.telegram_id,
                        starts_at=moved_from.starts_at + timedelta(days=1))
    bookings.cancel(book(patient, doctor, 2, 10).id, user_id=patient.telegram_id)
    by_clinic = book(patient, doctor, 2, 12)
    bookings.change_status(by_clinic.id, BookingStatus.CANCELLED, actor=Actor.STAFF, actor_id=admin.actor_id,
                           reason=staff_texts.CANCEL_REASONS["doctor"])
    tested = bookings.book(user_id=patient.telegram_id, clinic_id=clinic.id, diagnostic_id=diagnostic.id,
                           starts_at=datetime.combine(clock.now().astimezone(clinic.zone).date(), time(9),
                                                      clinic.zone) + timedelta(days=3), patient=PATIENT)
    for visit in (booked, tested):
        bookings.change_status(visit.id, BookingStatus.ARRIVED, actor=Actor.STAFF, actor_id=admin.actor_id,
                               now=visit.starts_at)
        result = results.store_result(visit.id, content=PDF + str(visit.id).encode(), file_name="висновок.pdf",
                                      uploaded_by=admin.actor_id, now=visit.starts_at)
        staff_results.tell_uploader_delivered(result.id)
    db.session.commit()
    staff_groups.queue_digests(lambda _chat_id, events: staff_texts.digest(events))
    db.session.commit()

    rendered = []
    with pseudo_app.app_context(), in_language("uk"):
        messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind != MessageKind.REPLY.value))
        for message in messages:
            notification = render(message, now=clock.now())
            keyboard = notification.reply_markup.keyboard if notification.reply_markup is not None else []
            rendered.append((message.kind, [notification.text, *(button.text for row in keyboard for button in row)]))
    kinds = {kind for kind, _ in rendered}
    assert kinds == {kind.value for kind in MessageKind} - {MessageKind.REPLY.value}, kinds
    assert_all_translated(text for _, found in rendered for text in found)


def mini_app_texts(page: str) -> list[str]:
    """What a page shows or says aloud: its text outside scripts, labels and placeholders, and its scripts' texts."""
    script_texts = json.loads(re.search(r'<script type="application/json" id="texts">(.*?)</script>', page,
                                        re.DOTALL)[1])
    visible = re.sub(r"<script.*?</script>|<style.*?</style>", " ", page, flags=re.DOTALL)
    attributes = re.findall(r'(?:aria-label|placeholder|title|alt)="([^"]*)"', visible)
    return [visible, *attributes, *script_texts.values()]


def test_every_mini_app_page_is_translated(pseudo_client, ukrainian_clinic, app_context):
    clinic, doctor, diagnostic = ukrainian_clinic["clinic"], ukrainian_clinic["doctor"], ukrainian_clinic["diagnostic"]
    booking = book(ukrainian_clinic["patient"], doctor, 1, 10)
    paths = [
        "/app/", "/app/see_a_doctor", f"/app/see_a_doctor?clinic_id={clinic.id}&q=Олена", "/app/see_a_doctor?q=нікого",
        f"/app/doctors/{doctor.id}", "/app/get_tested", f"/app/diagnostics/{diagnostic.id}",
        f"/app/doctors/{doctor.id}/book", f"/app/diagnostics/{diagnostic.id}/clinics/{clinic.id}/book",
        f"/app/reschedule/{booking.id}", "/app/bookings", "/app/results",
    ]
    refused = ["/app/see_a_doctor?clinic_id=x", "/app/doctors/999", f"/app/diagnostics/{diagnostic.id}/clinics/999/book"]

    pages = [pseudo_client.get(path, headers={"Accept-Language": "uk"}) for path in [*paths, *refused]]

    assert [page.status_code for page in pages] == [200] * len(paths) + [422, 404, 404]
    assert all('<html lang="uk">' in page.text for page in pages)
    assert_all_translated(text for page in pages for text in mini_app_texts(page.text))


def test_every_kind_of_api_error_is_translated(
    pseudo_app, pseudo_client, ukrainian_clinic, init_data, tma_headers, staff_headers, monkeypatch, frozen_now
):
    doctor, clinic = ukrainian_clinic["doctor"], ukrainian_clinic["clinic"]
    patient = ukrainian_clinic["patient"]
    mine = tma_headers(patient.telegram_id, language_code="uk")
    taken = book(patient, doctor, 1, 10)
    soon = book(patient, doctor, 0, 9)  # within the cancellation cutoff
    slot = taken.starts_at.isoformat()
    good = {"doctor_id": doctor.id, "clinic_id": clinic.id, "starts_at": slot,
            "patient": {"first_name": "Тарас", "last_name": "Шевченко", "phone": "+380501234567"}}
    uk = {"Accept-Language": "uk"}
    compat_body = {"doctor_id": doctor.id, "location_id": clinic.id, "booking_date_time": slot,
                   "user_name": "", "user_surname": "Ш" * 200, "user_phone": "abc", "user_email": "not-an-email",
                   "userInitData": init_data(patient.telegram_id, language_code="uk")}
    requests_made = [
        ("get", "/api/v1/nowhere", {"headers": uk}),
        ("delete", "/api/v1/doctors", {"headers": uk}),
        ("get", "/api/v1/doctors/2147483000", {"headers": uk}),
        ("get", "/api/v1/doctors?per_page=1000&specialty_id=x", {"headers": uk}),
        ("get", f"/api/v1/doctors/{doctor.id}/slots?from=2026-12-09&to=2026-12-01", {"headers": uk}),
        ("get", f"/api/v1/doctors/{doctor.id}/slots?from=2026-12-01&to=2027-03-01", {"headers": uk}),
        ("get", "/api/v1/me/bookings?when=soon", {"headers": mine}),
        ("get", "/api/v1/me/bookings", {"headers": {"Authorization": "tma hash=00", **uk}}),
        ("get", "/api/v1/me/bookings", {"headers": uk}),
        ("post", "/api/v1/bookings", {"headers": mine, "data": "{", "content_type": "application/json"}),
        ("post", "/api/v1/bookings", {"headers": mine, "data": "x", "content_type": "text/plain"}),
        ("post", "/api/v1/bookings", {"headers": mine, "json": []}),
        ("post", "/api/v1/bookings", {"headers": mine, "json": {"filler": "я" * 70_000}}),
        ("post", "/api/v1/bookings", {"headers": mine, "json": {}}),
        ("post", "/api/v1/bookings", {"headers": mine, "json": {
            "doctor_id": True, "clinic_id": 0, "starts_at": "2026-12-02T10:00", "surplus": 1,
            "patient": {"first_name": " ", "last_name": None, "phone": "+38(050)123-45-67x", "email": "a@", "message": 5}}}),
        ("post", "/api/v1/bookings", {"headers": mine, "json": {**good, "diagnostic_id": 1}}),
        ("post", "/api/v1/bookings", {"headers": mine, "json": good}),
        ("post", "/api/v1/bookings", {"headers": tma_headers(patient.telegram_id + 1, language_code="uk"),
                                      "json": good}),
        ("post", "/api/v1/bookings", {"headers": mine, "json": {**good, "starts_at": "2026-12-02T10:20:00+02:00"}}),
        ("post", "/api/v1/bookings", {"headers": mine, "json": {**good, "starts_at": "2026-11-30T10:00:00+02:00"}}),
        ("post", "/api/v1/bookings", {"headers": mine, "json": {**good, "starts_at": "2027-12-01T10:00:00+02:00"}}),
        ("post", "/api/v1/bookings", {"headers": mine, "json": {**good, "clinic_id": 2147483000}}),
        ("post", f"/api/v1/bookings/{soon.id}/cancel", {"headers": mine, "json": {}}),
        ("post", f"/api/v1/bookings/{soon.id}/reschedule", {"headers": mine, "json": {"starts_at": slot}}),
        ("get", "/api/v1/results/2147483000/file", {"headers": mine}),
        ("put", "/api/v1/me/language", {"headers": mine, "json": {"language": "de"}}),
        ("post", "/api/doctors/book_slot", {"headers": uk, "json": compat_body}),
        ("post", "/api/doctors/book_slot", {"headers": uk, "json": {"userInitData": "hash=00"}}),
        ("get", f"/api/slots/doctors/{doctor.id}/{clinic.id}/12", {"headers": uk}),
        ("get", "/api/diagnostics/2147483000/locations", {"headers": uk}),
        ("get", "/api/v1/staff/bookings", {"headers": uk}),
        ("post", f"/api/v1/staff/bookings/{taken.id}/status", {"headers": {**staff_headers, **uk},
                                                               "json": {"status": "lost"}}),
        ("post", f"/api/v1/staff/bookings/{taken.id}/status", {"headers": {**staff_headers, **uk},
                                                               "json": {"status": "fulfilled"}}),
        ("post", f"/api/v1/staff/bookings/{taken.id}/results", {
            "headers": {**staff_headers, **uk}, "content_type": "multipart/form-data",
            "data": {"file": (io.BytesIO(b"not a pdf"), "висновок.pdf")}}),
        ("post", "/telegram/webhook", {"headers": uk, "json": {"update_id": 1}}),
    ]
    answers = [getattr(pseudo_client, method)(path, **options) for method, path, options in requests_made]
    settings = pseudo_app.config["SETTINGS"]
    monkeypatch.setitem(pseudo_app.config, "SETTINGS", replace(settings, BOOKING_RATE_LIMIT="1 per hour"))
    answers += [pseudo_client.post("/api/v1/bookings", headers=mine, json={}) for _ in range(2)]

    statuses = {answer.status_code for answer in answers}
    assert statuses >= {400, 401, 404, 405, 409, 413, 415, 422, 429}, statuses
    bodies = [answer.get_json() for answer in answers]
    assert all(body["message"].startswith("⟦uk·") for body in bodies), [body["message"] for body in bodies]
    assert_all_translated([*(body["message"] for body in bodies), *(_messages(body["errors"]) for body in bodies)])


def _messages(errors: Any) -> str:
    """Every field message of an error body, one per line."""
    if isinstance(errors, dict):
        return "\n".join(_messages(value) for value in errors.values())
    if isinstance(errors, list):
        return "\n".join(_messages(value) for value in errors)
    return str(errors)
