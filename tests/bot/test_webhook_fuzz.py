"""Property-based: generated Telegram updates of every shape we handle — messages with text, commands, documents,
contacts and Mini App data, callback queries with and without their message, carrying our callback data or garbage,
membership changes — from patients, staff and strangers with odd names and ids, are answered 200 and never fail
the webhook. Bounded and derandomized: the same updates on every run."""
from __future__ import annotations

import itertools
import logging
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from telebot.callback_data import CallbackData

from medsync.auth.initdata import TELEGRAM_ID_LIMIT
from medsync.bot import callbacks
from medsync.bot.staff import callbacks as staff_callbacks
from tests.bot.conftest import BOT_USER, DATE
from tests.bot.staff.conftest import make_staff  # noqa: F401 - the staff member factory
from tests.conftest import next_local_slot
from tests.support.strategies import EDGE_IDS, odd_text

UPDATE_EXAMPLES = 200
PATIENT_ID, STAFF_ID, NEWCOMER_ID = 700_000_001, 700_000_002, 700_000_999
GROUP_ID = -1001234567890

_update_ids = itertools.count(1)
# Every prefix our buttons use, read off the factories, so a new button is fuzzed without touching this file.
PREFIXES = sorted({factory.prefix for module in (callbacks, staff_callbacks)
                   for factory in vars(module).values() if isinstance(factory, CallbackData)})

# Mostly people we know (so handlers run deep), now and then an id at or past an edge (the update is ignored).
user_ids = st.one_of(*[st.sampled_from([PATIENT_ID, STAFF_ID, NEWCOMER_ID])] * 4, st.sampled_from(EDGE_IDS))
users = st.fixed_dictionaries(
    {"id": user_ids, "is_bot": st.sampled_from([False, False, False, True]), "first_name": odd_text},
    optional={"last_name": odd_text, "username": odd_text, "language_code": st.sampled_from(["uk", "en", "xx", ""])},
)
# What a button's fields can hold: real booking and visit ids, edges, our words, and anything at all.
field_values = st.one_of(
    st.sampled_from(["1", "2", "3", "0", "-1", str(2**31), str(2**63), str(2**64)]),
    st.sampled_from(["upcoming", "past", "all", "arrived", "noshow", "fulfilled", "cancelled", "booked",
                     "2026-12-01", "2026-12-02", "9999-99-99", ""]),
    odd_text,
)
callback_data = st.one_of(
    st.builds(lambda prefix, values: ":".join([prefix, *values]), st.sampled_from(PREFIXES),
              st.lists(field_values, max_size=4)),
    odd_text,
)
commands = st.sampled_from(["/start", "/help", "/bookings", "/results", "/today", "/agenda", "/remind", "/staff",
                            "/setgroup", "/unsetgroup", "/start@medsync_test_bot", "/unknown"])


@st.composite
def chats(draw, author_id: int) -> dict[str, Any]:
    """The author's private chat (mostly), a group, or a channel."""
    return draw(st.sampled_from([
        {"id": author_id, "type": "private", "first_name": "Taras"},
        {"id": author_id, "type": "private", "first_name": "Taras"},
        {"id": GROUP_ID, "type": "supergroup", "title": "Clinic staff"},
        {"id": -1009876543210, "type": "channel", "title": "News"},
    ]))


@st.composite
def bot_messages(draw, chat: dict[str, Any]) -> dict[str, Any]:
    """One of the bot's messages, as an update quotes it (replied to, or under a pressed button)."""
    message = {"message_id": draw(st.integers(1, 10_000)), "from": BOT_USER, "chat": chat, "date": DATE,
               "text": draw(odd_text)}
    if draw(st.booleans()):
        message["reply_markup"] = {"inline_keyboard": [[{"text": "Refresh", "callback_data": draw(callback_data)}]]}
    return message


