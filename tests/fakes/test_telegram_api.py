"""Tests of the fake Telegram Bot API, driven by pyTelegramBotAPI itself (no medsync code)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import telebot
from telebot import apihelper, types
from telebot.apihelper import ApiTelegramException

from tests.fakes.telegram_api import BOT_USERNAME, MESSAGE_NOT_MODIFIED, FakeTelegramAPI

TOKEN = "123:ABC"
CHAT = 4242


@pytest.fixture
def fake():
    with FakeTelegramAPI() as server:
        yield server


@pytest.fixture
def bot(fake):
    saved = apihelper.API_URL, apihelper.FILE_URL
    apihelper.API_URL = fake.url + "/bot{0}/{1}"
    apihelper.FILE_URL = fake.url + "/file/bot{0}/{1}"
    try:
        yield telebot.TeleBot(TOKEN, threaded=False)
    finally:
        apihelper.API_URL, apihelper.FILE_URL = saved


def _raw(fake: FakeTelegramAPI, method: str, *, data: bytes | None = None, content_type: str | None = None,
         query: str = "") -> tuple[int, dict]:
    url = f"{fake.url}/bot{TOKEN}/{method}" + (f"?{query}" if query else "")
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_url_shapes(fake):
    assert fake.url.startswith("http://127.0.0.1:")
    assert fake.api_url == fake.url + "/bot{0}/{1}"
    assert fake.file_url == fake.url + "/file/bot{0}/{1}"


def test_send_message_recorded_and_parsed(bot, fake):
    markup = types.InlineKeyboardMarkup()
    markup.add(types.InlineKeyboardButton("Confirm", callback_data="confirm:7"))

    msg = bot.send_message(CHAT, "Hello, patient", reply_markup=markup)

    assert isinstance(msg, types.Message)
    assert msg.chat.id == CHAT and msg.chat.type == "private"
    assert msg.text == "Hello, patient"
    assert msg.from_user.is_bot
    assert msg.reply_markup.keyboard[0][0].callback_data == "confirm:7"

    call = fake.wait_for("sendMessage")[0]
    assert call.token == TOKEN
    assert call.params["chat_id"] == str(CHAT) and call.chat_id == str(CHAT)
    assert call.params["text"] == "Hello, patient"
    assert isinstance(call.params["reply_markup"], str)
    assert call.json("reply_markup")["inline_keyboard"][0][0]["callback_data"] == "confirm:7"
    assert not call.failed and call.status == 200 and call.files == {}

    second = bot.send_message(CHAT, "again")
    assert second.message_id == msg.message_id + 1
    assert len(fake.calls("sendMessage")) == 2
    assert fake.calls("sendmessage", chat_id=CHAT)[1].params["text"] == "again"


def test_send_document_upload_and_file_id(bot, fake):
    payload = b"%PDF-1.4\r\n\x00\xff binary \r\n--not-a-boundary\r\n"
    buf = io.BytesIO(payload)
    buf.name = "r.pdf"

    msg = bot.send_document(CHAT, buf, caption="Your results")

    assert msg.document.file_id == "doc-1"
    assert msg.document.file_name == "r.pdf"
    assert msg.caption == "Your results"
    call = fake.last("sendDocument")
    assert call.files["document"] == ("r.pdf", payload)
    assert "document" not in call.params
    assert call.params["chat_id"] == str(CHAT)
    assert call.params["caption"] == "Your results"

    # re-sending by file_id echoes it back; a fresh upload gets a new id
    again = bot.send_document(CHAT + 1, msg.document.file_id)
    assert again.document.file_id == "doc-1"
    assert fake.last("sendDocument").params["document"] == "doc-1"
    # pyTelegramBotAPI writes the multipart filename unquoted and raw UTF-8
    other = bot.send_document(CHAT, io.BytesIO(b"x"), visible_file_name="Анализ крови.pdf")
    assert other.document.file_id == "doc-2"
    assert fake.last("sendDocument").files["document"] == ("Анализ крови.pdf", b"x")

    # the uploaded bytes can be fetched back through getFile + the file URL
    assert bot.download_file(bot.get_file("doc-1").file_path) == payload


def test_a_document_upload_is_read_as_pytelegrambotapi_sends_it(bot, fake):
    # Its filename goes bare and raw (`filename=Аналіз крові 08.12.pdf`, no quotes), its caption in the query.
    payload = b"%PDF-1.7\r\n\xe2\x9c\x93 \r\n--"

    msg = bot.send_document(CHAT, io.BytesIO(payload), visible_file_name="Аналіз крові 08.12.pdf",
                            caption="Результати готові ✓")

    call = fake.last("sendDocument")
    assert call.files == {"document": ("Аналіз крові 08.12.pdf", payload)}
    assert call.params == {"chat_id": str(CHAT), "caption": "Результати готові ✓"}
    assert msg.document.file_name == "Аналіз крові 08.12.pdf" and msg.caption == "Результати готові ✓"


def _multipart(*parts: tuple[bytes, bytes]) -> bytes:
    return b"".join(b"--B0uNd\r\n" + head + b"\r\n\r\n" + content + b"\r\n" for head, content in parts) + b"--B0uNd--\r\n"


def test_a_text_part_is_read_in_the_charset_its_content_type_names(fake):
    # RFC 7578, 4.4: a text field may carry `Content-Type: text/plain; charset=...`.
    body = _multipart(
        (b'Content-Disposition: form-data; name="chat_id"', b"7"),
        (b'Content-Disposition: form-data; name="text"\r\nContent-Type: text/plain; charset=iso-8859-1',
         "Café à 10 h".encode("latin-1")),
    )

    status, _ = _raw(fake, "sendMessage", data=body, content_type="multipart/form-data; boundary=B0uNd")

    assert status == 200 and fake.last().params == {"chat_id": "7", "text": "Café à 10 h"}


def test_a_quote_in_a_filename_arrives_percent_encoded_and_is_read_back(fake):
    # RFC 7578, 4.2 and the HTML form encoding (what urllib3 2 writes): `"` in a filename is sent as %22.
    body = _multipart(
        (b'Content-Disposition: form-data; name="chat_id"', b"7"),
        (b'Content-Disposition: form-data; name="document"; filename="the %22final%22 result.pdf"', b"%PDF"),
    )

    status, _ = _raw(fake, "sendDocument", data=body, content_type="multipart/form-data; boundary=B0uNd")

    assert status == 200 and fake.last().files == {"document": ('the "final" result.pdf', b"%PDF")}


def test_a_multipart_body_without_its_boundary_is_a_bad_request(fake):
    status, body = _raw(fake, "sendMessage", data=b"--x\r\n\r\n", content_type="multipart/form-data")

    assert status == 400 and body["description"] == "Bad Request: multipart boundary is missing"
    assert fake.last().failed


def test_other_methods(bot, fake):
    me = bot.get_me()
    assert me.is_bot and me.username == BOT_USERNAME and me.id == 123

    assert bot.set_webhook("https://example.test/hook", max_connections=5) is True
    info = bot.get_webhook_info()
    assert info.url == "https://example.test/hook" and info.pending_update_count == 0
    assert bot.delete_webhook() is True
    assert bot.get_webhook_info().url == ""

    assert bot.answer_callback_query("cbq-1", "ok") is True
    assert bot.set_my_commands([types.BotCommand("start", "Start")]) is True
    assert bot.set_chat_menu_button(CHAT, types.MenuButtonWebApp(
        "Book", types.WebAppInfo("https://example.test/app"))) is True

    edited = bot.edit_message_text("edited", CHAT, 17)
    assert isinstance(edited, types.Message) and edited.message_id == 17 and edited.text == "edited"
    markup = types.InlineKeyboardMarkup().add(types.InlineKeyboardButton("x", callback_data="x"))
    edited = bot.edit_message_reply_markup(CHAT, 17, reply_markup=markup)
    assert edited.message_id == 17 and edited.reply_markup.keyboard[0][0].callback_data == "x"

    photo = bot.send_photo(CHAT, io.BytesIO(b"\x89PNG"))
    assert photo.photo[-1].file_id.startswith("photo-")
    assert fake.last("sendPhoto").files["photo"][1] == b"\x89PNG"

    assert apihelper._make_request(TOKEN, "someFutureMethod", method="post") is True


def test_parses_json_urlencoded_and_query(fake):
    status, body = _raw(fake, "sendMessage", data=json.dumps(
        {"chat_id": 7, "text": "json", "reply_markup": {"inline_keyboard": []}}).encode(),
        content_type="application/json")
    assert status == 200 and body["ok"] and body["result"]["chat"]["id"] == 7
    call = fake.last()
    assert call.params["chat_id"] == "7" and call.json("reply_markup") == {"inline_keyboard": []}

    status, body = _raw(fake, "sendMessage", data=b"chat_id=8&text=form+%C3%A9",
                        content_type="application/x-www-form-urlencoded")
    assert status == 200 and fake.last().params == {"chat_id": "8", "text": "form \u00e9"}

    status, body = _raw(fake, "sendMessage", query="chat_id=9&text=q")
    assert status == 200 and fake.last().http_method == "GET" and fake.last().params["text"] == "q"

    status, body = _raw(fake, "sendMessage", query="chat_id=9")
    assert status == 400 and body["description"] == "Bad Request: message text is empty"
    assert fake.last().failed


def test_429_switch(bot, fake):
    fake.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(ApiTelegramException) as exc:
        bot.send_message(CHAT, "x")
    assert exc.value.error_code == 429
    assert exc.value.result_json["parameters"]["retry_after"] == 3
    assert exc.value.description == "Too Many Requests: retry after 3"
    # consumed: the retry succeeds, and both attempts are recorded
    bot.send_message(CHAT, "x")
    attempts = fake.calls("sendMessage")
    assert [c.failed for c in attempts] == [True, False]
    assert attempts[0].status == 429
    assert fake.too_many_count == 0  # only the rate enforcement counts


def test_fail_next_times_and_kinds(bot, fake):
    fake.fail_next(status=500, times=2)  # any method
    for _ in range(2):
        with pytest.raises(ApiTelegramException) as exc:
            bot.get_me()
        assert exc.value.error_code == 500 and exc.value.description == "Internal Server Error"
    assert bot.get_me().is_bot

    fake.fail_next("editMessageText", status=400, description=MESSAGE_NOT_MODIFIED)
    bot.send_message(CHAT, "unaffected")
    with pytest.raises(ApiTelegramException) as exc:
        bot.edit_message_text("same", CHAT, 1)
    assert exc.value.error_code == 400 and "message is not modified" in exc.value.description

    fake.fail_next("sendMessage", status=400)
    with pytest.raises(ApiTelegramException) as exc:
        bot.send_message(CHAT, "x")
    assert exc.value.description.startswith("Bad Request")


def test_403_and_fail_chat(bot, fake):
    fake.fail_next("sendMessage", status=403)
    with pytest.raises(ApiTelegramException) as exc:
        bot.send_message(CHAT, "x")
    assert exc.value.error_code == 403
    assert exc.value.description == "Forbidden: bot was blocked by the user"

    fake.fail_chat(CHAT)
    for _ in range(2):
        with pytest.raises(ApiTelegramException) as exc:
            bot.send_document(CHAT, io.BytesIO(b"pdf"), visible_file_name="r.pdf")
        assert exc.value.error_code == 403
    assert bot.send_message(CHAT + 1, "other chat works").chat.id == CHAT + 1
    assert len(fake.calls(chat_id=CHAT, failed=True)) == 3

    fake.clear_failures()
    assert bot.send_message(CHAT, "unblocked").text == "unblocked"


def test_enforce_limits_per_chat():
    with FakeTelegramAPI(enforce_limits=True, global_rate=30, per_chat_rate=1) as fake:
        saved = apihelper.API_URL
        apihelper.API_URL = fake.api_url
        try:
            bot = telebot.TeleBot(TOKEN, threaded=False)
            bot.send_message(CHAT, "first")
            with pytest.raises(ApiTelegramException) as exc:
                bot.send_message(CHAT, "second within a second")
            assert exc.value.error_code == 429
            assert exc.value.result_json["parameters"]["retry_after"] == 1
            bot.send_message(CHAT + 1, "other chat is fine")
            assert bot.answer_callback_query("cbq", "not a send") is True
            assert fake.too_many_count == 1
            assert fake.too_many_by_chat == {str(CHAT): 1}
        finally:
            apihelper.API_URL = saved


def test_enforce_limits_global():
    with FakeTelegramAPI(enforce_limits=True, global_rate=3, per_chat_rate=1) as fake:
        results = [_raw(fake, "sendMessage", query=f"chat_id={i}&text=x")[0] for i in range(5)]
    assert results == [200, 200, 200, 429, 429]
    assert fake.too_many_count == 2


def test_wait_for_across_threads_and_timeout(fake):
    t = threading.Timer(0.05, lambda: _raw(fake, "sendMessage", query="chat_id=1&text=late"))
    t.start()
    try:
        got = fake.wait_for("sendMessage", timeout=2)
    finally:
        t.join()
    assert got[0].params["text"] == "late"

    with pytest.raises(AssertionError) as exc:
        fake.wait_for("sendDocument", count=1, timeout=0.05)
    assert "sendDocument" in str(exc.value) and "sendMessage(chat_id=1)" in str(exc.value)

    fake.clear()
    assert fake.calls() == []


def test_concurrent_calls_are_all_recorded(fake):
    threads = [threading.Thread(target=_raw, args=(fake, "sendMessage"),
                                kwargs={"query": f"chat_id={i}&text=t"}) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    calls = fake.wait_for("sendMessage", count=20, timeout=2)
    ids = sorted(c.result["message_id"] for c in calls)
    assert ids == list(range(1, 21))


def test_latency():
    with FakeTelegramAPI(latency=0.1) as fake:
        import time

        t0 = time.monotonic()
        _raw(fake, "getMe")
        assert time.monotonic() - t0 >= 0.1


def test_unknown_paths_404(fake):
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{fake.url}/file/bot{TOKEN}/documents/nope", timeout=5)
    assert exc.value.code == 404
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{fake.url}/nothing", timeout=5)
    assert exc.value.code == 404


def test_stop_is_idempotent_and_closes_keepalive():
    fake = FakeTelegramAPI().start()
    url = fake.url
    fake.stop()
    fake.stop()
    assert not fake.running
    with pytest.raises(OSError):
        urllib.request.urlopen(url + f"/bot{TOKEN}/getMe", timeout=1)


def test_standalone_main():
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.telegram_api", "--port", "0"],
        cwd=root, stdout=subprocess.PIPE, text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        proc.stdout.readline()  # banner
        with urllib.request.urlopen(f"{url}/bot{TOKEN}/sendMessage?chat_id=55&text=secret", timeout=5) as r:
            assert json.loads(r.read())["ok"]
        line = proc.stdout.readline().strip()
        assert line == "sendMessage chat_id=55"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    assert proc.returncode == 0


def test_command_lists_are_kept_per_scope_and_language_as_telegram_keeps_them(bot, fake):
    chat_scope = types.BotCommandScopeChat(CHAT)
    assert bot.set_my_commands([types.BotCommand("start", "Main menu")]) is True
    assert bot.set_my_commands([types.BotCommand("start", "Main menu"), types.BotCommand("today", "Today")],
                               scope=chat_scope) is True
    assert bot.set_my_commands([types.BotCommand("start", "Головне меню")], language_code="uk") is True

    assert [command.command for command in bot.get_my_commands(scope=chat_scope)] == ["start", "today"]
    assert fake.commands({"type": "chat", "chat_id": CHAT}) == [
        {"command": "start", "description": "Main menu"}, {"command": "today", "description": "Today"}]
    assert fake.commands() == [{"command": "start", "description": "Main menu"}]
    assert fake.commands(language_code="uk") == [{"command": "start", "description": "Головне меню"}]

    assert bot.delete_my_commands(scope=chat_scope) is True
    assert bot.get_my_commands(scope=chat_scope) == [] and fake.commands({"type": "chat", "chat_id": CHAT}) == []
    assert [command.command for command in bot.get_my_commands()] == ["start"]


def test_a_command_list_telegram_would_refuse_is_refused(bot, fake):
    for commands in ([types.BotCommand("Today", "capital letters")], [types.BotCommand("today", "")],
                     [types.BotCommand("x" * 33, "too long")]):
        with pytest.raises(ApiTelegramException) as refused:
            bot.set_my_commands(commands)
        assert refused.value.description == "Bad Request: invalid bot commands specified"
    status, body = _raw(fake, "setMyCommands", data=json.dumps(
        {"commands": [{"command": "start", "description": "Start"}], "scope": {"type": "chat"}}).encode(),
        content_type="application/json")
    assert status == 400 and body["description"] == "Bad Request: chat_id is empty"
    assert fake.commands() == []


def test_answer_next_raw_sends_a_body_that_is_not_the_bot_apis_json(bot, fake):
    fake.answer_next_raw("getMe", b"<html>Gateway</html>")
    with pytest.raises(apihelper.ApiInvalidJSONException):
        bot.get_me()
    fake.answer_next_raw("getMe", b"<html>Bad Gateway</html>", status=502)
    with pytest.raises(apihelper.ApiHTTPException):
        bot.get_me()
    assert bot.get_me().is_bot
    assert [(call.failed, call.status) for call in fake.calls("getMe")] == [(True, 200), (True, 502), (False, 200)]


def test_break_next_download_sends_half_of_the_file_and_closes(bot, fake):
    sent = bot.send_document(CHAT, io.BytesIO(b"%PDF-" + b"x" * 1000), visible_file_name="r.pdf")
    path = bot.get_file(sent.document.file_id).file_path
    fake.break_next_download()
    with pytest.raises(Exception) as broken:  # urllib's own "incomplete read"
        with urllib.request.urlopen(f"{fake.url}/file/bot{TOKEN}/{path}", timeout=5) as response:
            response.read()
    assert "IncompleteRead" in type(broken.value).__name__
    with urllib.request.urlopen(f"{fake.url}/file/bot{TOKEN}/{path}", timeout=5) as response:
        assert response.read() == b"%PDF-" + b"x" * 1000
