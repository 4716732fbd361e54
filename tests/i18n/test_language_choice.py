"""Whose language a text is written in: the sender's (their choice, else their Telegram's), a message's recipient's
when it is sent, the API caller's (initData, else Accept-Language), the browser's for the Mini App's pages.

The app here reads pseudo catalogs (tests/i18n/conftest.py): a text in language xx comes as `⟦xx·…⟧`, so these
tests hold whatever the real catalogs say.
"""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from medsync.extensions import db, redis_client
from medsync.i18n import language_of, user_language
from medsync.models import MessageKind, OutboxMessage, User
from medsync.services import bookings
from tests.bot.conftest import callback_update, message_update
from tests.i18n.conftest import wrap
from workers.delivery import deliver_message

USER_ID = 700_000_777


def from_telegram_in(language_code: str | None, text: str = "/start", user_id: int = USER_ID) -> dict[str, Any]:
    update = message_update(user_id, text)
    update["message"]["from"]["language_code"] = language_code
    return update


@pytest.mark.parametrize(("language_code", "language"), [
    ("uk", "uk"), ("uk-UA", "uk"), ("UK_ua", "uk"), ("ru", "ru"), ("pl-PL", "pl"), ("en", "en"), ("en-GB", "en"),
    ("pt-br", "en"), ("zh-hans", "en"), ("", "en"), (None, "en"),
])
def test_a_telegram_language_code_maps_to_the_nearest_catalog(language_code, language):
    assert user_language(None, language_code) == language


def test_a_choice_wins_over_the_telegram_language_and_an_unknown_one_is_ignored():
    assert (user_language("pl", "uk"), user_language("xx", "uk-UA"), language_of("de")) == ("pl", "uk", None)


@pytest.mark.parametrize(("language_code", "language"), [("uk-UA", "uk"), ("ru", "ru"), ("pl", "pl")])
def test_the_bot_answers_in_the_senders_telegram_language(pseudo_post, telegram_api, language_code, language):
    pseudo_post(from_telegram_in(language_code))

    assert telegram_api.last("sendMessage").params["text"].startswith(f"⟦{language}·Hello, Taras!")


def test_a_telegram_language_we_have_no_catalog_for_gets_english(pseudo_post, telegram_api):
    pseudo_post(from_telegram_in("pt-br"))

    assert telegram_api.last("sendMessage").params["text"].startswith("Hello, Taras!\n\nMedSync books")


def test_a_language_chosen_with_language_wins_from_then_on_without_a_database_read(
    pseudo_client, telegram_api, database_work, app_context, pseudo_post
):
    pseudo_post(from_telegram_in("uk", "/language"))
    asked = telegram_api.last("sendMessage")
    assert asked.params["text"] == wrap("uk", "Choose the language I write to you in:")
    assert [button["text"] for row in asked.json("reply_markup")["inline_keyboard"] for button in row] == [
        "Українська", "English", "Русский", "Polski"]

    press = callback_update(USER_ID, "lg:pl", message_id=asked.result["message_id"])
    press["callback_query"]["from"]["language_code"] = "uk"
    pseudo_post(press)

    assert db.session.get(User, USER_ID).language == "pl"
    assert telegram_api.last("editMessageText").params["text"] == wrap("pl", "Done: I will write to you in English.")
    with database_work() as work:
        pseudo_post(from_telegram_in("uk"))
    assert telegram_api.last("sendMessage").params["text"].startswith("⟦pl·Hello, Taras!")
    assert work["statements"] == []  # the choice rode in the sender's hint


def test_a_language_chosen_in_the_mini_app_reaches_the_bot_at_once(
    pseudo_client, telegram_api, tma_headers, app_context, pseudo_post
):
    pseudo_post(from_telegram_in("uk"))  # the bot now holds a hint for this sender

    chosen = pseudo_client.put("/api/v1/me/language", json={"language": "ru"},
                               headers=tma_headers(USER_ID, language_code="uk"))
    pseudo_post(from_telegram_in("uk"))

    assert chosen.status_code == 200 and chosen.json == {"language": "ru", "chosen": True}
    assert telegram_api.last("sendMessage").params["text"].startswith("⟦ru·Hello, Taras!")


def test_an_unknown_language_button_changes_nothing(pseudo_post, telegram_api, app_context):
    pseudo_post(callback_update(USER_ID, "lg:de"))

    assert db.session.get(User, USER_ID).language is None
    assert telegram_api.last("answerCallbackQuery").params["text"] == "Not found."


def test_a_message_is_written_in_its_recipients_language_when_it_is_sent_not_the_requesters(
    pseudo_app, pseudo_client, telegram_api, staff_headers, make_user, make_booking, frozen_now
):
    patient = make_user(language_code="uk-UA")
    booking = make_booking(user=patient)

    refused = pseudo_client.post(f"/api/v1/staff/bookings/{booking.id}/status", json={"status": "cancelled"},
                                 headers={**staff_headers, "Accept-Language": "pl"})
    patient.language = "ru"  # the patient chose Russian after the desk cancelled, before the message went out
    db.session.commit()
    message_id = db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.kind == MessageKind.CANCELLATION.value))
    with pseudo_app.app_context():
        deliver_message.run(message_id)

    assert refused.status_code == 200
    text = telegram_api.last("sendMessage").params["text"]
    assert text.startswith("⟦ru·❌ The clinic has cancelled your visit.")
    assert "декабря" in text  # the visit's date in Russian too


