"""A clinic's staff group: chosen by an admin in the group; gets new bookings, cancellations and failed deliveries
in digests, each event once, spaced within Telegram's group limit."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from medsync.bot import replies
from medsync.bot.staff import notices, texts
from medsync.bot.replies import send_message
from medsync.extensions import db
from medsync.models import ClinicStaffGroup, MessageKind, OutboxMessage, StaffGroupEvent
from medsync.services import bookings, delivery, staff_groups
from medsync.services.bookings import PatientDetails
from tests.bot.conftest import BOT_USER, DATE, sender
from tests.bot.staff.conftest import GROUP_CHAT_ID, group_update
from tests.conftest import PATIENT, next_local_slot
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.workers.conftest import running_worker, wait_until, wait_until_idle
from workers import delivery as delivery_worker
from workers.staff_digests import send_group_digests


@pytest.fixture
def staff_group(post_update, make_doctor, make_staff):
    """A doctor's clinic whose admin made the test group its staff group."""
    doctor = make_doctor()
    admin = make_staff("admin", clinics=[doctor.clinic], name="Head nurse")
    post_update(group_update(admin.telegram_id, "/setgroup@medsync_test_bot"))
    return doctor


def _group_texts(telegram_api: FakeTelegramAPI) -> list[str]:
    return [call.params["text"] for call in telegram_api.calls("sendMessage", chat_id=GROUP_CHAT_ID, failed=False)]


def test_an_admin_makes_a_group_the_clinics_staff_group_and_nobody_else_can(
    post_update, telegram_api: FakeTelegramAPI, make_clinic, make_user, make_staff
):
    clinic = make_clinic(name="Podil Clinic")
    admin, reception = make_staff("admin", clinics=[clinic]), make_staff(clinics=[clinic])

    post_update(group_update(make_user(), "/setgroup"))
    post_update(group_update(reception.telegram_id, "/setgroup"))
    post_update(group_update(admin.telegram_id, "/setgroup"))

    assert _group_texts(telegram_api) == [
        "Only a clinic admin can choose the staff group.",
        "This group now gets Podil Clinic: new bookings, cancellations and failed deliveries, in digests.",
    ]
    assert db.session.scalar(select(ClinicStaffGroup.chat_id)) == GROUP_CHAT_ID


def test_setgroup_and_unsetgroup_are_committed_before_the_group_is_told(
    monkeypatch, post_update, telegram_api: FakeTelegramAPI, make_clinic, make_staff
):
    admin = make_staff("admin", clinics=[make_clinic()])
    seen_when_told = []

    def tell(bot, chat_id, text, reply_markup=None):
        # What any other connection sees at that moment (a row still locked or uncommitted is not there yet).
        with db.engine.connect() as other:
            seen_when_told.append(other.scalar(select(ClinicStaffGroup.chat_id)))
        return send_message(bot, chat_id, text, reply_markup)

    monkeypatch.setattr(replies, "send_message", tell)

    post_update(group_update(admin.telegram_id, "/setgroup"))
    post_update(group_update(admin.telegram_id, "/unsetgroup"))

    assert seen_when_told == [GROUP_CHAT_ID, None]
    assert len(_group_texts(telegram_api)) == 2


def test_the_group_gets_one_digest_of_bookings_cancellations_moves_and_failed_deliveries(
    app, staff_group, telegram_api: FakeTelegramAPI, frozen_now, make_booking, make_user
):
    doctor = staff_group
    booked = [make_booking(doctor=doctor, starts_at=next_local_slot(doctor.clinic, hour=hour)) for hour in (10, 11)]
    bookings.cancel(booked[0].id, user_id=booked[0].user_id)
    moved = bookings.reschedule(booked[1].id, user_id=booked[1].user_id,
                                starts_at=next_local_slot(doctor.clinic, hour=15))
    db.session.commit()
    claim, _ = delivery.claim(db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.booking_id == moved.id, OutboxMessage.kind == MessageKind.CONFIRMATION.value)))
    delivery.mark_failed(claim, "403: Forbidden: bot was blocked by the user")
    db.session.commit()

    assert send_group_digests() == 1
    assert send_group_digests() == 0  # every event is in the first digest, once
    with running_worker(app):
        wait_until(lambda: _group_texts(telegram_api)[1:], what="the digest")
        wait_until_idle()

    [digest] = _group_texts(telegram_api)[1:]
    first, second = booked
    assert digest.splitlines() == [
        "<b>Clinic news</b>",
        f"🆕 Booked: #{first.id} Wed, Dec 2 10:00 · Taras Shevchenko · {doctor.full_name}",
        f"🆕 Booked: #{second.id} Wed, Dec 2 11:00 · Taras Shevchenko · {doctor.full_name}",
        f"❌ Cancelled: #{first.id} Wed, Dec 2 10:00 · Taras Shevchenko · {doctor.full_name}",
        f"🔁 Moved: #{moved.id} Wed, Dec 2 15:00 · Taras Shevchenko · {doctor.full_name}",
        f"⚠️ Confirmation not delivered (blocked the bot): #{moved.id} Wed, Dec 2 15:00 · Taras Shevchenko · "
        f"{doctor.full_name}, call {PATIENT.phone}",
    ]


