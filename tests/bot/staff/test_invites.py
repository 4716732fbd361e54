"""A staff invite link binds the first Telegram account that opens it, once, within its time."""
from __future__ import annotations

import hashlib
import logging
import re
import threading
from datetime import timedelta

from sqlalchemy import select

from medsync import clock
from medsync.extensions import db
from medsync.models import StaffMember, StaffRole
from medsync.services import staff_accounts
from tests.bot.conftest import message_update
from tests.conftest import WEBHOOK_SECRET
from tests.fakes.telegram_api import FakeTelegramAPI

INVALID = "This invite link is invalid, already used or expired. Ask your clinic's admin for a new one."


def _invite(clinic, **options) -> str:
    _, code = staff_accounts.invite(role=StaffRole.RECEPTION, clinic_ids=[clinic.id], **options)
    db.session.commit()
    return code


def _member() -> StaffMember:
    db.session.expire_all()
    return db.session.scalar(select(StaffMember))


def test_an_invite_binds_the_first_account_and_refuses_a_second_use(
    post_update, telegram_api: FakeTelegramAPI, make_clinic, make_user
):
    clinic = make_clinic(name="Podil Clinic")
    code = _invite(clinic, name="Iryna")
    first, second = make_user(), make_user()

    post_update(message_update(first, f"/start staff-{code}"))
    post_update(message_update(second, f"/start staff-{code}"))

    welcome, refusal = (call.params["text"] for call in telegram_api.calls("sendMessage"))
    assert welcome.startswith("Welcome, Iryna! You are reception at Podil Clinic.")
    assert "/today" in welcome
    assert refusal == INVALID
    member = _member()
    assert member.telegram_id == first.telegram_id and member.bound_at is not None
    assert member.invite_hash == hashlib.sha256(code.encode()).hexdigest()  # only its SHA-256 is kept


def test_an_expired_invite_is_refused(post_update, telegram_api: FakeTelegramAPI, make_clinic, make_user, frozen_now):
    code = _invite(make_clinic())
    frozen_now(clock.now() + timedelta(hours=24, minutes=1))

    post_update(message_update(make_user(), f"/start staff-{code}"))

    assert telegram_api.last("sendMessage").params["text"] == INVALID
    assert _member().telegram_id is None


def test_two_accounts_opening_one_invite_at_once_bind_it_once(app, telegram_api: FakeTelegramAPI, make_clinic,
                                                              make_user):
    code = _invite(make_clinic())
    users = [make_user().telegram_id, make_user().telegram_id]
    updates = [message_update(user, f"/start staff-{code}") for user in users]
    start = threading.Barrier(len(updates))

    def open_link(update) -> None:
        start.wait()
        app.test_client().post("/telegram/webhook", json=update,
                               headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})

    threads = [threading.Thread(target=open_link, args=(update,)) for update in updates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    answers = sorted(call.params["text"][:8] for call in telegram_api.calls("sendMessage"))
    assert answers == [INVALID[:8], "Welcome,"]
    assert _member().telegram_id in users


def test_an_account_that_is_already_staff_cannot_take_a_second_invite(
    post_update, telegram_api: FakeTelegramAPI, make_clinic, make_user
):
    user = make_user()
    post_update(message_update(user, f"/start staff-{_invite(make_clinic())}"))
    second = _invite(make_clinic())

    post_update(message_update(user, f"/start staff-{second}"))

    refusal = telegram_api.last("sendMessage").params["text"]
    assert refusal == "This Telegram account is already signed in as clinic staff."
    assert db.session.scalar(select(StaffMember).where(StaffMember.telegram_id.is_(None))) is not None


def test_a_made_up_code_is_refused_and_a_plain_start_still_shows_the_patient_menu(
    post_update, telegram_api: FakeTelegramAPI, make_user
):
    user = make_user()

    post_update(message_update(user, "/start staff-not-a-real-code-000000"))
    post_update(message_update(user, "/start"))

    refusal, menu = telegram_api.calls("sendMessage")
    assert refusal.params["text"] == INVALID
    assert menu.params["text"].startswith("Hello, Taras!")


def test_an_invite_code_never_reaches_the_logs(app, caplog, post_update, telegram_api: FakeTelegramAPI, make_clinic,
                                               make_user):
    caplog.set_level(logging.DEBUG)
    clinic = make_clinic()
    invited = app.test_cli_runner().invoke(args=["medsync", "invite-staff", "--role", "admin", "--clinic",
                                                 str(clinic.id)])
    code = re.search(r"start=staff-([A-Za-z0-9_-]+)", invited.stdout).group(1)

    post_update(message_update(make_user(), f"/start staff-{code}"))  # binds
    post_update(message_update(make_user(), f"/start staff-{code}"))  # refused: used
    post_update(message_update(make_user(), f"/start staff-{code[:-1]}"))  # refused: unknown

    assert _member().telegram_id is not None
    # The binding and both refusals are logged (so the check below looks at real lines), without the code.
    invite_lines = [r.getMessage() for r in caplog.records if r.name == "medsync.services.staff_accounts"]
    assert invite_lines == ["staff member %s bound a Telegram account" % _member().id,
                            "a staff invite was refused: unknown, already used, revoked or expired",
                            "a staff invite was refused: unknown, already used, revoked or expired"]
    assert code[:-1] not in caplog.text
