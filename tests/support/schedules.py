"""Writing doctors' and tests' own hours in tests, as rows (the schedule service has its own tests)."""
from __future__ import annotations

from datetime import date, time

from medsync.extensions import db
from medsync.models import DayOverride, OverrideInterval, Rota, RotaInterval


def hours(text: str) -> tuple[time, time]:
    """"09:00-13:00" → (09:00, 13:00)."""
    start, end = text.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def add_rota(*, week: dict[int, list[str]], valid_from: date = date(2026, 1, 1), doctor_id: int | None = None,
             clinic_id: int | None = None, diagnostic_id: int | None = None) -> Rota:
    """A rota from `valid_from`: {ISO weekday: ["09:00-13:00", …]}; committed."""
    rota = Rota(doctor_id=doctor_id, clinic_id=clinic_id, diagnostic_id=diagnostic_id, valid_from=valid_from)
    rota.intervals = [RotaInterval(weekday=weekday, starts_at=start, ends_at=end)
                      for weekday, texts in week.items() for start, end in map(hours, texts)]
    db.session.add(rota)
    db.session.commit()
    return rota


def add_override(*, doctor_id: int, day: date, texts: list[str]) -> DayOverride:
    """Other hours on one day ([]: a day off); committed."""
    override = DayOverride(doctor_id=doctor_id, day=day)
    override.intervals = [OverrideInterval(starts_at=start, ends_at=end) for start, end in map(hours, texts)]
    db.session.add(override)
    db.session.commit()
    return override
