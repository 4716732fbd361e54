"""Result files on disk, encrypted at rest under RESULTS_KEY's Fernet keys: the first encrypts, each one decrypts.

Each file is sealed with a key of its own (AES-256-GCM), and that key is wrapped by RESULTS_KEY's MultiFernet:
the file holds `MSR1`, the wrapped key's length (2 bytes) and the wrapped key (a Fernet token), the nonce (12 bytes),
then the ciphertext with its tag. Fernet on the whole document, the obvious design, cost 60-100 ms per 5 MB here
(base64 of the whole file, CBC, HMAC): several times the 10 % an upload or a delivery may spend on encryption
(bench/results_crypto.py, bench/README). GCM checks its tag before returning a byte and Fernet its HMAC before
unwrapping, so a file tampered with, truncated, or sealed under a key no longer in RESULTS_KEY is refused whole,
never half-read. The keys live in the environment only; a row names the fingerprint of the key that wrapped its
file's (`Result.encrypted_with`, NULL for a file stored in plain before encryption), which tells
`rotate-results-key` what is left to do. RESULTS_DIR/.key-check, a Fernet token of a known text, lets start-up
refuse keys that cannot read the files already stored, before anyone asks for one.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask_babel import gettext as _

from sqlalchemy.orm import Session

from medsync.config import FERNET_KEY_HINT, ConfigError, Settings, current_settings
from medsync.errors import ResultFileDamaged, ResultNotFound
from medsync.extensions import db
from medsync.services import after_commit

log = logging.getLogger(__name__)

KEY_CHECK_FILE = ".key-check"
_KEY_CHECK_TEXT = b"MedSync RESULTS_KEY check"
# A sealed file's first bytes: a MedSync result, format 1 (also the data GCM authenticates beside the content).
_MAGIC = b"MSR1"
_NONCE_BYTES = 12
# Files are written this much at a time: a single write() of a 5 MB document cost 10 times the same bytes in 256 KiB
# writes on our disks, and sealing a chunk at a time into one reused buffer makes no second 5 MB copy of the document
# (fresh megabytes cost more in page faults than the cipher itself). bench/README, "Privacy (issue 20)".
_CHUNK_BYTES = 256 * 1024
_FILES_TO_DELETE = "result files: to delete"
_FILES_WRITTEN = "result files: written, not yet named by a committed row"


@dataclass(frozen=True)
class StoredFile:
    """What reading a stored file needs, as plain values (no session is held while Telegram takes it)."""

    result_id: int
    path: Path
    encrypted_with: str | None  # the fingerprint of the key that encrypted it; None: stored in plain, before encryption
    sha256: str  # of the plain document


class Keys:
    """RESULTS_KEY ready to use: one MultiFernet, and the fingerprint of the key that encrypts."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.cipher = MultiFernet([Fernet(key) for key in keys])
        self.current = fingerprint(keys[0])


def fingerprint(key: str) -> str:
    """A short name of a key that reveals nothing of it (stored beside each file's row)."""
    return hashlib.sha256(b"medsync results key " + key.encode()).hexdigest()[:16]


@lru_cache(maxsize=4)
def keys_of(results_key: tuple[str, ...]) -> Keys:
    return Keys(results_key)


def current_keys() -> Keys:
    return keys_of(current_settings().RESULTS_KEY)


def write(path: Path, content: bytes) -> str:
    """Encrypt with the first key and write atomically; returns that key's fingerprint (for the row)."""
    keys = current_keys()
    _write_atomically_with(path, lambda stream: _write_sealed(stream, keys, content))
    _ensure_key_check(keys)
    return keys.current


def write_new(path: Path, content: bytes) -> str:
    """`write` a file no row names yet (a new upload's): if the transaction that was to name it rolls back, the file
    goes with it, so no unnamed file is left behind."""
    fingerprint = write(path, content)
    after_commit.add(db.session(), _FILES_WRITTEN, path)
    return fingerprint


def read(stored: StoredFile) -> bytes:
    """The plain document, decrypted in memory; ResultNotFound when the file is gone, ResultFileDamaged (and an alert
    in the logs) when it fails its integrity check."""
    try:
        token = stored.path.read_bytes()
    except FileNotFoundError:
        raise ResultNotFound(_("The result file is not available. Please contact the clinic.")) from None
    if stored.encrypted_with is None and hashlib.sha256(token).hexdigest() == stored.sha256:
        # Stored in plain before encryption and not re-encrypted yet: its hash vouches for it. (A row still saying
        # "plain" whose file is a token was re-encrypted by a rotation interrupted before its commit.)
        return token
    try:
        return unseal(current_keys(), token)
    except (InvalidToken, InvalidTag, ValueError):
        raise _damaged(stored, "tampered with, truncated, or encrypted with a key not in RESULTS_KEY") from None


def seal(keys: Keys, content: bytes) -> bytes:
    """The content encrypted under a fresh key of its own, that key wrapped by the first of RESULTS_KEY (in memory:
    `write` streams the same bytes to the file instead)."""
    with io.BytesIO() as sealed:
        _write_sealed(sealed, keys, content)
        return sealed.getvalue()


