"""A patient booked by phone shares their contact in the bot: their visits come to My bookings and to the chat."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from medsync.extensions import db
from medsync.models import Actor, Booking, MessageKind, OutboxMessage, Patient
from medsync.services import bookings
from tests.bot.conftest import message_update
from tests.conftest import next_local_slot
from tests.support.desk import book_by_phone

PHONE = "+380671234567"


@pytest.fixture
def booked_by_phone(frozen_now, make_doctor):
    """A visit the front desk booked for a caller without Telegram, the day after tomorrow at 10:00."""
    doctor = make_doctor()
    booking = book_by_phone(doctor, next_local_slot(doctor.clinic, days_ahead=2))
    return db.session.get(Booking, booking.id)  # the model (booking answers with a copy of the row)


def share_contact(user_id: int, *, phone: str = "380671234567", owner: int | None = None) -> dict:
    """What Telegram sends for the request_contact button (the phone without `+`, as Telegram writes it)."""
    contact = {"phone_number": phone, "first_name": "Olha", "user_id": user_id if owner is None else owner}
    return message_update(user_id, contact=contact)


def test_phone_offers_the_button_that_shares_the_senders_own_number(post_update, telegram_api, app_context):
    post_update(message_update(700_000_001, "/phone"))

    keyboard = telegram_api.last("sendMessage").json("reply_markup")["keyboard"]
    assert [[button.get("request_contact") for button in row] for row in keyboard] == [[True]]


def test_sharing_ones_own_contact_brings_the_phone_bookings_to_my_bookings(
    post_update, telegram_api, client, tma_headers, booked_by_phone
):
    post_update(share_contact(700_000_001))

    assert "1 visit booked by phone is now under My bookings" in telegram_api.last("sendMessage").params["text"]
    listed = client.get("/api/v1/me/bookings", headers=tma_headers(700_000_001)).json["items"]
    assert [booking["id"] for booking in listed] == [booked_by_phone.id]
    db.session.expire_all()
    assert db.session.get(Booking, booked_by_phone.id).user_id == 700_000_001
    assert db.session.scalar(select(Patient.user_id).where(Patient.phone == PHONE)) == 700_000_001
    reminders = db.session.scalars(select(OutboxMessage).where(OutboxMessage.booking_id == booked_by_phone.id)).all()
    assert {(message.kind, message.chat_id) for message in reminders} == {(MessageKind.REMINDER.value, 700_000_001)}


def test_a_patient_who_booked_from_telegram_too_gets_the_phone_bookings_on_their_own_patient(
    post_update, client, tma_headers, booked_by_phone, make_user, make_booking
):
    user = make_user(telegram_id=700_000_001)
    own = make_booking(user=user, doctor=booked_by_phone.doctor,
                       starts_at=next_local_slot(booked_by_phone.clinic, days_ahead=3))

    post_update(share_contact(user.telegram_id))

    listed = client.get("/api/v1/me/bookings", headers=tma_headers(user.telegram_id)).json["items"]
    assert [booking["id"] for booking in listed] == [booked_by_phone.id, own.id]
    db.session.expire_all()
    assert db.session.get(Booking, booked_by_phone.id).patient_id == own.patient_id
    assert db.session.scalar(select(Patient).where(Patient.user_id.is_(None))) is None


def test_someone_elses_contact_links_nothing(post_update, telegram_api, client, tma_headers, booked_by_phone):
    post_update(share_contact(700_000_001, owner=700_000_999))

    assert "your own number" in telegram_api.last("sendMessage").params["text"]
    assert client.get("/api/v1/me/bookings", headers=tma_headers(700_000_001)).json["items"] == []
    assert db.session.get(Booking, booked_by_phone.id).user_id is None


def test_a_number_typed_as_text_links_nothing(post_update, client, tma_headers, booked_by_phone):
    post_update(message_update(700_000_001, PHONE))

    assert client.get("/api/v1/me/bookings", headers=tma_headers(700_000_001)).json["items"] == []


def test_a_number_with_no_phone_bookings_says_so(post_update, telegram_api, booked_by_phone):
    post_update(share_contact(700_000_001, phone="380931112233"))

    assert telegram_api.last("sendMessage").params["text"] == "There are no visits booked by phone with this number."


def test_a_linked_patients_cancellation_by_the_desk_reaches_the_chat(post_update, booked_by_phone):
    post_update(share_contact(700_000_001))

    bookings.cancel_by_staff(booked_by_phone.id, actor_id="staff-token:1", reason="The doctor is ill",
                             actor=Actor.STAFF)
    db.session.commit()

    kinds = db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.booking_id == booked_by_phone.id))
    assert MessageKind.CANCELLATION.value in set(kinds)
