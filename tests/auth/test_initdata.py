from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest

from medsync.auth.initdata import (
    FUTURE_SKEW_SECONDS,
    InitData,
    InitDataBadSignature,
    InitDataError,
    InitDataExpired,
    InitDataMalformed,
    InitDataMissing,
    InitDataNoUser,
    WebAppUser,
    extract_init_data,
    verify_init_data,
)
from tests.support.initdata import sign_init_data

TOKEN = "123456789:TEST-token_for_unit-tests-only"
OTHER_TOKEN = "987654321:another-test-token"
NOW_TS = 1_700_000_000
NOW = datetime.fromtimestamp(NOW_TS, tz=timezone.utc)
MAX_AGE = 3600
USER = {
    "id": 5_000_000_001,
    "first_name": "Анна",
    "last_name": "O'Neil & Co",
    "username": "anna",
    "language_code": "ru",
    "is_premium": True,
}


def verify(init_data, token=TOKEN, **kw):
    kw.setdefault("max_age", MAX_AGE)
    kw.setdefault("now", NOW)
    return verify_init_data(init_data, token, **kw)


def signed(**kw):
    kw.setdefault("auth_date", NOW_TS - 10)
    return sign_init_data(TOKEN, USER, **kw)


# --------------------------------------------------------------------------- #
# Valid data
# --------------------------------------------------------------------------- #
def test_valid_data_yields_user():
    data = verify(signed(extra={"query_id": "AAQ1", "start_param": "ref_7", "chat_type": "private"}))
    assert isinstance(data, InitData)
    assert data.user == WebAppUser(
        id=5_000_000_001,
        first_name="Анна",
        last_name="O'Neil & Co",
        username="anna",
        language_code="ru",
        is_premium=True,
    )
    assert data.user.full_name == "Анна O'Neil & Co"
    assert data.auth_date == datetime.fromtimestamp(NOW_TS - 10, tz=timezone.utc)
    assert data.auth_date.tzinfo is not None and data.auth_date.utcoffset() == timedelta(0)
    assert data.query_id == "AAQ1"
    assert data.start_param == "ref_7"
    assert data.raw["chat_type"] == "private"
    assert "hash" in data.raw


def test_optional_fields_default_to_none():
    data = sign_init_data(TOKEN, {"id": 7, "first_name": "Bo"}, auth_date=NOW_TS)
    result = verify(data)
    assert result.user.last_name is None
    assert result.user.username is None
    assert result.user.is_premium is None
    assert result.user.full_name == "Bo"
    assert result.query_id is None and result.start_param is None


def test_default_now_is_current_time():
    # No ``now`` passed: helper's default auth_date is "now" as well.
    data = verify_init_data(sign_init_data(TOKEN, USER), TOKEN, max_age=60)
    assert data.user.id == USER["id"]


def test_known_vector_computed_by_hand():
    """Fixed string; expected hash computed here with hmac, not via the helper."""
    token = "111111:AAAbbbCCC"
    user_json = '{"id":42,"first_name":"Ann","username":"ann_42"}'
    fields = {
        "auth_date": "1700000000",
        "query_id": "AAHdF6IQ",
        "signature": "c2lnbmF0dXJl",  # Ed25519 field: part of the HMAC input
        "user": user_json,
    }
    data_check_string = (
        "auth_date=1700000000\n"
        "query_id=AAHdF6IQ\n"
        "signature=c2lnbmF0dXJl\n"
        'user={"id":42,"first_name":"Ann","username":"ann_42"}'
    )
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, data_check_string.encode(), hashlib.sha256).hexdigest()
    # Unsorted on the wire, hash in the middle: order must not matter.
    raw = (
        f"user={quote(user_json, safe='')}&hash={expected}"
        f"&query_id={fields['query_id']}&auth_date={fields['auth_date']}"
        f"&signature={fields['signature']}"
    )
    now = datetime.fromtimestamp(1700000000 + 5, tz=timezone.utc)
    data = verify_init_data(raw, token, max_age=60, now=now)
    assert data.user.id == 42 and data.user.username == "ann_42"
    assert data.raw["signature"] == "c2lnbmF0dXJl"
    # The helper must agree with the hand computation.
    assert sign_init_data(
        token,
        {"id": 42, "first_name": "Ann", "username": "ann_42"},
        auth_date=1700000000,
        extra={"query_id": "AAHdF6IQ", "signature": "c2lnbmF0dXJl"},
    ).endswith(f"&hash={expected}")


