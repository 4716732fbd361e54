"""Sentry: nothing at all without SENTRY_DSN; with it, reports of handled failures and of anything else, scrubbed of
personal data and secrets before they leave. Each case runs in a fresh process: sentry-sdk patches libraries
process-wide when it starts."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "123456:SENTRY-test-token"
PHONE = "+380671112233"

# Builds the app as wsgi.py does, answers a request that fails inside a view (a handled 500), captures a sample event
# like one an integration makes, and prints what would have been sent to Sentry: one JSON event per line.
_SCRIPT = f"""
import json, sys
from medsync import create_app

app = create_app()
print(json.dumps({{"sentry_imported": "sentry_sdk" in sys.modules}}))
if "sentry_sdk" not in sys.modules:
    sys.exit(0)
import sentry_sdk

sent = []
sentry_sdk.get_client().transport.capture_envelope = lambda envelope: sent.extend(
    item.payload.json for item in envelope.items if item.payload.json and "exception" in item.payload.json
    or (item.payload.json or {{}}).get("message"))

@app.post("/fail")
def fail():
    raise RuntimeError("https://api.telegram.org/bot{BOT_TOKEN}/sendMessage for {PHONE}")

app.test_client().post("/fail?initData=hash%3Dabc", data="phone={PHONE}",
                       headers={{"Authorization": "tma query_id=1&hash=abc", "Cookie": "session=s3cret",
                                 "X-Telegram-Bot-Api-Secret-Token": "webhook-secret", "User-Agent": "pytest"}})
sentry_sdk.capture_event({{
    "message": "sample", "user": {{"id": 700000001, "username": "zinoviia_k"}},
    "request": {{"url": "http://medsync.test/api/v1/bookings", "method": "POST", "query_string": "initData=x",
                "data": {{"patient": {{"phone": "{PHONE}"}}}}, "cookies": {{"session": "s3cret"}},
                "headers": {{"Authorization": "tma hash=abc", "Content-Type": "application/json"}},
                "env": {{"REMOTE_ADDR": "203.0.113.7"}}}},
    "breadcrumbs": {{"values": [
        {{"category": "httplib", "data": {{"url": "https://api.telegram.org/bot{BOT_TOKEN}/sendMessage"}}}},
        {{"category": "medsync", "message": "booked {{}}".format(42)}}]}},
    "extra": {{"note": "the token {BOT_TOKEN} again"}},
}})
sentry_sdk.flush()
for event in sent:
    print(json.dumps(event))
"""


def _run(**settings: str) -> list[dict]:
    env = {**os.environ, "BOT_TOKEN": BOT_TOKEN, "WEBHOOK_SECRET": "webhook-secret", "LOG_LEVEL": "CRITICAL"}
    env.pop("SENTRY_DSN", None)
    env.update(settings)
    finished = subprocess.run([sys.executable, "-c", _SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=60)
    assert finished.returncode == 0, finished.stderr
    return [json.loads(line) for line in finished.stdout.splitlines()]


def test_without_sentry_dsn_sentry_sdk_is_not_even_imported():
    assert _run() == [{"sentry_imported": False}]


def test_with_sentry_dsn_a_handled_failure_is_reported_without_its_text_request_data_or_secrets():
    started, failure, sample = _run(SENTRY_DSN="http://public@127.0.0.1:9/1")

    assert started == {"sentry_imported": True}
    assert [value["type"] for value in failure["exception"]["values"]] == ["RuntimeError"]
    assert failure["exception"]["values"][0]["value"] == "[Filtered]"
    assert failure["request"]["method"] == "POST" and failure["request"]["url"].endswith("/fail")
    assert set(failure["request"]["headers"]) == {"User-Agent", "Host", "Content-Length"}
    for event in (failure, sample):
        text = json.dumps(event)
        assert [secret for secret in (BOT_TOKEN, PHONE, "s3cret", "webhook-secret", "hash=abc", "zinoviia_k")
                if secret in text] == []
        assert "vars" not in text
    assert set(sample["request"]) == {"url", "method", "headers"}
    assert sample["request"]["headers"] == {"Content-Type": "application/json"}
    assert [crumb.get("category") for crumb in sample["breadcrumbs"]["values"]] == ["medsync"]
    assert sample["extra"]["note"] == "the token [Filtered] again"
