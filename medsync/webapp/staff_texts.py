"""Texts the staff pages' scripts show (rendered into the page as #page-texts, read by app.js's t())."""
from __future__ import annotations

from flask_babel import gettext


def staff_texts() -> dict[str, str]:
    """Every text the staff scripts show, translated; `{name}` marks a value the script fills in."""
    return {
        "role_admin": gettext("Admin"),
        "role_reception": gettext("Reception"),
        "role_doctor": gettext("Doctor"),
        "role_none": gettext("Staff token"),
        "signed_in_as": gettext("{name} · {role}"),
        "loading": gettext("Loading…"),
        "inactive": gettext("Hidden from patients"),
        "no_doctors": gettext("No doctors match."),
        "price_minutes": gettext("{price} · {minutes} min"),
        "saved": gettext("Saved."),
        "photo_saved": gettext("The photo is saved."),
        "nothing_yet": gettext("Nothing here yet."),
        "weekday_1": gettext("Mon"), "weekday_2": gettext("Tue"), "weekday_3": gettext("Wed"),
        "weekday_4": gettext("Thu"), "weekday_5": gettext("Fri"), "weekday_6": gettext("Sat"),
        "weekday_7": gettext("Sun"),
        "closed": gettext("closed"),
        "audit_line": gettext("{when} · {who}"),
    }
