"""Avatars drawn as SVG: a doctor's or a test's initials from its name, on a colour chosen by its slug."""
from __future__ import annotations

import hashlib
import re
import unicodedata

from flask import Response
from flask_babel import gettext as _
from markupsafe import escape

from medsync.errors import NotFound
from medsync.services import catalog

DAY = 24 * 3600
# Dark enough at every hue for white initials (large bold text) to keep at least 3:1 contrast.
_LIGHTNESS = 32
# A person's names are split at spaces ("Anna-Maria Nowak" → A, N); a test's also at dashes ("X-ray" → X, R).
_SPACES = re.compile(r"\s+")
_SPACES_AND_DASHES = re.compile(r"[\s\-\u2010-\u2015]+")


def svg_response(kind: str, slug: str) -> Response:
    """The avatar of the catalog's doctor or test with this slug as image/svg+xml, publicly cacheable for a day."""
    name = catalog.current_catalog().avatar_names.get((kind, slug))
    if name is None:
        raise NotFound(_("No such picture."))
    response = Response(avatar_svg(initials(kind, name), slug), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = f"public, max-age={DAY}"
    return response


def initials(kind: str, name: str) -> str:
    """A person by first and last name ("Dr. Ірина Бондаренко" → "ІБ"); a test by a short name whole ("MRI")
    or by its first two words ("Blood test" → "BT")."""
    breaks = _SPACES_AND_DASHES if kind == "diagnostics" else _SPACES
    words = [word for word in breaks.split(unicodedata.normalize("NFC", name))
             if any(char.isalpha() for char in word) and not word.endswith(".")]  # "Dr.", "O." are not names
    if not words:
        return name.strip()[:1].upper()
    if kind == "diagnostics" and len(words) == 1 and len(words[0]) <= 4:
        return words[0].upper()
    chosen = words[:2] if kind == "diagnostics" or len(words) == 1 else [words[0], words[-1]]
    return "".join(next(char for char in word if char.isalpha()) for word in chosen).upper()


def avatar_svg(text: str, seed: str) -> str:
    """A square 96×96 picture: `text` centred in white on a colour derived from `seed`."""
    hue = int(hashlib.sha256(seed.encode()).hexdigest()[:4], 16) % 360
    size = 40 if len(text) <= 2 else 30
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96" role="img">'
        f'<rect width="96" height="96" rx="20" fill="hsl({hue},55%,{_LIGHTNESS}%)"/>'
        f'<text x="48" y="50" dy=".35em" text-anchor="middle" fill="#fff" font-family="system-ui,sans-serif" '
        f'font-size="{size}" font-weight="600">{escape(text)}</text></svg>'
    )
