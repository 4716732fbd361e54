"""Test helper: build Telegram Mini App initData signed with a bot token.

Usage::

    from tests.support.initdata import sign_init_data

    init_data = sign_init_data(BOT_TOKEN, {"id": 42, "first_name": "Ann"})
    client.get("/api/...", headers={"Authorization": f"tma {init_data}"})

Deliberately independent of ``medsync.auth.initdata`` (it re-implements the
signing side of Telegram's algorithm with hmac/hashlib directly).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import quote, urlencode

__all__ = ["sign_init_data", "compute_hash"]


def _to_field(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compute_hash(bot_token: str, fields: dict[str, str]) -> str:
    """Hex HMAC of the data-check-string of ``fields`` (which must not hold ``hash``)."""
    data_check_string = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret_key = hmac.new(b"WebAppData", bot_token.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(secret_key, data_check_string.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_init_data(
    bot_token: str,
    user: dict,
    *,
    auth_date: int | None = None,
    extra: dict | None = None,
) -> str:
    """Return an initData query string signed with ``bot_token``.

    - ``user`` is serialized as compact JSON (``{"id":1,"first_name":"A"}``).
    - ``auth_date`` defaults to the current Unix time.
    - ``extra`` adds fields (``query_id``, ``start_param``, ``signature``,
      ``chat_type``...). dict/list values are compact-JSON encoded, other
      values ``str()``-ed. ``extra`` may also override ``user``/``auth_date``
      with a raw string (e.g. deliberately broken JSON that is still validly
      signed), and a value of ``None`` removes that field entirely (e.g.
      ``extra={"user": None}`` signs data without a user).
    - Fields are sorted, percent-encoded (spaces as ``%20``), ``hash`` last.
    """
    fields: dict[str, Any] = {
        "auth_date": int(time.time()) if auth_date is None else auth_date,
        "user": user,
    }
    if extra:
        if "hash" in extra:
            raise ValueError("extra must not contain 'hash'; it is computed")
        fields.update(extra)
    encoded = {k: _to_field(v) for k, v in fields.items() if v is not None}
    ordered = [(k, encoded[k]) for k in sorted(encoded)]
    ordered.append(("hash", compute_hash(bot_token, encoded)))
    return urlencode(ordered, quote_via=quote, safe="")
