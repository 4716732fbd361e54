"""Callback data factories (each refuses data over Telegram's 64 bytes). Never split strings by hand."""
from __future__ import annotations

from telebot.callback_data import CallbackData

# Buttons on reminder messages sent by the workers.
reminder_confirm = CallbackData("booking_id", prefix="rc")
reminder_cancel = CallbackData("booking_id", prefix="rx")