# Published vectors (public test fixtures of github.com/Telegram-Mini-Apps/init-data-golang,
# README and validate_test.go) -- tokens are public sample values, not credentials.
PUBLISHED_WITH_SIGNATURE = (
    "user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%20%2B%20-%20%3F%20%5C%2F%22%2C"
    "%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C"
    "%22is_premium%22%3Atrue%2C%22allows_write_to_pm%22%3Atrue%2C%22photo_url%22%3A%22https%3A%5C%2F%5C%2F"
    "t.me%5C%2Fi%5C%2Fuserpic%5C%2F320%5C%2F4FPEE4tmP3ATHa57u6MqTDih13LTOiMoKoLDRG4PnSA.svg%22%7D"
    "&chat_instance=8134722200314281151&chat_type=private&auth_date=1733509682"
    "&signature=TYJxVcisqbWjtodPepiJ6ghziUL94-KNpG8Pau-X7oNNLNBM72APCpi_RKiUlBvcqo5L-LAxIc3dnTzcZX_PDg"
    "&hash=a433d8f9847bd6addcc563bff7cc82c89e97ea0d90c11fe5729cae6796a36d73"
)
PUBLISHED_WITH_SIGNATURE_TOKEN = "7342037359:AAHI25ES9xCOMPokpYoz-p8XVrZUdygo2J4"
PUBLISHED_LEGACY = (
    "query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%22%2C"
    "%22last_name%22%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22%2C"
    "%22is_premium%22%3Atrue%7D&auth_date=1662771648"
    "&hash=c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b2"
)
PUBLISHED_LEGACY_TOKEN = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8"


def test_published_vector_with_signature_field():
    now = datetime.fromtimestamp(1733509682 + 60, tz=timezone.utc)
    data = verify(PUBLISHED_WITH_SIGNATURE, PUBLISHED_WITH_SIGNATURE_TOKEN, now=now)
    assert data.user.id == 279058397
    assert data.user.first_name == "Vladislav + - ? /"
    assert data.user.photo_url == "https://t.me/i/userpic/320/4FPEE4tmP3ATHa57u6MqTDih13LTOiMoKoLDRG4PnSA.svg"
    assert data.user.allows_write_to_pm is True
    # ``signature`` is part of the data-check-string: dropping/renaming it breaks the hash.
    with pytest.raises(InitDataBadSignature):
        verify(PUBLISHED_WITH_SIGNATURE.replace("&signature=", "&signaturx="),
               PUBLISHED_WITH_SIGNATURE_TOKEN, now=now)


def test_published_legacy_vector():
    now = datetime.fromtimestamp(1662771648 + 60, tz=timezone.utc)
    data = verify(PUBLISHED_LEGACY, PUBLISHED_LEGACY_TOKEN, now=now)
    assert data.user.id == 279058397
    assert data.query_id == "AAHdF6IQAAAAAN0XohDhrOrc"


# --------------------------------------------------------------------------- #
# Signature failures
# --------------------------------------------------------------------------- #
def test_tampered_user_field():
    raw = signed()
    assert "5000000001" in raw
    with pytest.raises(InitDataBadSignature) as exc:
        verify(raw.replace("5000000001", "5000000002"))
    assert exc.value.reason == "bad_signature"


def test_tampered_auth_date():
    raw = signed()
    with pytest.raises(InitDataBadSignature):
        verify(raw.replace(f"auth_date={NOW_TS - 10}", f"auth_date={NOW_TS - 5}"))


def test_added_field_breaks_signature():
    with pytest.raises(InitDataBadSignature):
        verify(signed() + "&start_param=admin")


def test_removed_field_breaks_signature():
    raw = signed(extra={"query_id": "Q1"})
    with pytest.raises(InitDataBadSignature):
        verify(raw.replace("query_id=Q1&", ""))


def test_tampered_hash():
    raw = signed()
    prefix, digest = raw.rsplit("&hash=", 1)
    flipped = ("0" if digest[0] != "0" else "1") + digest[1:]
    with pytest.raises(InitDataBadSignature):
        verify(f"{prefix}&hash={flipped}")


@pytest.mark.parametrize("bad_hash", ["abc", "z" * 64, "é" * 64, "0" * 63])
def test_garbage_hash(bad_hash):
    prefix = signed().rsplit("&hash=", 1)[0]
    with pytest.raises(InitDataBadSignature):
        verify(f"{prefix}&hash={quote(bad_hash)}")


