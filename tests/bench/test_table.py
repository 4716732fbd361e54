"""The bench tables' verdicts: issue 10's targets, and issue 21's goals for the demo database beside the
generated network, applied to one run's numbers (no timing here)."""
from __future__ import annotations

from bench.table import (
    Comparison, Row, Timing, at_least, healthz_row, like_demo, like_healthz, render, render_comparison,
)
from bench.wrk import Measure

HEALTHZ = Measure(requests=20_000, seconds=5.0, p50_ms=4.0, p99_ms=8.0, errors=0)


def measure(rate: float, p99_ms: float, errors: int = 0, exhausted: bool = False) -> Measure:
    return Measure(requests=int(rate * 5), seconds=5.0, p50_ms=p99_ms / 2, p99_ms=p99_ms, errors=errors,
                   exhausted=exhausted)


def test_a_catalog_read_passes_at_80_percent_of_healthz_with_a_tail_within_one_and_a_half_times():
    target = like_healthz(0.8, 1.5)
    assert Row.of("doctors", measure(3_300, 12.0), HEALTHZ, target).verdict == "pass"
    assert Row.of("doctors", measure(3_100, 12.0), HEALTHZ, target).verdict == "FAIL"
    assert Row.of("doctors", measure(3_300, 12.5), HEALTHZ, target).verdict == "FAIL"


def test_a_rate_target_needs_both_the_rate_and_the_tail_and_no_errors():
    target = at_least(500, 150)
    assert Row.of("book", measure(520, 140.0), HEALTHZ, target).verdict == "pass"
    assert Row.of("book", measure(520, 160.0), HEALTHZ, target).verdict == "FAIL"
    assert Row.of("book", measure(480, 140.0), HEALTHZ, target).verdict == "FAIL"
    assert Row.of("book", measure(520, 140.0, errors=1), HEALTHZ, target).verdict == "FAIL (errors)"


def test_the_table_shows_the_ratio_to_the_healthz_run_beside_it_and_says_when_bodies_ran_out():
    rows = [healthz_row([HEALTHZ], cpu_us=300.0),
            Row.of("POST /api/doctors/book_slot", measure(2_000, 40.0, exhausted=True), HEALTHZ, at_least(500, 150))]
    table = render(rows).splitlines()
    assert table[2].startswith("| GET /healthz (touches nothing) | 4,000 | 4.0 | 8.0 | 0 | — | 300 | p99 ≤ 10 ms | pass |")
    assert "| 0.50 |" in table[3] and "bodies ran out" in table[3]


def test_rounds_are_summed_up_by_their_medians_so_one_slow_round_moves_no_verdict():
    from bench.wrk import median

    rounds = [measure(3_300, 12.0), measure(900, 60.0, errors=0), measure(3_500, 11.0)]  # one stalled round
    healthz = [HEALTHZ, Measure(requests=5_000, seconds=5.0, p50_ms=9.0, p99_ms=40.0, errors=0), HEALTHZ]
    summed = median(rounds)
    assert (summed.rate, summed.p99_ms, summed.errors, summed.exhausted) == (3_300, 12.0, 0, False)
    assert Row.of("doctors", summed, median(healthz), like_healthz(0.8, 1.5)).verdict == "pass"
    assert median([measure(500, 10.0, errors=1), measure(500, 10.0, exhausted=True)]).errors == 1
    assert median([measure(500, 10.0), measure(500, 10.0, exhausted=True)]).exhausted


def test_the_network_keeps_a_scenario_when_it_serves_80_percent_of_the_demo_rate_each_beside_its_own_healthz():
    busy_healthz = Measure(requests=10_000, seconds=5.0, p50_ms=8.0, p99_ms=16.0, errors=0)  # half the demo's
    demo = Row.of("day list", measure(400, 20.0), HEALTHZ)
    assert Comparison("day list", demo, Row.of("day list", measure(170, 30.0), busy_healthz), like_demo()).verdict \
        == "met"  # 170/s is 0.85 of the demo's 400/s once each is divided by its own /healthz
    assert Comparison("day list", demo, Row.of("day list", measure(150, 30.0), busy_healthz), like_demo()).verdict \
        == "MISSED"
    assert Comparison("day list", demo, Row.of("day list", measure(400, 30.0, errors=2), HEALTHZ),
                      like_demo()).verdict == "FAIL (errors)"


def test_the_day_list_of_one_clinic_must_also_reach_its_own_rate_on_the_network():
    demo = Row.of("one clinic", measure(400, 20.0), HEALTHZ)
    assert Comparison("one clinic", demo, Row.of("one clinic", measure(380, 20.0), HEALTHZ),
                      like_demo(rate=300)).verdict == "met"
    slow_healthz = Measure(requests=5_000, seconds=5.0, p50_ms=9.0, p99_ms=40.0, errors=0)
    assert Comparison("one clinic", Row.of("one clinic", measure(200, 20.0), slow_healthz),
                      Row.of("one clinic", measure(250, 20.0), slow_healthz), like_demo(rate=300)).verdict == "MISSED"


def test_the_scale_tables_show_both_sides_their_ratio_and_the_timed_jobs_against_their_limits():
    pair = Comparison("free slots", Row.of("free slots", measure(400, 20.0), HEALTHZ),
                      Row.of("free slots", measure(200, 80.0), HEALTHZ), like_demo())
    table = render_comparison([pair], [Timing("no-show marking", 1.18, "374 visits marked", 1.0),
                                       Timing("outbox sweep", 0.02, "0 due messages handed out")])
    lines = table.splitlines()
    assert lines[2] == ("| free slots | 400 | 0.10 | 200 | 0.05 | 20.0 → 80.0 | 0.50 | ≥ 0.8× demo | MISSED |  |")
    assert "| no-show marking | 1.18 | 374 visits marked | < 1 s | MISSED |" in lines
    assert "| outbox sweep | 0.02 | 0 due messages handed out | — |  |" in lines
