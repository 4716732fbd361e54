"""Cached JSON answers: rendered once, served as bytes with an ETag, never stale.

Catalog answers live with the catalog snapshot they were rendered from, in the language they were rendered
in (`catalog_answer`), so they go when it goes. Free-slot answers (/api/v1 free slots, the compat taken-hours lists) are cached here: an answer is cached per process under everything it depends on: the resource and the days asked, the
patient (for the signed-in variant), the catalog generation (`changes.catalog_generation()`) and the
slot tokens of the resource and the patient (`changes.slot_tokens()`, one MGET per request) — every
booking, cancellation or status change replaces its tokens after commit, so the next request anywhere
misses and recomputes. The tokens are read before the answer is computed, so an answer is never filed
under tokens newer than the data it was computed from. An answer also expires when the booking window
moves over one of its slots (`valid_until`), and after MAX_ANSWER_AGE at most. Without Redis nothing is cached.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from flask import Response, current_app, request
from werkzeug.http import parse_etags

from medsync import clock
from medsync.services import catalog, changes
from medsync.services.availability import Schedule

MAX_ANSWERS = 512  # a month of one doctor's slots is ~40 kB: at most ~20 MB per process


FOREVER = datetime.max.replace(tzinfo=timezone.utc)
# How long a cached free-slots answer may be served at most: the bound on staleness when Redis lost the
# after-commit write of a booking's new tokens (everything else replaces them before the next request).
MAX_ANSWER_AGE = timedelta(seconds=30)


@dataclass(frozen=True)
class Answer:
    body: bytes
    etag: str
    valid_until: datetime = FOREVER

    @classmethod
    def of(cls, text: str, valid_until: datetime = FOREVER) -> Answer:
        body = text.encode()
        return cls(body, hashlib.blake2b(body, digest_size=12).hexdigest(), valid_until)


class _AnswerCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answers: OrderedDict[Hashable, Answer] = OrderedDict()

    def get(self, key: Hashable, now: datetime) -> Answer | None:
        with self.lock:
            answer = self.answers.get(key)
            if answer is None:
                return None
            if now >= answer.valid_until:
                del self.answers[key]
                return None
            self.answers.move_to_end(key)
            return answer

    def put(self, key: Hashable, answer: Answer) -> None:
        with self.lock:
            self.answers[key] = answer
            while len(self.answers) > MAX_ANSWERS:
                self.answers.popitem(last=False)


def _cache() -> _AnswerCache:
    cache = current_app.extensions.get("medsync_slot_answers")
    if cache is None:
        cache = current_app.extensions.setdefault("medsync_slot_answers", _AnswerCache())
    return cache


def cached_answer(
    kind: str, schedule: Schedule, days: tuple[date, date], patient_id: int | None,
    compute: Callable[[datetime], tuple[str, datetime]],
) -> Answer:
    """The answer from this process's cache when nothing it depends on changed, else `compute(now)`'s (JSON, valid_until)."""
    now = clock.now()
    generation = changes.catalog_generation()
    keys = [schedule.key] if patient_id is None else [schedule.key, changes.patient_key(patient_id)]
    tokens = changes.slot_tokens(keys) if generation is not None else None
    key = (kind, schedule.key, days, patient_id, generation, tokens)
    if tokens is not None:
        answer = _cache().get(key, now)
        if answer is not None:
            return answer
    text, valid_until = compute(now)
    answer = Answer.of(text, min(valid_until, now + MAX_ANSWER_AGE))
    if tokens is not None:
        _cache().put(key, answer)
    return answer


def catalog_answer(language: str, name: Hashable, render: Callable[[catalog.Catalog], str]) -> Answer:
    """A catalog answer rendered once per catalog snapshot and language (`render(snapshot)` gives its JSON)."""
    return catalog.current_catalog(language).rendered(name, lambda snapshot: Answer.of(render(snapshot)))


def json_response(answer: Answer, cache_control: str, *, vary: str | None = None) -> Response:
    """The answer's bytes with its ETag; 304 to a client that holds them already."""
    # The raw header, not request.headers / request.if_none_match: a read that sends none pays no parsing.
    asked = request.environ.get("HTTP_IF_NONE_MATCH")
    if asked and parse_etags(asked).contains(answer.etag):
        response = Response(status=304)
    else:
        response = Response(answer.body, content_type="application/json")
    headers = response.headers
    headers["ETag"] = f'"{answer.etag}"'  # a hex digest: nothing to quote
    headers["Cache-Control"] = cache_control
    if vary:
        headers["Vary"] = vary
    return response


def slots_json(spans: list[tuple[datetime, datetime]], schedule: Schedule) -> str:
    """[{"starts_at": ..., "ends_at": ...}] in the clinic's offset, as SlotSchema dumps them."""
    zone = schedule.clinic.zone
    texts: dict[datetime, str] = {}  # a slot's end is mostly the next one's start: each instant formatted once

    def local(instant: datetime) -> str:
        text = texts.get(instant)
        if text is None:
            text = texts[instant] = instant.astimezone(zone).isoformat()
        return text

    return "[" + ",".join(f'{{"starts_at":"{local(start)}","ends_at":"{local(end)}"}}' for start, end in spans) + "]\n"
