"""The one table `python -m bench` prints: each scenario next to /healthz from the same run, with issue 10's
target and whether this run met it."""
from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.wrk import Measure


@dataclass(frozen=True)
class Target:
    """Issue 10's goal for a scenario: a text for the table and a test of one run's numbers."""

    text: str
    met: Callable[["Row", Measure | None], bool]


@dataclass
class Row:
    scenario: str
    rate: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int | None = None
    healthz: Measure | None = None  # the /healthz run just before this scenario's
    cpu_us: float | None = None  # gunicorn's CPU time (master and workers) per request; PostgreSQL's is not in it
    target: Target | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, scenario: str, measure: Measure, healthz: Measure | None, target: Target | None = None) -> "Row":
        row = cls(scenario, rate=measure.rate, p50_ms=measure.p50_ms, p99_ms=measure.p99_ms, errors=measure.errors,
                  healthz=healthz, target=target)
        if measure.exhausted:
            row.notes.append("bodies ran out before the time did: the rate is understated, run shorter")
        return row

    @property
    def ratio(self) -> float | None:
        if self.rate is None or self.healthz is None or not self.healthz.rate:
            return None
        return self.rate / self.healthz.rate

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        if self.errors:
            return "FAIL (errors)"
        return "pass" if self.target.met(self, self.healthz) else "FAIL"


def at_least(rate: float, p99_ms: float | None = None) -> Target:
    text = f"≥ {rate:,.0f}/s" + (f", p99 ≤ {p99_ms:g} ms" if p99_ms is not None else "")
    return Target(text, lambda row, _: row.rate >= rate and (p99_ms is None or row.p99_ms <= p99_ms))


def like_healthz(share: float, tail: float) -> Target:
    return Target(f"≥ {share:.0%} of /healthz, p99 ≤ {tail:g}× its",
                  lambda row, healthz: row.ratio >= share and row.p99_ms <= tail * healthz.p99_ms)


def p99_at_most(p99_ms: float) -> Target:
    return Target(f"p99 ≤ {p99_ms:g} ms", lambda row, _: row.p99_ms <= p99_ms)


def healthz_row(runs: list[Measure], cpu_us: float | None) -> Row:
    """/healthz over the run: the median of its runs, the range in the notes."""
    rates, tails = [run.rate for run in runs], [run.p99_ms for run in runs]
    row = Row("GET /healthz (touches nothing)", rate=statistics.median(rates),
              p50_ms=statistics.median(run.p50_ms for run in runs), p99_ms=statistics.median(tails),
              errors=sum(run.errors for run in runs), target=p99_at_most(10), cpu_us=cpu_us)
    row.notes.append(f"{len(runs)} run{'s' if len(runs) > 1 else ''}: {min(rates):,.0f}–{max(rates):,.0f}/s, p99 {min(tails):.1f}–{max(tails):.1f} ms")
    return row


def render(rows: list[Row]) -> str:
    """A Markdown table (README's benchmark section is rewritten from it)."""
    lines = ["| scenario | req/s | p50 ms | p99 ms | errors | × /healthz | gunicorn CPU µs/req | target | result | notes |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for row in rows:
        cells = [
            row.scenario,
            _number(row.rate, "{:,.0f}"), _number(row.p50_ms, "{:.1f}"), _number(row.p99_ms, "{:.1f}"),
            _number(row.errors, "{}"), _number(row.ratio, "{:.2f}"), _number(row.cpu_us, "{:,.0f}"),
            row.target.text if row.target else "—", row.verdict, "; ".join(row.notes),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _notes(pair: Comparison) -> list[str]:
    notes = []
    for name, row in (("demo", pair.demo), ("network", pair.network)):
        if row.errors:
            notes.append(f"{name}: {row.errors:,} errors (non-2xx, timeouts after 10 s)")
        notes += [f"{name} {note}" for note in row.notes]
    return notes


def _number(value: float | None, form: str) -> str:
    return "—" if value is None else form.format(value)


@dataclass(frozen=True)
class Goal:
    """Issue 21's goal for a scenario run on the demo database and on the generated network."""

    text: str
    met: Callable[["Comparison"], bool]


@dataclass
class Comparison:
    """One scenario on both databases. Each side's rate is first divided by its own /healthz runs (same server,
    seconds apart), so the ratio of the two compares the databases, not two moments of a shared machine."""

    scenario: str
    demo: Row
    network: Row
    goal: Goal | None = None

    @property
    def ratio(self) -> float | None:
        if self.demo.ratio is None or self.network.ratio is None or not self.demo.ratio:
            return None
        return self.network.ratio / self.demo.ratio

    @property
    def verdict(self) -> str:
        if self.goal is None:
            return ""
        if self.demo.errors or self.network.errors:
            return "FAIL (errors)"
        return "met" if self.ratio is not None and self.goal.met(self) else "MISSED"


def like_demo(share: float = 0.8, rate: float | None = None) -> Goal:
    text = f"≥ {share:g}× demo" + (f", ≥ {rate:,.0f}/s" if rate is not None else "")
    return Goal(text, lambda pair: pair.ratio >= share and (rate is None or pair.network.rate >= rate))


@dataclass(frozen=True)
class Timing:
    """Something done once on the network (its generation, a nightly job): how long, what it did, the goal."""

    what: str
    seconds: float
    done: str
    limit_seconds: float | None = None

    @property
    def verdict(self) -> str:
        if self.limit_seconds is None:
            return ""
        return "met" if self.seconds < self.limit_seconds else "MISSED"


def render_comparison(pairs: list[Comparison], timings: list[Timing]) -> str:
    """Two Markdown tables: the HTTP scenarios on both databases, then what was timed once on the network."""
    lines = ["| scenario | demo req/s | × /healthz | network req/s | × /healthz | p99 ms demo → network | "
             "network ÷ demo | goal | result | notes |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for pair in pairs:
        cells = [
            pair.scenario, _number(pair.demo.rate, "{:,.0f}"), _number(pair.demo.ratio, "{:.2f}"),
            _number(pair.network.rate, "{:,.0f}"), _number(pair.network.ratio, "{:.2f}"),
            f"{_number(pair.demo.p99_ms, '{:,.1f}')} → {_number(pair.network.p99_ms, '{:,.1f}')}",
            _number(pair.ratio, "{:.2f}"), pair.goal.text if pair.goal else "—", pair.verdict, "; ".join(_notes(pair)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| on the network, once | seconds | what it did | goal | result |", "|---|---:|---|---|---|"]
    for timing in timings:
        goal = f"< {timing.limit_seconds:g} s" if timing.limit_seconds is not None else "—"
        lines.append(f"| {timing.what} | {timing.seconds:,.2f} | {timing.done} | {goal} | {timing.verdict} |")
    return "\n".join(lines)
