"""Result files are encrypted at rest with RESULTS_KEY: refused start-up without a key that reads them, decrypted in
memory for their owner, refused whole (with an alert) when damaged, and re-encrypted by a resumable key rotation."""
from __future__ import annotations

import dataclasses
import hashlib
import logging

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import update

from medsync import create_app
from medsync.bot.documents import ResultDocument, send_result_document
from medsync.bot import get_bot
from medsync.config import ConfigError
from medsync.errors import ResultFileDamaged
from medsync.extensions import db
from medsync.models import Result
from medsync.services import key_rotation, result_files, results
from tests.conftest import PDF, RESULTS_KEY

NEW_KEY = Fernet.generate_key().decode()


@pytest.fixture
def with_keys(app, monkeypatch, results_dir):
    """Run the app with other RESULTS_KEY keys from now on (as a restart with a new environment would); the session's
    key check is put back afterwards, so later apps of the session still start with the test key."""
    check = results_dir / result_files.KEY_CHECK_FILE
    kept = check.read_bytes() if check.exists() else None

    def use(*keys: str) -> None:
        monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(app.config["SETTINGS"], RESULTS_KEY=keys))

    yield use
    if kept is None:
        check.unlink(missing_ok=True)
    else:
        check.write_bytes(kept)


# --- start-up ------------------------------------------------------------------------------------------------------


def test_without_a_key_the_app_refuses_to_start_saying_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError, match="^RESULTS_KEY: not set.*Fernet.generate_key"):
        create_app({"RESULTS_KEY": (), "RESULTS_DIR": str(tmp_path)})


def test_a_malformed_key_stops_start_up_without_quoting_it(monkeypatch):
    monkeypatch.setenv("RESULTS_KEY", f"{RESULTS_KEY}, not-a-key-secret")
    with pytest.raises(ConfigError, match="^RESULTS_KEY: key 2 of 2 is not a Fernet key") as refused:
        create_app()
    assert "not-a-key-secret" not in str(refused.value) and RESULTS_KEY not in str(refused.value)


def test_a_key_that_cannot_read_the_stored_files_stops_start_up(app, stored, results_dir):
    stored()
    assert (results_dir / result_files.KEY_CHECK_FILE).is_file()
    settings = {"RESULTS_DIR": str(results_dir), "DATABASE_URL": app.config["DATABASE_URL"]}

    with pytest.raises(ConfigError, match="^RESULTS_KEY: none of its keys opens the result files already stored"):
        create_app({**settings, "RESULTS_KEY": (NEW_KEY,)})
    create_app({**settings, "RESULTS_KEY": (NEW_KEY, RESULTS_KEY)})  # rotating: the old key still reads them


# --- downloads -----------------------------------------------------------------------------------------------------


def test_the_owner_downloads_the_plain_pdf_while_the_disk_holds_only_ciphertext(client, stored, tma_headers):
    result = stored()

    response = client.get(f"/api/v1/results/{result.id}/file", headers=tma_headers(result.booking.user_id))

    assert response.status_code == 200 and response.data == PDF
    assert b"%PDF" not in results.file_path(result).read_bytes()


@pytest.mark.parametrize("size", [0, 1, result_files._CHUNK_BYTES - 1, result_files._CHUNK_BYTES,
                                  3 * result_files._CHUNK_BYTES + 7])
def test_a_file_sealed_chunk_by_chunk_is_one_aes_gcm_message_with_no_plain_chunk(app, tmp_path, size):
    # Written a chunk at a time, the file is still what one AESGCM.encrypt of the whole document gives: every chunk
    # boundary is covered by the one tag, and no chunk reaches the disk in plain.
    content = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    path = tmp_path / "sealed.pdf"
    with app.app_context():
        keys = result_files.current_keys()
        assert result_files.write(path, content) == keys.current

    sealed = path.read_bytes()
    start = len(b"MSR1") + 2
    end = start + int.from_bytes(sealed[4:start], "big")
    nonce = sealed[end:end + 12]
    assert AESGCM(keys.cipher.decrypt(sealed[start:end])).encrypt(nonce, content, b"MSR1") == sealed[end + 12:]
    assert result_files.unseal(keys, sealed) == content
    assert size < 1024 or content[:1024] not in sealed
    assert not list(tmp_path.glob(".upload-*"))


