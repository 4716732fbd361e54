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
    }
