"""Avatars drawn as SVG from a slug: initials on a colour chosen by the slug, so one name keeps one colour."""
from __future__ import annotations

import hashlib
import re

from flask import Response

from medsync.errors import NotFound

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
DAY = 24 * 3600
# Dark enough at every hue for white initials (large bold text) to keep at least 3:1 contrast.
_LIGHTNESS = 32


def svg_response(kind: str, slug: str) -> Response:
    """The avatar as image/svg+xml, publicly cacheable for a day."""
    if not _SLUG.fullmatch(slug):
        raise NotFound("No such picture.")
    response = Response(avatar_svg(label(kind, slug), slug), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = f"public, max-age={DAY}"
    return response


def label(kind: str, slug: str) -> str:
    """"olena-kovalenko" → "OK"; a test's short name whole ("mri" → "MRI"), a long one by its first letter."""
    words = [word for word in slug.split("-") if word]
    if kind == "diagnostics" and len(words) == 1 and len(words[0]) <= 4:
        return words[0].upper()
    return "".join(word[0] for word in words[:2]).upper()


def avatar_svg(text: str, seed: str) -> str:
    """A square 96×96 picture: `text` centred in white on a colour derived from `seed`."""
    hue = int(hashlib.sha256(seed.encode()).hexdigest()[:4], 16) % 360
    size = 40 if len(text) <= 2 else 30
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96" role="img">'
        f'<rect width="96" height="96" rx="20" fill="hsl({hue},55%,{_LIGHTNESS}%)"/>'
        f'<text x="48" y="50" dy=".35em" text-anchor="middle" fill="#fff" font-family="system-ui,sans-serif" '
        f'font-size="{size}" font-weight="600">{text}</text></svg>'
    )
