"""The staff pages in a desktop browser: a Telegram Login Widget sign-in opens a session (cookie + CSRF token)."""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest

from medsync.auth.login_widget import LoginError, verify_login
from medsync.extensions import db
from medsync.services import staff_accounts
from tests.bot.conftest import button, message_update
from tests.conftest import BOT_TOKEN, FROZEN_NOW

MAX_AGE = timedelta(minutes=10)


def widget_fields(telegram_id: int, *, auth_date: datetime = FROZEN_NOW, bot_token: str = BOT_TOKEN,
                  **extra: str) -> dict[str, str]:
    """What the Login Widget sends back, signed as Telegram documents: HMAC-SHA-256 keyed with SHA-256(bot token)."""
    fields = {"id": str(telegram_id), "first_name": "Oksana", "username": "oksana_admin",
              "auth_date": str(int(auth_date.timestamp())), **extra}
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    fields["hash"] = hmac.new(hashlib.sha256(bot_token.encode()).digest(), check.encode(), hashlib.sha256).hexdigest()
    return fields


def sign_in(client, telegram_id: int, next_page: str = "/app/staff/", **options):
    return client.get(f"/app/staff/login/telegram?{urlencode({**widget_fields(telegram_id, **options), 'next': next_page})}")


def csrf_of(client) -> str:
    page = client.get("/app/staff/").get_data(as_text=True)
    return page.split('<meta name="csrf-token" content="', 1)[1].split('"', 1)[0]


# --- the widget's signature ---------------------------------------------------------------------------


def test_a_login_signed_by_telegram_for_our_bot_is_taken():
    login = verify_login(widget_fields(42, photo_url="https://t.me/i/userpic/1.jpg"), BOT_TOKEN, max_age=MAX_AGE,
                         now=FROZEN_NOW + timedelta(minutes=1))

    assert (login.telegram_id, login.first_name, login.username) == (42, "Oksana", "oksana_admin")


@pytest.mark.parametrize(("change", "reason"), [
    (lambda fields: fields.update(id="43"), "bad_signature"),
    (lambda fields: fields.update(hash="0" * 64), "bad_signature"),
    (lambda fields: fields.update(last_name="Added"), "bad_signature"),
    (lambda fields: fields.pop("hash"), "malformed"),
    (lambda fields: fields.update(auth_date="soon"), "malformed"),
])
def test_a_changed_or_incomplete_login_is_refused(change, reason):
    fields = widget_fields(42)
    change(fields)

    with pytest.raises(LoginError) as refused:
        verify_login(fields, BOT_TOKEN, max_age=MAX_AGE, now=FROZEN_NOW)

    assert refused.value.reason == reason


def test_a_login_signed_for_another_bot_is_refused():
    with pytest.raises(LoginError, match="bad_signature"):
        verify_login(widget_fields(42, bot_token="999:OTHER"), BOT_TOKEN, max_age=MAX_AGE, now=FROZEN_NOW)


@pytest.mark.parametrize("signed", [FROZEN_NOW - MAX_AGE - timedelta(seconds=1), FROZEN_NOW + timedelta(hours=1)])
def test_a_stale_login_or_one_from_the_future_is_refused(signed):
    with pytest.raises(LoginError, match="expired"):
        verify_login(widget_fields(42, auth_date=signed), BOT_TOKEN, max_age=MAX_AGE, now=FROZEN_NOW)


# --- the session --------------------------------------------------------------------------------------


