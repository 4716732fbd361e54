"""Text PostgreSQL can store: no NUL character and no UTF-16 surrogate code point (neither has a UTF-8 form).

Text a client chose for us (a patient's name in a form, a staff reason) is refused when it holds either;
text Telegram vouches for (a user's name in signed initData, anything in a webhook update) is cleaned, so a
person whose name holds an odd character can still book and use the bot.
"""
from __future__ import annotations

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable(text: str) -> bool:
    """Could PostgreSQL store this text as it is?"""
    return _UNSTORABLE.search(text) is None


def storable(text: str) -> str:
    """The text with NULs dropped and surrogates replaced by U+FFFD (the replacement character)."""
    if is_storable(text):
        return text
    return _UNSTORABLE.sub(lambda found: "" if found.group() == "\x00" else "\ufffd", text)
