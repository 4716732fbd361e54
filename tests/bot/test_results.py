""""My results": the list, and each result sent as a protected document, uploaded once."""
from __future__ import annotations

from medsync.bot import callbacks
from medsync.extensions import db
from medsync.models import Result
from medsync.services import results
from tests.bot.conftest import button, buttons, callback_update, message_update
from tests.conftest import PDF
from tests.fakes.telegram_api import FakeTelegramAPI



def _result_for(make_booking, user, title: str = "Complete blood count") -> Result:
    booking = make_booking(user=user)
    result = results.store_result(booking.id, content=PDF, file_name="cbc.pdf", title=title, now=booking.starts_at)
    db.session.commit()
    return result


def test_results_list_shows_each_result_with_its_date(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    user = make_user()
    _result_for(make_booking, user)

    post_update(message_update(user, "/results"))

    sent = telegram_api.last("sendMessage")
    assert [item["text"] for item in buttons(sent)] == ["Complete blood count · Dec 2, 2026"]


def test_results_list_pages_like_bookings(
    post_update, telegram_api: FakeTelegramAPI, make_user, book_many, frozen_now
):
    user = make_user()
    for number, booking in enumerate(book_many(user, 6)):
        results.store_result(booking.id, content=PDF + bytes([number]), file_name="r.pdf", title=f"Test {number}",
                             now=booking.starts_at)
    db.session.commit()
    post_update(message_update(user, "/results"))
    first = telegram_api.last("sendMessage")

    post_update(callback_update(user, button(first, "▶")["callback_data"], message_id=first.result["message_id"]))

    edit = telegram_api.last("editMessageText")
    assert edit.params["message_id"] == str(first.result["message_id"])
    assert [item["text"] for item in buttons(edit)][-2:] == ["◀", "2/2"]


def test_no_results_says_they_will_come_here(post_update, telegram_api: FakeTelegramAPI, make_user):
    user = make_user()

    post_update(callback_update(user, callbacks.open_results.new()))

    assert "no test results yet" in telegram_api.last("sendMessage").params["text"]
    assert len(telegram_api.calls("answerCallbackQuery")) == 1


def test_a_result_is_uploaded_once_then_its_file_id_is_reused(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    user = make_user()
    result = _result_for(make_booking, user)
    tap = callbacks.result_document.new(result.id)

    post_update(callback_update(user, tap))

    upload = telegram_api.last("sendDocument")
    assert upload.files["document"] == ("cbc.pdf", PDF)
    assert upload.params["protect_content"].lower() == "true"
    assert "Complete blood count" in upload.params["caption"] and "Dec 2, 2026" in upload.params["caption"]
    db.session.expire_all()
    stored_file_id = db.session.get(Result, result.id).telegram_file_id
    assert stored_file_id == upload.result["document"]["file_id"]

    post_update(callback_update(user, tap))

    reuse = telegram_api.last("sendDocument")
    assert reuse.files == {}
    assert reuse.params["document"] == stored_file_id
    assert reuse.params["protect_content"].lower() == "true"


def test_someone_elses_result_is_not_sent(
    post_update, telegram_api: FakeTelegramAPI, make_user, make_booking, frozen_now
):
    owner, intruder = make_user(), make_user()
    result = _result_for(make_booking, owner)

    post_update(callback_update(intruder, callbacks.result_document.new(result.id)))

    assert telegram_api.calls("sendDocument") == []
    assert telegram_api.last("answerCallbackQuery").params["text"] == "Not found."