def test_a_staff_member_signs_in_and_gets_a_protected_session_cookie(client, frozen_now, make_staff):
    admin = make_staff("admin", name="Oksana Admin")

    response = sign_in(client, admin.telegram_id, "/app/staff/?tab=1")

    assert response.status_code == 303
    assert response.headers["Location"] == "/app/staff/?tab=1"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("medsync_staff=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/;" in cookie and "Secure" not in cookie
    me = client.get("/api/v1/staff/me")
    assert me.status_code == 200
    assert (me.json["actor_id"], me.json["name"], me.json["role"]) == (admin.actor_id, "Oksana Admin", "admin")
    assert me.json["holds"] == ["reception", "doctor", "admin"]


def test_over_https_the_session_cookie_is_secure(app, frozen_now, make_staff):
    admin = make_staff("admin")
    client = app.test_client()

    response = client.get(f"https://medsync.test/app/staff/login/telegram?{urlencode(widget_fields(admin.telegram_id))}")

    assert "Secure" in response.headers["Set-Cookie"]


def test_a_write_with_the_session_cookie_needs_the_sessions_csrf_token(client, frozen_now, make_staff):
    member = make_staff("reception")
    sign_in(client, member.telegram_id)
    token = csrf_of(client)

    without = client.post("/api/v1/staff/reminders/run", json={})
    wrong = client.post("/api/v1/staff/reminders/run", json={}, headers={"X-CSRF-Token": token[:-1] + "x"})
    right = client.post("/api/v1/staff/reminders/run", json={}, headers={"X-CSRF-Token": token})

    assert (without.status_code, wrong.status_code, right.status_code) == (403, 403, 202)
    assert without.json["message"] == ("This page's session check is missing or out of date. Reload the page and "
                                       "try again.")


def test_a_page_carries_the_csrf_token_only_for_a_signed_in_browser(client, frozen_now, make_staff):
    member = make_staff("reception")

    anonymous = client.get("/app/staff/").get_data(as_text=True)
    sign_in(client, member.telegram_id)
    signed_in = client.get("/app/staff/")

    assert 'name="csrf-token"' not in anonymous
    assert 'name="csrf-token"' in signed_in.get_data(as_text=True)
    assert signed_in.headers["Cache-Control"] == "no-store"


def test_an_account_that_is_not_staff_gets_no_session(client, frozen_now, make_user):
    patient = make_user()

    response = sign_in(client, patient.telegram_id)

    assert response.status_code == 403
    assert "This Telegram account is not an active clinic staff member." in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert client.get("/api/v1/staff/me").status_code == 401


def test_a_forged_sign_in_gets_no_session(client, frozen_now, make_staff):
    member = make_staff("admin")
    fields = widget_fields(member.telegram_id)
    fields["id"] = str(member.telegram_id + 1)

    response = client.get(f"/app/staff/login/telegram?{urlencode(fields)}")

    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers


def test_a_revoked_member_loses_their_session_at_once(client, frozen_now, make_staff):
    member = make_staff("admin")
    sign_in(client, member.telegram_id)
    staff_accounts.revoke(member.id)
    db.session.commit()

    assert client.get("/api/v1/staff/me").status_code == 401


def test_signing_out_needs_the_csrf_token_and_ends_the_session(client, frozen_now, make_staff):
    member = make_staff("admin")
    sign_in(client, member.telegram_id)
    token = csrf_of(client)

    forged = client.post("/app/staff/logout", data={})
    signed_out = client.post("/app/staff/logout", data={"csrf_token": token})

    assert forged.status_code == 403
    assert signed_out.status_code == 303 and signed_out.headers["Location"] == "/app/staff/login"
    assert client.get("/api/v1/staff/me").status_code == 401


@pytest.mark.parametrize("next_page", ["https://evil.example/", "//evil.example/app/staff/", "/app/bookings",
                                       "/app/staff/login"])
def test_after_signing_in_the_browser_stays_on_the_staff_pages(client, frozen_now, make_staff, next_page):
    member = make_staff("admin")

    response = sign_in(client, member.telegram_id, next_page)

    assert response.headers["Location"] == "/app/staff/"


def test_the_sign_in_page_shows_telegrams_widget_for_our_bot(app, client, monkeypatch, app_context):
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"],
                                                                    BOT_USERNAME="medsync_test_bot"))

    response = client.get("/app/staff/login?next=/app/staff/")

    page = response.get_data(as_text=True)
    assert 'data-telegram-login="medsync_test_bot"' in page
    assert 'data-auth-url="http://localhost/app/staff/login/telegram?next=/app/staff/"' in page
    assert "frame-src https://oauth.telegram.org" in response.headers["Content-Security-Policy"]


# --- inside Telegram ----------------------------------------------------------------------------------


def test_a_member_in_telegram_is_told_who_they_are_and_their_clinics(client, make_staff, make_clinic, tma_headers):
    first, second = make_clinic(), make_clinic()
    doctor_member = make_staff("reception", clinics=[first, second], name="Iryna Desk")

    me = client.get("/api/v1/staff/me", headers=tma_headers(doctor_member.telegram_id))

    assert me.json["role"] == "reception" and me.json["holds"] == ["reception", "doctor"]
    assert [clinic["id"] for clinic in me.json["clinics"]] == [first.id, second.id]


def test_the_bots_staff_message_opens_the_staff_pages(post_update, telegram_api, make_staff):
    member = make_staff("admin")

    post_update(message_update(member.telegram_id, "/staff"))

    assert button(telegram_api.last("sendMessage"), "🗂 Staff pages")["web_app"] == {
        "url": "https://webapp.medsync.test/staff/"}