def test_a_staff_groups_digest_is_in_the_language_of_the_admin_who_chose_the_group(
    pseudo_app, pseudo_client, telegram_api, make_staff, make_user, make_booking, make_doctor, frozen_now, pseudo_post
):
    admin = make_staff("admin", user=make_user(language_code="pl"))
    group = {"id": -100777, "type": "supergroup", "title": "Desk"}
    set_group = message_update(admin.telegram_id, "/setgroup", chat=group)
    set_group["message"]["from"]["language_code"] = "pl"
    pseudo_post(set_group)
    make_booking(doctor=make_doctor(clinic=admin.clinics[0]))

    with pseudo_app.app_context():
        from workers.staff_digests import send_group_digests

        send_group_digests.run()
        digest_id = db.session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.kind == MessageKind.STAFF_DIGEST.value))
        deliver_message.run(digest_id)

    assert telegram_api.last("sendMessage").params["text"].startswith("<b>⟦pl·Clinic news⟧</b>\n⟦pl·🆕 Booked: #")


def test_api_errors_follow_accept_language_without_init_data(pseudo_client):
    response = pseudo_client.get("/api/v1/doctors/2147483000", headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"})

    assert response.status_code == 404
    assert response.json["message"] == wrap("pl", "Doctor not found.")
    assert response.json["status"] == "Not Found"  # HTTP's reason phrase stays as clients parse it


def test_api_errors_follow_the_init_data_users_language_over_accept_language(pseudo_client, tma_headers, make_user):
    make_user(telegram_id=USER_ID, language_code="uk", language="ru")
    headers = {**tma_headers(USER_ID, language_code="uk"), "Accept-Language": "pl"}

    response = pseudo_client.get("/api/v1/bookings/2147483000", headers=headers)

    assert response.status_code == 404 and response.json["message"] == wrap("ru", "Booking not found.")


def test_field_errors_are_in_the_callers_language_marshmallows_own_too(pseudo_client, tma_headers):
    headers = {**tma_headers(USER_ID, language_code="uk-UA")}

    response = pseudo_client.post("/api/v1/bookings", json={"clinic_id": "x", "patient": {"phone": "1"}},
                                  headers=headers)

    assert response.status_code == 422
    assert response.json["message"] == wrap("uk", "Some fields are missing or invalid.")
    errors = response.json["errors"]
    assert errors["starts_at"] == [wrap("uk", "Missing data for required field.")]
    assert errors["clinic_id"] == [wrap("uk", "Not a valid integer.")]
    assert errors["patient"]["phone"] == [wrap("uk", "Length must be between 5 and 32.")]


def test_a_mini_app_page_is_in_the_language_of_its_cookie_else_accept_language(pseudo_client, seeded):
    by_browser = pseudo_client.get("/app/", headers={"Accept-Language": "ru"})
    chosen = pseudo_client.get("/app/language?language=pl&next=/app/see_a_doctor")
    by_cookie = pseudo_client.get("/app/", headers={"Accept-Language": "ru"})

    assert '<html lang="ru">' in by_browser.text and wrap("ru", "Welcome to MedSync") in by_browser.text
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/app/see_a_doctor"
    assert '<html lang="pl">' in by_cookie.text and wrap("pl", "Welcome to MedSync") in by_cookie.text
    assert {"Accept-Language", "Cookie"} <= set(by_cookie.vary)


def test_the_language_selector_goes_back_only_to_a_page_of_ours(pseudo_client):
    response = pseudo_client.get("/app/language?language=uk&next=https://evil.example/")

    assert response.status_code == 303 and response.headers["Location"] == "/app/"


def test_my_language_is_my_telegrams_until_i_choose_one(client, tma_headers, app_context):
    headers = tma_headers(USER_ID, language_code="uk-UA")

    before = client.get("/api/v1/me/language", headers=headers)
    chosen = client.put("/api/v1/me/language", json={"language": "pl"}, headers=headers)
    after = client.get("/api/v1/me/language", headers=headers)

    assert before.json == {"language": "uk", "chosen": False}
    assert chosen.json == after.json == {"language": "pl", "chosen": True}
    assert db.session.get(User, USER_ID).language == "pl"


def test_a_language_we_have_no_catalog_for_is_refused_and_nothing_changes(client, tma_headers, app_context):
    response = client.put("/api/v1/me/language", json={"language": "de"}, headers=tma_headers(USER_ID))

    assert response.status_code == 422
    assert response.json["errors"] == {"language": ["Must be one of: uk, en, ru, pl."]}
    assert db.session.get(User, USER_ID) is None


def test_choosing_a_language_needs_init_data(client):
    assert client.put("/api/v1/me/language", json={"language": "pl"}).status_code == 401


def test_a_staff_members_chat_gets_its_commands_again_in_the_language_chosen(
    pseudo_app, pseudo_client, telegram_api, make_staff, app_context, pseudo_post
):
    member = make_staff()
    press = callback_update(member.telegram_id, "lg:uk")

    pseudo_post(press)
    with pseudo_app.app_context():
        for message_id in db.session.scalars(select(OutboxMessage.id).where(
                OutboxMessage.kind == MessageKind.REPLY.value)):
            deliver_message.run(message_id)

    scope = {"type": "chat", "chat_id": member.telegram_id}
    descriptions = {item["command"]: item["description"] for item in telegram_api.commands(scope)}
    assert descriptions["today"] == wrap("uk", "Today's visits")
    assert descriptions["bookings"] == wrap("uk", "My bookings")


def test_setup_bot_sets_the_commands_in_every_language(pseudo_app, telegram_api):
    result = pseudo_app.test_cli_runner().invoke(args=["medsync", "setup-bot"])

    assert result.exit_code == 0, result.output
    assert telegram_api.commands()[0] == {"command": "start", "description": "Main menu"}
    for language in ("uk", "ru", "pl"):
        assert telegram_api.commands(language_code=language)[0] == {
            "command": "start", "description": wrap(language, "Main menu")}