def test_digests_to_one_group_are_spaced_within_its_limit_and_a_backlog_is_split(
    app, monkeypatch, staff_group, telegram_api: FakeTelegramAPI, frozen_now, make_booking
):
    monkeypatch.setattr(staff_groups, "DIGEST_MAX_EVENTS", 2)
    # The group's slots after the /setgroup reply are 3.15 s and 6.3 s later. A worker defers a message whose
    # slot is over MAX_SLOT_WAIT away to a due time the frozen clock never reaches: how fast the bookings below
    # were written would decide whether the second digest waits for its slot or is stuck. It waits.
    monkeypatch.setattr(delivery_worker, "MAX_SLOT_WAIT", 10.0)
    doctor = staff_group
    for hour in (10, 11, 12):
        make_booking(doctor=doctor, starts_at=next_local_slot(doctor.clinic, hour=hour))

    with running_worker(app):
        assert send_group_digests() == 1
        assert send_group_digests() == 1
        assert send_group_digests() == 0
        wait_until(lambda: len(_group_texts(telegram_api)) == 3, timeout=15, what="two digests")
        wait_until_idle()

    first, second = telegram_api.calls("sendMessage", chat_id=GROUP_CHAT_ID)[1:]
    # Two workers took the two digests at once: either may have had the group's first slot.
    assert sorted(len(call.params["text"].splitlines()) - 1 for call in (first, second)) == [1, 2]
    # 20 messages a minute to one group: slots 3.15 s apart (a private chat's are 1.05 s); a worker's
    # database round trips between its slot and its request may move the requests a little closer.
    gap = second.at - first.at
    assert gap >= 2.0, f"{gap:.2f} s apart"


def _telegram_length(text: str) -> int:
    """What Telegram counts against its 4096: the text after HTML parsing, in UTF-16 code units."""
    return len(html.unescape(re.sub(r"<[^>]+>", "", text)).encode("utf-16-le")) // 2


def test_a_digest_of_the_longest_names_stays_within_telegrams_length_and_the_rest_follow_whole(
    staff_group, frozen_now, make_booking, make_doctor
):
    doctor = make_doctor(clinic=staff_group.clinic, full_name=("Dr. Olena & Co " * 14)[:200])
    patient = PatientDetails(first_name=("Anna-Maria & <Ola> " * 6)[:100],
                             last_name=("Kovalenko-Shevchenko & Sons " * 4)[:100], phone=PATIENT.phone)
    booked = [make_booking(doctor=doctor, starts_at=next_local_slot(doctor.clinic, days_ahead=days, hour=hour),
                           patient=patient)
              for days in (1, 2) for hour in (9, 10, 11, 12, 14, 15, 16, 17)]

    while send_group_digests():
        pass

    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.STAFF_DIGEST.value)
                              .order_by(OutboxMessage.id)).all()
    digests = [notices.render_text(row) for row in rows]
    assert len(digests) > 1
    assert max(_telegram_length(text) for text in digests) <= 4096
    lines = [line for text in digests for line in text.splitlines()[1:]]
    assert [line.split(" ")[2] for line in lines] == [f"#{booking.id}" for booking in booked]  # each once, in order
    assert all(line.endswith(f" · {html.escape(doctor.full_name)}") for line in lines)  # none cut short


def test_clinics_without_a_group_collect_no_events_and_a_group_the_bot_left_gets_nothing(
    post_update, staff_group, telegram_api: FakeTelegramAPI, frozen_now, make_booking, make_doctor, make_user
):
    make_booking(doctor=make_doctor())  # another clinic, no group
    assert db.session.scalar(select(func.count(StaffGroupEvent.id))) == 0
    make_booking(doctor=staff_group)
    member = {"user": BOT_USER, "status": "left"}
    post_update({"update_id": 91_000, "my_chat_member": {
        "chat": {"id": GROUP_CHAT_ID, "type": "supergroup", "title": "Clinic staff"}, "from": sender(make_user()),
        "date": DATE, "old_chat_member": {"user": BOT_USER, "status": "member"}, "new_chat_member": member}})

    assert db.session.scalar(select(ClinicStaffGroup)) is None
    assert send_group_digests() == 0
    db.session.expire_all()
    assert db.session.scalar(select(StaffGroupEvent.digested_at)) is not None  # done, without a digest


def test_a_digest_the_group_could_not_take_is_not_listed_as_a_patients_failed_delivery(
    client, staff_headers, staff_group, frozen_now, make_booking
):
    make_booking(doctor=staff_group)
    [digest_id] = staff_groups.queue_digests(lambda _chat_id, events: texts.digest(events))
    db.session.commit()
    claim, _ = delivery.claim(digest_id)
    delivery.mark_failed(claim, "403: Forbidden: bot was kicked from the supergroup chat")
    db.session.commit()

    response = client.get("/api/v1/staff/deliveries/failed", headers=staff_headers)

    assert response.status_code == 200 and response.json["items"] == []
    assert db.session.scalar(select(func.count(StaffGroupEvent.id))) == 1  # a digest's failure is no new event


def test_a_group_that_becomes_a_supergroup_keeps_getting_the_digests(
    post_update, staff_group, telegram_api: FakeTelegramAPI, make_user
):
    update = group_update(make_user(), "-")
    message = update["message"]
    del message["text"], message["entities"]
    message["chat"]["type"] = "group"  # Telegram says so in the old group
    message["migrate_to_chat_id"] = GROUP_CHAT_ID - 1

    post_update(update)

    assert db.session.scalar(select(ClinicStaffGroup.chat_id)) == GROUP_CHAT_ID - 1
