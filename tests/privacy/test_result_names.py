"""Result files are not named by the SHA-256 of their content (a name that lets anyone holding a document and reading
the disk confirm it is stored): a random name on upload, the same file uploaded again still one result, nothing left
by a rolled-back upload, and files named the old way renamed by a resumable `flask medsync rename-result-files`."""
from __future__ import annotations

import hashlib
import io
import os

import shutil

import pytest
from sqlalchemy import func, select, update

from medsync.extensions import db
from medsync.models import Result
from medsync.services import result_names, results
from tests.admin.conftest import member_headers  # noqa: F401 - a fixture
from tests.conftest import PDF

OTHER_PDF = PDF + b"\n% another document\n"


@pytest.fixture(autouse=True)
def no_files_of_earlier_tests(results_dir):
    """RESULTS_DIR is the session's, and ids start again in each test: clear the visits' folders first."""
    for folder in results_dir.iterdir() if results_dir.is_dir() else ():
        if folder.is_dir() and folder.name.isdigit():
            shutil.rmtree(folder)


def _files(results_dir) -> list[str]:
    return sorted(str(path.relative_to(results_dir)) for path in results_dir.rglob("*.pdf"))


def _as_before_0013(result: Result, results_dir) -> str:
    """Name the result's file as uploads were named before: "<booking_id>/<sha256 of the plain PDF>.pdf"."""
    legacy = f"{result.booking_id}/{result.sha256}.pdf"
    os.replace(results_dir / result.storage_path, results_dir / legacy)
    db.session.execute(update(Result).where(Result.id == result.id).values(storage_path=legacy))
    db.session.commit()
    return legacy


def test_an_uploaded_file_is_named_by_nothing_of_its_content_and_downloads_intact(
    client, make_visit, make_staff, member_headers, results_dir
):
    visit = make_visit()
    desk = make_staff("reception", clinics=[visit.clinic])
    digest = hashlib.sha256(PDF).hexdigest()

    uploaded = client.post(f"/api/v1/staff/bookings/{visit.id}/results", headers=member_headers(desk),
                           data={"file": (io.BytesIO(PDF), "blood.pdf")})

    assert uploaded.status_code == 201, uploaded.json
    result = db.session.get(Result, uploaded.json["id"])
    assert digest not in result.storage_path and digest not in " ".join(_files(results_dir))
    assert client.get(f"/api/v1/staff/results/{result.id}/file", headers=member_headers(desk)).data == PDF


def test_the_same_file_uploaded_again_for_a_visit_is_still_one_result_and_one_file(app_context, make_visit,
                                                                                 results_dir):
    visit = make_visit()

    first = results.store_result(visit.id, content=PDF, file_name="a.pdf", now=visit.starts_at)
    again = results.store_result(visit.id, content=PDF, file_name="a.pdf", now=visit.starts_at)
    other = results.store_result(visit.id, content=OTHER_PDF, file_name="b.pdf", now=visit.starts_at)
    db.session.commit()

    assert again.id == first.id and other.id != first.id
    assert results.stored_before(visit.id, PDF).id == first.id
    assert len(_files(results_dir)) == 2


def test_an_upload_rolled_back_leaves_no_file_behind(app_context, make_visit, results_dir):
    visit = make_visit()

    results.store_result(visit.id, content=PDF, file_name="a.pdf", now=visit.starts_at)
    db.session.rollback()

    assert _files(results_dir) == []
    assert db.session.scalar(select(func.count()).select_from(Result)) == 0


def test_an_upload_refused_inside_a_savepoint_leaves_no_file_while_the_transaction_goes_on(app_context, make_visit,
                                                                                          results_dir):
    visit, kept = make_visit(), make_visit()
    results.store_result(kept.id, content=OTHER_PDF, file_name="b.pdf", now=kept.starts_at)

    with pytest.raises(RuntimeError):
        with db.session.begin_nested():
            results.store_result(visit.id, content=PDF, file_name="a.pdf", now=visit.starts_at)
            raise RuntimeError("refused after the file was written")
    db.session.commit()

    assert _files(results_dir) == [db.session.scalar(select(Result.storage_path))]


def test_files_named_by_their_hash_are_renamed_and_still_download(app, client, stored, results_dir, tma_headers):
    first, second = stored(PDF), stored(OTHER_PDF)
    legacy = [_as_before_0013(first, results_dir), _as_before_0013(second, results_dir)]

    run = app.test_cli_runner().invoke(args=["medsync", "rename-result-files", "--batch-size", "1"])

    assert run.exit_code == 0, run.output
    assert "renamed 2 result file(s)" in run.output
    db.session.expire_all()
    names = [db.session.get(Result, result.id).storage_path for result in (first, second)]
    assert names == [result_names.renamed_path(first), result_names.renamed_path(second)]
    assert _files(results_dir) == sorted(names)
    assert not any((results_dir / path).exists() for path in legacy)
    assert results.file_content(db.session.get(Result, first.id)) == PDF
    owner = db.session.get(Result, second.id).booking.user_id
    assert client.get(f"/api/v1/results/{second.id}/file", headers=tma_headers(owner)).data == OTHER_PDF
    assert result_names.left_to_rename() == 0


def test_a_run_stopped_before_its_commit_or_before_removing_the_old_names_is_finished_by_the_next(
    app, stored, results_dir
):
    linked, committed = stored(PDF), stored(OTHER_PDF)
    linked_legacy = _as_before_0013(linked, results_dir)
    committed_legacy = _as_before_0013(committed, results_dir)
    # Stopped before its commit: the link is made, the row still names the old file.
    os.link(results_dir / linked_legacy, results_dir / result_names.renamed_path(linked))
    # Stopped after its commit: the row names the new file, the old name is still there.
    os.link(results_dir / committed_legacy, results_dir / result_names.renamed_path(committed))
    db.session.execute(update(Result).where(Result.id == committed.id)
                       .values(storage_path=result_names.renamed_path(committed)))
    db.session.commit()

    run = app.test_cli_runner().invoke(args=["medsync", "rename-result-files"])

    assert run.exit_code == 0, run.output
    assert "renamed 1 result file(s); removed 1 old name(s)" in run.output
    db.session.expire_all()
    assert _files(results_dir) == sorted([result_names.renamed_path(linked), result_names.renamed_path(committed)])
    assert results.file_content(db.session.get(Result, linked.id)) == PDF
    assert results.file_content(db.session.get(Result, committed.id)) == OTHER_PDF


def test_a_missing_file_is_reported_and_its_row_left_as_it_was(app, stored, results_dir):
    result = stored(PDF)
    legacy = _as_before_0013(result, results_dir)
    (results_dir / legacy).unlink()

    run = app.test_cli_runner().invoke(args=["medsync", "rename-result-files"])

    assert run.exit_code == 1
    assert f"1 file(s) missing on disk, left as they were: results {result.id}" in run.output
    db.session.expire_all()
    assert db.session.get(Result, result.id).storage_path == legacy
