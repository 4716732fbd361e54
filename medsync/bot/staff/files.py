"""Fetching a file a staff member sent: getFile, then the download, bounded in time and size.

pyTelegramBotAPI's download_file has no timeout and reads the whole body; a webhook request must
neither hang on Telegram nor hold an oversized upload in memory, so the download is done here.
"""
from __future__ import annotations

import requests
import telebot
import urllib3
from telebot import apihelper
from telebot.apihelper import ApiException

DOWNLOAD_TIMEOUT = (3, 30)  # seconds: connect, then between bytes


class DownloadFailed(Exception):
    """Telegram did not hand the file over (its message is never logged: the URL holds the bot token)."""


# Every way Telegram can fail to hand a file over: getFile refused or answered with something that is not the Bot
# API's JSON (ApiException covers both), the connection failing, and the body breaking off while it is read (reading
# the raw stream raises urllib3's own errors, not requests').
_FAILURES = (ApiException, requests.RequestException, urllib3.exceptions.HTTPError)


def download(bot: telebot.TeleBot, file_id: str, *, max_bytes: int) -> bytes:
    """The file's bytes, at most max_bytes + 1 of them (one more than allowed tells that it is too large)."""
    try:
        path = bot.get_file(file_id).file_path
        if not path:
            raise DownloadFailed("no file_path")  # Telegram gives none for a file it will not serve
        with requests.get(apihelper.FILE_URL.format(bot.token, path), timeout=DOWNLOAD_TIMEOUT,
                          stream=True) as response:
            if response.status_code != 200:
                raise DownloadFailed(f"HTTP {response.status_code}")
            return response.raw.read(max_bytes + 1, decode_content=True)
    except _FAILURES as exc:
        raise DownloadFailed(type(exc).__name__) from None