def _write_sealed(stream: BinaryIO, keys: Keys, content: bytes) -> None:
    """Write the sealed file to `stream`: the header, then the AES-GCM ciphertext a chunk at a time from one reused
    buffer, then the tag (the same bytes `AESGCM.encrypt` returns at once, which `unseal` reads)."""
    file_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(_NONCE_BYTES)
    wrapped = keys.cipher.encrypt(file_key)
    stream.write(b"".join((_MAGIC, len(wrapped).to_bytes(2, "big"), wrapped, nonce)))
    encryptor = Cipher(algorithms.AES(file_key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(_MAGIC)
    buffer = bytearray(_CHUNK_BYTES + 15)  # update_into wants room for a block beyond the input
    output, plain = memoryview(buffer), memoryview(content)
    for start in range(0, len(plain), _CHUNK_BYTES):
        stream.write(output[:encryptor.update_into(plain[start:start + _CHUNK_BYTES], buffer)])
    stream.write(encryptor.finalize())  # nothing left over in GCM; computes the tag
    stream.write(encryptor.tag)


def unseal(keys: Keys, sealed: bytes) -> bytes:
    """The content of a sealed file, all of it or nothing: InvalidToken (the wrapped key), InvalidTag (the content)
    or ValueError (the layout) when any byte of it is not as sealed, or no key of `keys` wrapped it."""
    if not sealed.startswith(_MAGIC):
        raise ValueError("not a sealed result file")
    start = len(_MAGIC) + 2
    end = start + int.from_bytes(sealed[len(_MAGIC):start], "big")
    file_key = keys.cipher.decrypt(sealed[start:end])
    nonce = sealed[end:end + _NONCE_BYTES]
    # A view, not a slice: the ciphertext is not copied before decrypting it.
    return AESGCM(file_key).decrypt(nonce, memoryview(sealed)[end + _NONCE_BYTES:], _MAGIC)


def re_encrypt(stored: StoredFile) -> str:
    """Read the file with any key (or in plain) and write it again with the first key; returns its fingerprint."""
    return write(stored.path, read(stored))


def delete_after_commit(path: Path) -> None:
    """Remove this stored file once the transaction that deleted its row commits (a rollback keeps it)."""
    after_commit.add(db.session(), _FILES_TO_DELETE, path)


def register_hooks(hooks: after_commit.Hooks) -> None:
    hooks.on("after_commit", _delete_files)
    hooks.on_rollback(_FILES_WRITTEN, _remove)


def _delete_files(session: Session) -> None:
    _remove(after_commit.take(session, _FILES_TO_DELETE))


def _remove(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)  # already gone is fine: an erase or a purge run twice
        except OSError as exc:
            log.error("a result's or export's file no row names any more could not be removed (%s); remove it by hand: %s",
                      type(exc).__name__, path)


def check_key(settings: Settings) -> None:
    """At start-up: refuse to run without RESULTS_KEY, or with keys none of which opens the files already stored."""
    if not settings.RESULTS_KEY:
        raise ConfigError(
            "RESULTS_KEY: not set. Result files are stored encrypted and cannot be written or read without it; "
            f"{FERNET_KEY_HINT} (make run creates a development key in .env)")
    check = Path(settings.RESULTS_DIR) / KEY_CHECK_FILE
    try:
        token = check.read_bytes()
    except FileNotFoundError:
        return  # nothing stored yet: the first file written leaves the check
    except OSError as exc:
        raise ConfigError(f"RESULTS_DIR: {check} cannot be read ({type(exc).__name__})") from None
    try:
        keys_of(settings.RESULTS_KEY).cipher.decrypt(token)
    except InvalidToken:
        raise ConfigError(
            f"RESULTS_KEY: none of its keys opens the result files already stored in RESULTS_DIR ({check} was "
            "encrypted with another key). Set the key they were encrypted with; to change keys, put the new one "
            "first and keep the old one after it until `flask medsync rotate-results-key` has finished") from None


def write_key_check(keys: Keys) -> None:
    """(Re)write RESULTS_DIR/.key-check with the key that encrypts now (after a complete rotation)."""
    write_atomically(Path(current_settings().RESULTS_DIR) / KEY_CHECK_FILE, keys.cipher.encrypt(_KEY_CHECK_TEXT))


def _ensure_key_check(keys: Keys) -> None:
    if not (Path(current_settings().RESULTS_DIR) / KEY_CHECK_FILE).exists():
        write_key_check(keys)


def _damaged(stored: StoredFile, why: str) -> ResultFileDamaged:
    # An alert for whoever watches the logs: ids only, never a byte of the file.
    log.error("ALERT: result %s: its stored file failed the integrity check (%s); nothing of it was served",
              stored.result_id, why)
    return ResultFileDamaged()


def write_atomically(path: Path, content: bytes) -> None:
    """Write to a temporary file in the same directory, fsync, then rename over the target."""
    _write_atomically_with(path, lambda stream: _write_in_chunks(stream, content))


def _write_in_chunks(stream: BinaryIO, content: bytes) -> None:
    # One write() of 5 MB took 20-40 ms here where the same bytes 256 KiB at a time took 2 (bench/README, issue 20).
    view = memoryview(content)
    for start in range(0, len(view), _CHUNK_BYTES):
        stream.write(view[start:start + _CHUNK_BYTES])


def _write_atomically_with(path: Path, fill: Callable[[BinaryIO], object]) -> None:
    """`write_atomically` what `fill` writes to the temporary file's stream."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as stream:
            fill(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
