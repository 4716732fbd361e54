"""Renaming result files stored under the SHA-256 of their content ("<booking_id>/<sha256>.pdf", before 0013): such a
name lets anyone who holds a document and reads RESULTS_DIR confirm that it is stored. `flask medsync
rename-result-files` gives each a name of no meaning, in batches each committed on its own, and is safe to stop and run
again:

1. each file gets a second name (a hard link: the same bytes, nothing copied or re-encrypted) derived from its row's
   id, so a run stopped before its commit finds the very same link next time instead of leaving a stray one;
2. the row names the new one, and the batch commits;
3. then the old name is removed. A run stopped between its commit and this step leaves old names that no row names
   any more; every run ends by removing those (and any other file left under a content hash, like an upload rolled
   back before encryption's time).

Downloads go on meanwhile: a row names a file that exists at every step.
"""
from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import exists, func, select, update

from medsync.config import current_settings
from medsync.extensions import db
from medsync.models import Result
from medsync.services import result_files

_LEGACY_NAME = re.compile(r"[0-9a-f]{64}\.pdf")
# Renamed files' names: derived from the row's id (never from the content), the same in every run.
_RENAMED = uuid.UUID("6b0f3c4e-2d7a-4a51-9c1e-0d5b7e3f9a20")


@dataclass
class Renaming:
    """What a run did: files renamed, old names removed, and the ids of results whose file is missing."""

    renamed: int = 0
    removed: int = 0
    missing: list[int] = field(default_factory=list)


def left_to_rename() -> int:
    """How many results' files are still named by their content's hash."""
    return db.session.scalar(select(func.count()).select_from(Result).where(_named_by_content()))


def rename_all(*, batch_size: int = 100, progress: Callable[[int], None] = lambda done: None) -> Renaming:
    """Rename every file still named by its content, `batch_size` rows a transaction; then remove old names no row
    names. `progress` hears how many rows each batch settled."""
    root = Path(current_settings().RESULTS_DIR)
    renaming, after_id = Renaming(), 0
    while True:
        batch = db.session.scalars(
            select(Result).where(_named_by_content(), Result.id > after_id)
            .order_by(Result.id).limit(batch_size).with_for_update(skip_locked=True)
        ).all()
        if not batch:
            break
        for result in batch:
            _rename(renaming, root, result)
        after_id = batch[-1].id
        db.session.commit()  # the old names go once the rows naming the new ones are committed
        progress(len(batch))
    renaming.removed = _remove_unnamed_legacy_files(root)
    return renaming


def renamed_path(result: Result) -> str:
    """A renamed file's path under RESULTS_DIR."""
    return f"{result.booking_id}/{uuid.uuid5(_RENAMED, str(result.id)).hex}.pdf"


def _rename(renaming: Renaming, root: Path, result: Result) -> None:
    old, relative = root / result.storage_path, renamed_path(result)
    new = root / relative
    try:
        os.link(old, new)
    except FileExistsError:
        if not os.path.samefile(old, new):  # not our own link from a stopped run: leave both to a person
            raise
    except FileNotFoundError:
        renaming.missing.append(result.id)
        return
    db.session.execute(update(Result).where(Result.id == result.id).values(storage_path=relative))
    result_files.delete_after_commit(old)
    renaming.renamed += 1


def _remove_unnamed_legacy_files(root: Path) -> int:
    """Remove files under "<booking_id>/<sha256>.pdf" that no row names (each checked against the rows)."""
    removed = 0
    for directory in root.iterdir() if root.is_dir() else ():
        if not (directory.is_dir() and directory.name.isdigit()):
            continue  # exports/ and the key check are named otherwise
        for path in directory.iterdir():
            relative = f"{directory.name}/{path.name}"
            if _LEGACY_NAME.fullmatch(path.name) and not db.session.scalar(
                    select(exists().where(Result.storage_path == relative))):
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def _named_by_content():  # noqa: ANN202
    return Result.storage_path == func.concat(Result.booking_id, "/", Result.sha256, ".pdf")
