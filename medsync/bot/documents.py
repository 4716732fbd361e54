"""Sending a result PDF: protected from forwarding, uploaded once, then re-sent by Telegram's file_id."""
from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

import telebot
from telebot.types import InputFile, Message

from medsync.models import Result
from medsync.services import result_files, results


@dataclass(frozen=True)
class ResultDocument:
    """A result file to send, as plain values (no session needed while talking to Telegram)."""

    result_id: int
    file_name: str
    stored: result_files.StoredFile
    telegram_file_id: str | None

    @classmethod
    def of(cls, result: Result) -> ResultDocument:
        return cls(result.id, result.file_name, results.stored_file(result), result.telegram_file_id)


def send_result_document(bot: telebot.TeleBot, chat_id: int, document: ResultDocument, caption: str) -> Message:
    """Send the PDF with `protect_content`; after the first upload, keep and reuse Telegram's file_id.

    The first upload decrypts the stored file in memory (ResultFileDamaged, with an alert logged, if it fails its
    integrity check): Telegram gets the plain document, the disk never holds it.
    """
    if document.telegram_file_id:
        return bot.send_document(chat_id, document.telegram_file_id, caption=caption, protect_content=True)
    content = result_files.read(document.stored)
    sent = bot.send_document(
        chat_id, InputFile(BytesIO(content), file_name=document.file_name), caption=caption, protect_content=True
    )
    if sent.document is not None:
        results.remember_file_id(document.result_id, sent.document.file_id)
    return sent
