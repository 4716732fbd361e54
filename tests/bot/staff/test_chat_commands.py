"""Staff commands are in the command list of staff chats only, and leave a chat when its member is revoked.

The lists are set and deleted by the workers from outbox rows written with the change (Bot API command scopes:
BotCommandScopeChat for the member's private chat), so Telegram being down loses nothing.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from medsync import clock
from medsync.extensions import db
from medsync.models import MessageKind, OutboxMessage, StaffRole
from medsync.services import staff_accounts
from tests.bot.conftest import message_update
from tests.fakes.telegram_api import FakeTelegramAPI
from workers.delivery import deliver_message

PATIENT_COMMANDS = ["start", "bookings", "results", "language", "phone", "mydata", "help"]
ACCESS_ENDED = ("Your access as clinic staff in MedSync has ended: the staff commands are gone from this chat. "
                "You can still use the bot as a patient: /start.")


def _chat(telegram_id: int) -> dict:
    return {"type": "chat", "chat_id": telegram_id}


def _listed(telegram_api: FakeTelegramAPI, telegram_id: int) -> list[str]:
    """The commands Telegram holds for this chat's own scope."""
    return [item["command"] for item in telegram_api.commands(_chat(telegram_id))]


def _deliver_queued() -> list[str]:
    """Deliver every chat row waiting (as a worker would, once each), oldest first."""
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.kind == MessageKind.REPLY.value, OutboxMessage.status == "pending",
    ).order_by(OutboxMessage.id)).all()
    db.session.commit()
    return [deliver_message(row) for row in rows]


def test_opening_an_invite_gives_that_chat_the_staff_commands_its_role_may_use(
    post_update, telegram_api: FakeTelegramAPI, make_clinic, make_user, make_doctor
):
    desk, doctor_account, patient = make_user(), make_user(), make_user()
    _, desk_code = staff_accounts.invite(role=StaffRole.RECEPTION, clinic_ids=[make_clinic().id])
    _, doctor_code = staff_accounts.invite(role=StaffRole.DOCTOR, doctor_id=make_doctor().id)
    db.session.commit()
    post_update(message_update(desk, f"/start staff-{desk_code}"))
    post_update(message_update(doctor_account, f"/start staff-{doctor_code}"))
    post_update(message_update(patient, "/start"))
    assert telegram_api.calls("setMyCommands") == []  # not from inside the webhook's transaction

    assert _deliver_queued() == ["sent", "sent"]

    assert _listed(telegram_api, desk.telegram_id) == [*PATIENT_COMMANDS, "today", "agenda", "find", "tocall", "remind",
                                                       "staff"]
    assert _listed(telegram_api, doctor_account.telegram_id) == [*PATIENT_COMMANDS, "today", "agenda", "staff"]
    assert _listed(telegram_api, patient.telegram_id) == [] and telegram_api.commands() == []


def test_revoking_a_member_takes_the_commands_out_of_their_chat_and_tells_them_even_when_telegram_was_down(
    app, telegram_api: FakeTelegramAPI, frozen_now, make_staff
):
    member = make_staff()
    _deliver_queued()
    telegram_api.clear()
    telegram_api.fail_next("deleteMyCommands", status=502)

    revoked = app.test_cli_runner().invoke(args=["medsync", "revoke-staff", str(member.id)])
    assert revoked.exit_code == 0, revoked.output
    assert telegram_api.calls() == []  # the CLI's transaction talks to nobody: the row is the promise
    assert _deliver_queued() == ["retrying"]
    frozen_now(clock.now() + timedelta(minutes=5))
    assert _deliver_queued() == ["sent"]

    assert _listed(telegram_api, member.telegram_id) == []
    assert [call.status for call in telegram_api.calls("deleteMyCommands")] == [502, 200]
    assert [call.params["text"] for call in telegram_api.calls("sendMessage", chat_id=member.telegram_id)] == [
        ACCESS_ENDED]


def test_a_member_invited_again_keeps_the_commands_whatever_order_the_rows_arrive_in(
    post_update, telegram_api: FakeTelegramAPI, make_clinic, make_staff
):
    member = make_staff()
    _deliver_queued()
    staff_accounts.revoke(member.id)
    _, code = staff_accounts.invite(role=StaffRole.RECEPTION, clinic_ids=[make_clinic().id])
    db.session.commit()
    post_update(message_update(member.telegram_id, f"/start staff-{code}"))
    telegram_api.clear()
    revocation, new_binding = db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.kind == MessageKind.REPLY.value, OutboxMessage.status == "pending").order_by(
        OutboxMessage.id)).all()
    db.session.commit()

    assert [deliver_message(new_binding), deliver_message(revocation)] == ["sent", "sent"]

    assert _listed(telegram_api, member.telegram_id)[-6:] == ["today", "agenda", "find", "tocall", "remind", "staff"]
    assert telegram_api.calls("sendMessage") == []  # not told their access ended: it has not


def test_setup_bot_brings_every_staff_chat_in_step(app, telegram_api: FakeTelegramAPI, make_staff):
    staying, leaving = make_staff(), make_staff()
    staff_accounts.revoke(leaving.id)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["medsync", "setup-bot"])

    assert result.exit_code == 0, result.output
    assert [item["command"] for item in telegram_api.commands()] == PATIENT_COMMANDS
    assert _listed(telegram_api, staying.telegram_id) == [*PATIENT_COMMANDS, "today", "agenda", "find", "tocall", "remind",
                                                          "staff"]
    assert _listed(telegram_api, leaving.telegram_id) == []
    assert "staff commands set in 1 staff chat(s)" in result.output
