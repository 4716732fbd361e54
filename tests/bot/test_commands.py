"""`flask medsync set-webhook | delete-webhook | setup-bot` against the fake Bot API."""
from __future__ import annotations

from tests.conftest import WEBAPP_URL, WEBHOOK_SECRET
from tests.fakes.telegram_api import FakeTelegramAPI


def test_set_webhook_points_telegram_at_the_public_url_with_the_secret(app, telegram_api: FakeTelegramAPI):
    result = app.test_cli_runner().invoke(args=["medsync", "set-webhook"])

    assert result.exit_code == 0, result.output
    call = telegram_api.last("setWebhook")
    assert call.params["url"] == "https://api.medsync.test/telegram/webhook"
    assert call.params["secret_token"] == WEBHOOK_SECRET
    assert call.json("allowed_updates") == ["message", "callback_query", "my_chat_member"]
    assert call.params["max_connections"] == str(app.config["SETTINGS"].WEBHOOK_MAX_CONNECTIONS)
    assert call.params["drop_pending_updates"].lower() == "false"
    assert WEBHOOK_SECRET not in result.output


def test_delete_webhook(app, telegram_api: FakeTelegramAPI):
    result = app.test_cli_runner().invoke(args=["medsync", "delete-webhook"])

    assert result.exit_code == 0, result.output
    assert telegram_api.last("deleteWebhook").params.get("drop_pending_updates", "false").lower() == "false"


def test_setup_bot_sets_the_menu_button_and_the_commands(app, telegram_api: FakeTelegramAPI):
    result = app.test_cli_runner().invoke(args=["medsync", "setup-bot"])

    assert result.exit_code == 0, result.output
    menu_button = telegram_api.last("setChatMenuButton").json("menu_button")
    assert menu_button["type"] == "web_app" and menu_button["web_app"]["url"] == WEBAPP_URL
    commands = [item["command"] for item in telegram_api.last("setMyCommands").json("commands")]
    assert commands == ["start", "bookings", "results", "language", "phone", "mydata", "help"]
