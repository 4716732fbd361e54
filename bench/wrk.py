"""wrk, the C load generator (Debian package `wrk`): one timed run against one URL and its numbers."""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk.lua")
THREADS = 2


@dataclass(frozen=True)
class Measure:
    """What one wrk run saw: completed requests, p50/p99 latency, every non-2xx/3xx or socket error, and
    whether its bodies ran out before the time did (then the rate is understated)."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    exhausted: bool = False

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (apt-get install wrk)")


def run(url: str, *, seconds: float, connections: int, bodies: Path | None = None, method: str = "POST",
        headers: dict[str, str] | None = None, line_header: str | None = None) -> Measure:
    """wrk -t2 -c`connections` on `url`; with `bodies`, each line of that file is sent once as a body, or, with
    `line_header`, is that header's value (a user's credentials), the lines taken in turn as often as needed."""
    command = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
               "-s", str(SCRIPT)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    if bodies is not None:
        command += ["--", str(bodies), method, str(THREADS), *([line_header] if line_header else [])]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next((line for line in output.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    return Measure(**json.loads(line.removeprefix("BENCH ")))


def median(measures: list[Measure]) -> Measure:
    """The rounds of one scenario as one measure: the median rate, p50 and p99; every error; exhausted if any was."""
    seconds = statistics.median(measure.seconds for measure in measures)
    return Measure(requests=round(statistics.median(measure.rate for measure in measures) * seconds), seconds=seconds,
                   p50_ms=statistics.median(measure.p50_ms for measure in measures),
                   p99_ms=statistics.median(measure.p99_ms for measure in measures),
                   errors=sum(measure.errors for measure in measures),
                   exhausted=any(measure.exhausted for measure in measures))