@st.composite
def messages(draw) -> dict[str, Any]:
    author = draw(users)
    chat = draw(chats(author["id"]))
    message: dict[str, Any] = {"message_id": draw(st.integers(1, 2**31 - 1)), "date": DATE, "chat": chat}
    if draw(st.integers(0, 5)):  # now and then without `from` (a channel post, an anonymous admin)
        message["from"] = author
    kind = draw(st.sampled_from(["command", "command", "command", "text", "document", "document", "contact",
                                 "web_app_data", "migration"]))
    if kind == "command":
        command = draw(commands)
        argument = draw(st.one_of(st.just(""), st.sampled_from(["tomorrow", "2026-12-02", "staff-" + "a" * 20]),
                                  odd_text))
        message["text"] = f"{command} {argument}".strip()
        message["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    elif kind == "text":
        message["text"] = draw(odd_text)
    elif kind == "document":
        message["document"] = draw(st.fixed_dictionaries(
            {"file_id": st.text("abcdefXYZ0123456789_-", min_size=1, max_size=30), "file_unique_id": st.just("u1")},
            optional={"file_name": odd_text, "mime_type": st.sampled_from(["application/pdf", "image/png", ""]),
                      "file_size": st.sampled_from([0, 1, 10**6, 10**9, 2**63])},
        ))
        if draw(st.booleans()):
            message["caption"] = draw(st.one_of(st.sampled_from(["1", "#2", "3", "#0", "99999"]), odd_text))
    elif kind == "contact":
        message["contact"] = draw(st.fixed_dictionaries(
            {"phone_number": odd_text, "first_name": odd_text}, optional={"user_id": user_ids}))
    elif kind == "web_app_data":
        message["web_app_data"] = {"data": draw(odd_text), "button_text": "Book an appointment"}
    else:
        message["migrate_to_chat_id"] = draw(st.sampled_from([GROUP_ID - 1, *EDGE_IDS]))
    if draw(st.booleans()):
        message["reply_to_message"] = draw(bot_messages(chat))
    return message


@st.composite
def callback_queries(draw) -> dict[str, Any]:
    author = draw(users)
    query = {"id": str(draw(st.integers(1, 10**12))), "from": author, "chat_instance": "-4242",
             "data": draw(callback_data)}
    shown_in = draw(st.sampled_from(["message", "message", "inline", "nothing"]))
    if shown_in == "message":
        query["message"] = draw(bot_messages(draw(chats(author["id"]))))
    elif shown_in == "inline":  # a button of an inline-mode message: no message at all
        query["inline_message_id"] = "AgAAA"
    return query


@st.composite
def chat_member_changes(draw) -> dict[str, Any]:
    author = draw(users)
    status = draw(st.sampled_from(["member", "kicked", "left", "administrator", "restricted"]))
    return {"chat": draw(chats(author["id"])), "from": author, "date": DATE,
            "old_chat_member": {"user": BOT_USER, "status": "member"},
            "new_chat_member": {"user": BOT_USER, "status": status, "until_date": 0}}


new_messages = st.builds(lambda message: {"message": message}, messages())
button_presses = st.builds(lambda query: {"callback_query": query}, callback_queries())
# Weighted toward what handlers act on: new messages and button presses.
updates = st.one_of(
    new_messages, new_messages, new_messages, button_presses, button_presses,
    st.builds(lambda message: {"edited_message": message}, messages()),
    st.builds(lambda change: {"my_chat_member": change}, chat_member_changes()),
)


@pytest.fixture
def people(make_user, make_doctor, make_booking, make_staff, frozen_now) -> None:
    """A patient with bookings (ids 1-3) and a reception member of their clinic, as the generated ids name them."""
    doctor = make_doctor()
    patient = make_user(telegram_id=PATIENT_ID)
    for days_ahead in (1, 2, 3):
        make_booking(user=patient, doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=days_ahead))
    make_staff("reception", clinics=[doctor.clinic], user=make_user(telegram_id=STAFF_ID))


ODD_PATIENT = {"id": PATIENT_ID, "is_bot": False, "first_name": "Ta\x00ras", "last_name": "\ud800",
               "username": "taras\udfff"}
PATIENTS_CHAT = {"id": PATIENT_ID, "type": "private", "first_name": "Taras"}


def test_any_update_we_handle_is_answered_200_and_never_fails_the_webhook(post_update, telegram_api, people, caplog):
    @given(update=updates)
    # Always, whatever is generated: a patient whose name holds NUL and lone surrogates opens the menu and turns pages.
    @example(update={"message": {"message_id": 1, "date": DATE, "chat": PATIENTS_CHAT, "from": ODD_PATIENT,
                                 "text": "/start", "entities": [{"offset": 0, "length": 6, "type": "bot_command"}]}})
    @example(update={"callback_query": {"id": "1", "from": ODD_PATIENT, "chat_instance": "-4242",
                                        "data": callbacks.bookings_page.new(when="upcoming", page=1),
                                        "message": {"message_id": 2, "from": BOT_USER, "chat": PATIENTS_CHAT,
                                                    "date": DATE, "text": "Menu"}}})
    @settings(max_examples=UPDATE_EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(update: dict[str, Any]) -> None:
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="medsync.bot.webhook"):
            response = post_update({"update_id": next(_update_ids), **update})

        assert response.status_code == 200, (update, response.get_json())
        assert isinstance(response.get_json(), dict)
        # Handled or ignored on purpose; a handler's failure is only logged, so the log is where it shows.
        assert [record.getMessage().split(":")[0] for record in caplog.records] == [], update
        if "callback_query" in update and 0 < update["callback_query"]["from"]["id"] <= TELEGRAM_ID_LIMIT:
            assert answered(update["callback_query"]["id"], response.get_json(), telegram_api), update

    run()


def answered(query_id: str, reply: dict[str, Any], telegram_api) -> bool:
    """The press was answered: in the webhook's response, or by a call the bot made."""
    if reply.get("method") == "answerCallbackQuery" and reply.get("callback_query_id") == query_id:
        return True
    return any(call.params.get("callback_query_id") == query_id for call in telegram_api.calls("answerCallbackQuery"))