DAMAGES = {
    "a byte of the document changed": lambda sealed: sealed[:-100] + bytes([sealed[-100] ^ 1]) + sealed[-99:],
    "a byte of its wrapped key changed": lambda sealed: sealed[:60] + bytes([sealed[60] ^ 1]) + sealed[61:],
    "truncated": lambda sealed: sealed[:-40],
    "cut inside its header": lambda sealed: sealed[:30],
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_file_is_refused_whole_with_an_alert_in_the_logs(client, stored, tma_headers, caplog, damage):
    result = stored()
    path = results.file_path(result)
    path.write_bytes(DAMAGES[damage](path.read_bytes()))

    with caplog.at_level(logging.ERROR):
        response = client.get(f"/api/v1/results/{result.id}/file", headers=tma_headers(result.booking.user_id))

    assert response.status_code == 500
    assert response.get_json()["message"] == ("This result file failed its integrity check and cannot be shown. "
                                              "Please contact the clinic.")
    assert b"%PDF" not in response.data
    alerts = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert alerts == [f"ALERT: result {result.id}: its stored file failed the integrity check (tampered with, "
                      "truncated, or encrypted with a key not in RESULTS_KEY); nothing of it was served"]


def test_a_damaged_file_is_never_uploaded_to_telegram(stored, telegram_api):
    result = stored()
    results.file_path(result).write_bytes(b"gAAAAAB" + b"0" * 200)

    with pytest.raises(ResultFileDamaged):
        send_result_document(get_bot(), result.booking.user_id, ResultDocument.of(result), "Your result")

    assert telegram_api.calls("sendDocument") == []


def test_a_file_stored_in_plain_before_encryption_is_still_served_while_its_hash_matches(client, stored, tma_headers):
    result = stored()
    _store_in_plain(result, PDF)
    owner = tma_headers(result.booking.user_id)

    assert client.get(f"/api/v1/results/{result.id}/file", headers=owner).data == PDF
    results.file_path(result).write_bytes(PDF.replace(b"Catalog", b"Catalug"))
    assert client.get(f"/api/v1/results/{result.id}/file", headers=owner).status_code == 500


# --- rotation ------------------------------------------------------------------------------------------------------


def test_rotation_re_encrypts_every_file_and_plain_ones_with_the_new_key(app, stored, with_keys, results_dir):
    first, second, legacy = stored(PDF), stored(PDF + b"2"), stored(PDF + b"3")
    _store_in_plain(legacy, PDF + b"3")
    with_keys(NEW_KEY, RESULTS_KEY)

    run = app.test_cli_runner().invoke(args=["medsync", "rotate-results-key", "--batch-size", "2"])

    assert run.exit_code == 0, run.output
    assert "re-encrypted 3 result file(s)" in run.output
    new_only = result_files.Keys((NEW_KEY,))
    for result, content in ((first, PDF), (second, PDF + b"2"), (legacy, PDF + b"3")):
        db.session.refresh(result)
        assert result.encrypted_with == result_files.fingerprint(NEW_KEY)
        assert result_files.unseal(new_only, results.file_path(result).read_bytes()) == content
    # The old key may go now: the files and the key check open with the new one alone.
    create_app({"RESULTS_DIR": str(results_dir), "RESULTS_KEY": (NEW_KEY,)})


def test_an_interrupted_rotation_resumes_where_it_stopped(stored, with_keys):
    done = [stored(PDF + bytes([number])) for number in range(3)]
    with_keys(NEW_KEY, RESULTS_KEY)

    def interrupt(_settled: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        key_rotation.rotate(batch_size=1, progress=interrupt)
    assert key_rotation.left_to_rotate() == 2
    rotation = key_rotation.rotate(batch_size=1)

    assert rotation.re_encrypted == 2 and rotation.complete
    assert key_rotation.left_to_rotate() == 0
    for number, result in enumerate(done):
        assert result_files.unseal(result_files.Keys((NEW_KEY,)), results.file_path(result).read_bytes()) == (
            PDF + bytes([number]))


def test_rotation_reports_a_damaged_file_and_keeps_the_old_key_needed(app, stored, with_keys):
    good, bad = stored(PDF), stored(PDF + b"x")
    results.file_path(bad).write_bytes(b"gAAAAAB" + b"0" * 200)
    with_keys(NEW_KEY, RESULTS_KEY)

    run = app.test_cli_runner().invoke(args=["medsync", "rotate-results-key"])

    assert run.exit_code == 1
    assert f"1 file(s) failed their integrity check, left as they were: results {bad.id}" in run.output
    assert "keep the old key in RESULTS_KEY" in run.output
    db.session.refresh(good)
    assert good.encrypted_with == result_files.fingerprint(NEW_KEY)


def _store_in_plain(result: Result, content: bytes) -> None:
    """As a file uploaded before encryption was: plain on disk, no key named on its row."""
    results.file_path(result).write_bytes(content)
    db.session.execute(update(Result).where(Result.id == result.id).values(
        encrypted_with=None, sha256=hashlib.sha256(content).hexdigest()))
    db.session.commit()
    db.session.refresh(result)