def test_wrong_bot_token():
    with pytest.raises(InitDataBadSignature):
        verify(signed(), OTHER_TOKEN)


# --------------------------------------------------------------------------- #
# Time window
# --------------------------------------------------------------------------- #
def test_expired_auth_date():
    raw = signed(auth_date=NOW_TS - MAX_AGE - 1)
    with pytest.raises(InitDataExpired) as exc:
        verify(raw)
    assert exc.value.reason == "expired"


def test_auth_date_exactly_max_age_is_accepted():
    assert verify(signed(auth_date=NOW_TS - MAX_AGE)).user.id == USER["id"]


def test_future_auth_date_rejected():
    with pytest.raises(InitDataExpired):
        verify(signed(auth_date=NOW_TS + FUTURE_SKEW_SECONDS + 1))


def test_small_clock_skew_accepted():
    assert verify(signed(auth_date=NOW_TS + 60)).user.id == USER["id"]


@pytest.mark.parametrize("value", ["", "abc", "-5", "1.5", "١٢٣", "9" * 20])
def test_bad_auth_date_is_malformed(value):
    with pytest.raises(InitDataMalformed):
        verify(signed(extra={"auth_date": value}))


def test_missing_auth_date_is_malformed():
    with pytest.raises(InitDataMalformed):
        verify(signed(extra={"auth_date": None}))


# --------------------------------------------------------------------------- #
# Structure
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_init_data(value):
    with pytest.raises(InitDataMissing) as exc:
        verify(value)
    assert exc.value.reason == "missing"


def test_missing_hash():
    prefix = signed().rsplit("&hash=", 1)[0]
    with pytest.raises(InitDataMalformed):
        verify(prefix)
    with pytest.raises(InitDataMalformed):
        verify(prefix + "&hash=")


def test_missing_user():
    raw = signed(extra={"user": None, "query_id": "Q"})
    assert "user=" not in raw
    with pytest.raises(InitDataNoUser) as exc:
        verify(raw)
    assert exc.value.reason == "no_user"


@pytest.mark.parametrize("value", ["no-equals-sign", "a=1&&b=2", "a=1&b", "%ZZ", "a=%ff%fe&hash=" + "0" * 64])
def test_malformed_query_string(value):
    with pytest.raises(InitDataMalformed) as exc:
        verify(value)
    assert exc.value.reason == "malformed"


def test_too_long_init_data():
    with pytest.raises(InitDataMalformed):
        verify(signed(extra={"start_param": "x" * 20_000}))


def test_too_many_fields():
    with pytest.raises(InitDataMalformed):
        verify(signed(extra={f"f{i}": "1" for i in range(100)}))


@pytest.mark.parametrize(
    "user_value",
    [
        "{not json",
        "[1,2]",
        '"string"',
        "{}",
        '{"id":"42","first_name":"A"}',
        '{"id":42.0,"first_name":"A"}',
        '{"id":true,"first_name":"A"}',
        '{"id":42}',
        '{"id":42,"first_name":null}',
        '{"id":42,"first_name":"A","username":5}',
        '{"id":42,"first_name":"A","is_premium":"yes"}',
        "",
    ],
)
def test_malformed_user_json_with_valid_signature(user_value):
    with pytest.raises(InitDataMalformed):
        verify(signed(extra={"user": user_value}))


@pytest.mark.parametrize("user_id", [0, -1, -(2**63), 2**52 + 1, 2**63 - 1, 2**63, 2**64])
def test_a_signed_user_id_outside_telegrams_range_is_not_a_telegram_user(user_id):
    with pytest.raises(InitDataMalformed):
        verify(sign_init_data(TOKEN, {**USER, "id": user_id}, auth_date=NOW_TS))


@pytest.mark.parametrize("user_id", [1, 2**52])
def test_telegrams_whole_id_range_is_accepted(user_id):
    assert verify(sign_init_data(TOKEN, {**USER, "id": user_id}, auth_date=NOW_TS)).user.id == user_id


def test_a_nul_or_a_lone_surrogate_in_a_signed_name_is_cleaned_not_refused():
    """The person chose the name: they can still sign in, with what PostgreSQL cannot store dropped or replaced."""
    user = {"id": 42, "first_name": "Ta\x00ras", "last_name": "Shev\ud800chenko", "username": "ta\udfffras\x00",
            "language_code": "u\x00k"}
    # As Telegram's JSON writes them: \u0000 and \ud800 escapes, which json.loads turns back into these characters.
    data = verify(signed(extra={"user": json.dumps(user)}))

    assert data.user == WebAppUser(id=42, first_name="Taras", last_name="Shev\ufffdchenko", username="ta\ufffdras",
                                   language_code="uk")


