"""What an update costs the database: pinned, so a change that adds round trips shows up here."""
from __future__ import annotations

from medsync.extensions import db, redis_client
from medsync.models import User
from tests.bot.conftest import callback_update, message_update

USER_ID = 700_000_456


def test_start_from_a_sender_whose_profile_is_unchanged_touches_no_database(post_update, telegram_api, database_work):
    post_update(message_update(USER_ID, "/start"))  # a new sender: their row is written once

    with database_work() as work:
        post_update(message_update(USER_ID, "/start"))

    assert (work["statements"], work["checkouts"]) == ([], [])
    assert len(telegram_api.calls("sendMessage")) == 2


def test_a_page_turn_is_one_query_for_the_page_its_total_and_what_each_booking_shows(
    post_update, telegram_api, make_user, book_many, frozen_now, database_work
):
    user = make_user()
    book_many(user, 12)
    patient = user.telegram_id
    post_update(callback_update(patient, "bl:upcoming:1"))

    for page in (2, 3):
        update = callback_update(patient, f"bl:upcoming:{page}")
        with database_work() as work:
            post_update(update)
        # A pooled connection this test has not used yet PREPAREs the statement first (once per connection).
        executed = [statement for statement in work["statements"] if not statement.startswith("PREPARE ")]
        assert len(executed) == 1, work["statements"]
        assert len(work["checkouts"]) == 1
    last_page = telegram_api.last("editMessageText")
    assert "3/3" in last_page.params["reply_markup"]


def test_a_profile_changed_after_it_was_remembered_is_written(post_update, telegram_api, app_context):
    post_update(message_update(USER_ID, "/start"))
    renamed = message_update(USER_ID, "/start")
    renamed["message"]["from"].update(username="taras_new", last_name=None)

    post_update(renamed)

    db.session.expire_all()
    user = db.session.get(User, USER_ID)
    assert (user.username, user.last_name) == ("taras_new", None)


def test_a_forgotten_profile_costs_one_read_and_no_write(post_update, telegram_api, app, database_work):
    post_update(message_update(USER_ID, "/start"))
    with app.app_context():
        redis_client.delete(f"medsync:telegram:sender:{USER_ID}")
    with database_work() as work:
        post_update(message_update(USER_ID, "/start"))

    assert [statement.split()[0] for statement in work["statements"]] == ["SELECT"]
