"""Every text of the Mini App is in the gettext catalog, so a new language needs no template change."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "medsync" / "webapp" / "translations"


def msgids(catalog) -> set:
    """The catalog's message ids (a plural's as its singular and plural pair)."""
    return {tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id for message in catalog if message.id}


def test_the_template_holds_every_text_in_the_templates_and_scripts_texts(tmp_path):
    extracted = tmp_path / "messages.pot"
    subprocess.run(
        [Path(sys.executable).parent / "pybabel", "-q", "extract", "-F", "babel.cfg", "--no-location",
         "-o", str(extracted), "."], cwd=ROOT, check=True,
    )
    with extracted.open("rb") as fresh, (TRANSLATIONS / "messages.pot").open("rb") as committed:
        assert msgids(read_po(fresh)) == msgids(read_po(committed)), "run `make translations`"


def test_every_catalog_covers_the_template_and_is_compiled():
    with (TRANSLATIONS / "messages.pot").open("rb") as template:
        wanted = msgids(read_po(template))
    for po_file in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        with po_file.open("rb") as source:
            catalog = read_po(source)
        assert msgids(catalog) == wanted, po_file
        with po_file.with_suffix(".mo").open("rb") as compiled:
            translated = {message.id for message in catalog if message.id and message.string
                          and not isinstance(message.id, (list, tuple))}
            assert translated <= msgids(read_mo(compiled)), f"{po_file}: run `make translations`"