def test_duplicate_keys_rejected():
    raw = signed()
    with pytest.raises(InitDataMalformed):
        verify(raw + f"&auth_date={NOW_TS}")
    with pytest.raises(InitDataMalformed):
        verify(raw + "&hash=" + raw.rsplit("&hash=", 1)[1])


def test_all_errors_share_base_class():
    for cls in (InitDataMissing, InitDataMalformed, InitDataBadSignature, InitDataExpired, InitDataNoUser):
        assert issubclass(cls, InitDataError)
    assert len({c.reason for c in (InitDataMissing, InitDataMalformed, InitDataBadSignature,
                                   InitDataExpired, InitDataNoUser)}) == 5


@pytest.mark.parametrize(
    "make",
    [
        lambda: signed().replace("5000000001", "5000000002"),
        lambda: signed(auth_date=NOW_TS - 10 * MAX_AGE),
        lambda: "bad field with secret-ish-payload",
        lambda: signed(extra={"user": '{"id":"secret-ish-payload"}'}),
        lambda: signed(extra={"user": "{secret-ish-payload"}),
    ],
)
def test_errors_leak_neither_token_nor_init_data(make):
    raw = make()
    with pytest.raises(InitDataError) as exc:
        verify(raw)
    text = str(exc.value) + repr(exc.value)
    assert TOKEN not in text
    assert raw not in text
    assert "secret-ish-payload" not in text
    assert exc.value.__cause__ is None
    assert exc.value.__suppress_context__ or exc.value.__context__ is None


def test_caller_errors_are_value_errors():
    raw = signed()
    with pytest.raises(ValueError):
        verify(raw, "")
    with pytest.raises(ValueError):
        verify(raw, max_age=0)
    with pytest.raises(ValueError):
        verify(raw, now=datetime(2023, 11, 14))  # naive
    # ValueError is not an InitDataError: bugs must not be turned into 401s silently
    assert not issubclass(InitDataError, ValueError)


def test_now_in_other_timezone():
    tz = timezone(timedelta(hours=5))
    assert verify(signed(), now=NOW.astimezone(tz)).user.id == USER["id"]


def test_dataclasses_are_frozen():
    data = verify(signed())
    with pytest.raises(AttributeError):
        data.user.id = 1  # type: ignore[misc]
    with pytest.raises(AttributeError):
        data.query_id = "x"  # type: ignore[misc]


# --------------------------------------------------------------------------- #
# Helper
# --------------------------------------------------------------------------- #
def test_helper_rejects_hash_in_extra():
    with pytest.raises(ValueError):
        sign_init_data(TOKEN, USER, extra={"hash": "x"})


def test_helper_output_is_sorted_with_hash_last():
    raw = signed(extra={"query_id": "Q", "chat_type": "private"})
    keys = [part.split("=", 1)[0] for part in raw.split("&")]
    assert keys[-1] == "hash"
    assert keys[:-1] == sorted(keys[:-1])
    assert "user=%7B%22id%22%3A5000000001%2C%22first_name%22" in raw  # compact JSON


# --------------------------------------------------------------------------- #
# Extraction
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "header, body, expected",
    [
        ("tma abc=1", None, "abc=1"),
        ("TMA abc=1", None, "abc=1"),
        ("Tma   abc=1  ", None, "abc=1"),
        ("tma header=1", "body=1", "header=1"),
        ("Bearer xyz", "body=1", "body=1"),
        ("Bearer xyz", None, None),
        ("tma", "body=1", "body=1"),
        ("tma   ", "body=1", "body=1"),
        ("tmax abc=1", None, None),
        ("", "body=1", "body=1"),
        (None, "body=1", "body=1"),
        (None, "", None),
        (None, "   ", None),
        (None, None, None),
    ],
)
def test_extract_init_data(header, body, expected):
    assert extract_init_data(header, body) == expected


def test_extract_then_verify_roundtrip():
    raw = signed()
    assert verify(extract_init_data(f"tma {raw}", None)).user.id == USER["id"]
    assert verify(extract_init_data(None, raw)).user.id == USER["id"]
