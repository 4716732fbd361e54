"""Re-encrypting stored result files with RESULTS_KEY's first key: after a key change, and for files stored in plain
before encryption. In batches, each committed on its own, so an interrupted run resumes where it stopped: a row names
the key its file is encrypted with, and only rows naming another key (or none) are left to do."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, or_, select, update

from medsync.config import current_settings
from medsync.errors import ResultFileDamaged, ResultNotFound
from medsync.extensions import db
from medsync.models import DataExport, Result
from medsync.services import result_files


@dataclass
class Rotation:
    """What a run did: files re-encrypted, and the ids of those it could not (gone, or failing their check)."""

    re_encrypted: int = 0
    missing: list[int] = field(default_factory=list)
    damaged: list[int] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing and not self.damaged


def left_to_rotate() -> int:
    """How many result files are not yet encrypted with the first key."""
    return db.session.scalar(select(func.count()).select_from(Result).where(_not_current(Result.encrypted_with)))


def rotate(*, batch_size: int = 100, progress: Callable[[int], None] = lambda done: None) -> Rotation:
    """Re-encrypt every result file (and ready export) not encrypted with the first key, `batch_size` at a time,
    committing each batch; `progress` hears how many rows each batch settled. A file that is gone or fails its
    integrity check is left as it is and reported (its alert logged)."""
    rotation, after_id = Rotation(), 0
    while True:
        batch = db.session.scalars(
            select(Result).where(_not_current(Result.encrypted_with), Result.id > after_id)
            .order_by(Result.id).limit(batch_size).with_for_update(skip_locked=True)
        ).all()
        if not batch:
            break
        for result in batch:
            _rotate_one(rotation, result.id, Path(current_settings().RESULTS_DIR) / result.storage_path,
                        result.encrypted_with, result.sha256, Result)
        after_id = batch[-1].id
        db.session.commit()
        progress(len(batch))
    _rotate_exports(rotation)
    if rotation.complete:
        result_files.write_key_check(result_files.current_keys())
    return rotation


def _rotate_exports(rotation: Rotation) -> None:
    """Exports waiting to be downloaded are few and short-lived: one pass (their sha256 is not kept, the token is
    always encrypted)."""
    exports = db.session.scalars(
        select(DataExport).where(DataExport.storage_path.is_not(None), _not_current(DataExport.encrypted_with))
    ).all()
    for export in exports:
        _rotate_one(rotation, export.id, Path(current_settings().RESULTS_DIR) / export.storage_path,
                    export.encrypted_with, "", DataExport, counted=False)
    db.session.commit()


def _rotate_one(rotation: Rotation, row_id: int, path: Path, encrypted_with: str | None, sha256: str,
                model: type[Result] | type[DataExport], *, counted: bool = True) -> None:
    stored = result_files.StoredFile(row_id, path, encrypted_with, sha256)
    try:
        fingerprint = result_files.re_encrypt(stored)
    except ResultNotFound:
        if counted:
            rotation.missing.append(row_id)
        return
    except ResultFileDamaged:
        if counted:
            rotation.damaged.append(row_id)
        return
    db.session.execute(update(model).where(model.id == row_id).values(encrypted_with=fingerprint))
    if counted:
        rotation.re_encrypted += 1


def _not_current(column):  # noqa: ANN001, ANN202 - a column of either table
    return or_(column.is_(None), column != result_files.current_keys().current)
