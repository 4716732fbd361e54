"""Staff buttons share the bot with the patients' buttons: a press must reach the handler of its own screen."""
from __future__ import annotations

from telebot.callback_data import CallbackData

from medsync.bot import callbacks as patient_callbacks
from medsync.bot.staff import callbacks as staff_callbacks


def test_every_callback_prefix_names_one_kind_of_button():
    factories = [value for module in (patient_callbacks, staff_callbacks) for value in vars(module).values()
                 if isinstance(value, CallbackData)]

    prefixes = [factory.prefix for factory in factories]

    assert len(prefixes) == len(set(prefixes)), sorted(prefixes)
