"""Error reports to Sentry when SENTRY_DSN is set (sentry-sdk with its Flask and Celery integrations); without it
sentry-sdk is not even imported. A report carries where and what kind of failure, never whom it was about: no
request body, cookies, query string or credential headers, no exception text (it can quote a patient's row or a
Bot API URL holding the bot token), no local variables, no outgoing HTTP breadcrumbs, and any configured secret
that still shows up anywhere is masked.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable
from functools import partial
from typing import Any

from medsync.config import Settings

FILTERED = "[Filtered]"
# Request headers a report keeps; every other one (Authorization, Cookie, the webhook's secret …) is dropped.
KEPT_HEADERS = frozenset({"accept", "accept-language", "content-length", "content-type", "host", "user-agent"})
_KEPT_REQUEST_FIELDS = ("method", "url", "headers")


def init_error_reports(settings: Settings) -> None:
    """Start sentry-sdk for this process when SENTRY_DSN is set; do nothing at all otherwise."""
    if not settings.SENTRY_DSN:
        return
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    secrets = [secret for secret in (settings.BOT_TOKEN, settings.WEBHOOK_SECRET, settings.METRICS_TOKEN) if secret]
    sentry_sdk.init(
        dsn=settings.SENTRY_DSN,
        # Log lines are breadcrumbs, not reports: a failure we handle is reported once, by report_failure.
        integrations=[FlaskIntegration(), CeleryIntegration(), LoggingIntegration(event_level=None)],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=partial(scrub_event, secrets=secrets),
    )


def report_failure(exc: BaseException) -> None:
    """Report a failure the app handled itself (a 500 answered in the error shape, a webhook update or a delivery that
    failed): Sentry's integrations only see exceptions that escape. Nothing when Sentry is off."""
    sentry_sdk = sys.modules.get("sentry_sdk")
    if sentry_sdk is not None and sentry_sdk.get_client().is_active():
        sentry_sdk.capture_exception(exc)


def scrub_event(event: dict[str, Any], _hint: dict[str, Any], *, secrets: Iterable[str] = ()) -> dict[str, Any]:
    """What a report may carry (see the module's docstring); Sentry's before_send."""
    request = event.get("request")
    if isinstance(request, dict):
        kept = {field: request[field] for field in _KEPT_REQUEST_FIELDS if field in request}
        headers = kept.get("headers")
        if isinstance(headers, dict):
            kept["headers"] = {name: value for name, value in headers.items() if name.lower() in KEPT_HEADERS}
        event["request"] = kept
    event.pop("user", None)
    for exception in (event.get("exception") or {}).get("values") or []:
        if exception.get("value"):
            exception["value"] = FILTERED
        _drop_frame_variables(exception.get("stacktrace"))
    for thread in (event.get("threads") or {}).get("values") or []:
        _drop_frame_variables(thread.get("stacktrace"))
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict) and isinstance(breadcrumbs.get("values"), list):
        breadcrumbs["values"] = [crumb for crumb in breadcrumbs["values"] if crumb.get("category") != "httplib"]
    return _masked(event, [secret for secret in secrets if secret])


def _drop_frame_variables(stacktrace: Any) -> None:
    if isinstance(stacktrace, dict):
        for frame in stacktrace.get("frames") or []:
            frame.pop("vars", None)


def _masked(value: Any, secrets: list[str]) -> Any:
    """The value with every secret replaced, in every string it holds."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, FILTERED)
        return value
    if isinstance(value, dict):
        return {key: _masked(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item, secrets) for item in value]
    return value
