"""The preview's reading of a 采集表, kept for its 确认导入.

Reading a 10,000-household file (the bounded child, then every cell through its column) takes
about 3 s, a tenth of preview and commit together, and the commit would read the same stored
upload again. The preview writes its ReadResult beside the upload as soon as it is read (on disk,
not in memory, through the checks) and signs it if it finds no error; the commit
takes it back when it is intact and was read from this very file in this mode, and reads the
file otherwise. Only the reading is skipped: the commit runs every check again in its own
transaction, since the registry may have changed since the preview.

The stored copy is a pickle signed with an HMAC of SECRET_KEY over the upload's SHA-256, the
mode and the payload, checked before anything is unpickled. It holds what the upload holds and
goes with it: the commit deletes it, and the transfer pipeline's sweep deletes it with the
expired uploads (core/transfer.py: no job names it).
"""

import hashlib
import hmac
import logging
import pickle
from pathlib import Path

from django.utils.crypto import salted_hmac

from .sheets import ReadResult

logger = logging.getLogger(__name__)

SUFFIX = ".read"
_SALT = "households.imports.read_cache"
_SIGNATURE_BYTES = 32  # SHA-256
_CHUNK = 1 << 20


def _path(upload: Path) -> Path:
    return upload.with_name(upload.name + SUFFIX)


def _partial(upload: Path) -> Path:
    return upload.with_name(upload.name + SUFFIX + ".partial")


def _mac(upload: Path, historical: bool):
    """The HMAC the payload is signed with, keyed by this upload's digest and the mode; fed the payload after."""
    with upload.open("rb") as handle:
        file_digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return salted_hmac(_SALT, f"{file_digest}:{'historical' if historical else 'regular'}:", algorithm="sha256")


def _feed(mac, handle) -> None:
    for chunk in iter(lambda: handle.read(_CHUNK), b""):
        mac.update(chunk)


def freeze(upload: Path, read: ReadResult) -> Path | None:
    """Write `read` as it came from the file, before the checks fill in its rows (a village found
    by name), beside the upload, unsigned: to disk at once rather than held through the checks.
    The partial file; None if it could not be written (the commit then reads the file)."""
    partial = _partial(upload)
    try:
        with partial.open("wb") as handle:
            handle.write(bytes(_SIGNATURE_BYTES))  # the signature's place, written by store()
            pickle.dump(read, handle, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        logger.exception("Reading of %s not kept for the commit", upload.name)
        partial.unlink(missing_ok=True)
        return None
    return partial


def store(upload: Path, partial: Path, *, historical: bool) -> None:
    """Sign the frozen reading of a preview without errors and keep it for the commit.

    A failure only costs the commit a read."""
    try:
        mac = _mac(upload, historical)
        with partial.open("r+b") as handle:
            handle.seek(_SIGNATURE_BYTES)
            _feed(mac, handle)
            handle.seek(0)
            handle.write(mac.digest())
        partial.replace(_path(upload))  # whole and signed, or absent
    except OSError:
        logger.exception("Reading of %s not kept for the commit", upload.name)
        partial.unlink(missing_ok=True)


def take(upload: Path, *, historical: bool) -> ReadResult | None:
    """The ReadResult the preview kept for `upload` in this mode, removed from storage; None if absent or not intact."""
    kept = _path(upload)
    try:
        handle = kept.open("rb")
    except FileNotFoundError:
        return None
    with handle:
        kept.unlink(missing_ok=True)
        signature = handle.read(_SIGNATURE_BYTES)
        mac = _mac(upload, historical)
        _feed(mac, handle)
        if not hmac.compare_digest(signature, mac.digest()):
            logger.warning("Kept reading of %s does not match the upload: read again", upload.name)
            return None
        handle.seek(_SIGNATURE_BYTES)
        try:
            read = pickle.load(handle)  # noqa: S301 - signed above with SECRET_KEY; written by the preview
        except Exception:  # a class changed by a deployment between preview and commit: read the file again
            logger.info("Kept reading of %s no longer loads: read again", upload.name, exc_info=True)
            return None
    return read if isinstance(read, ReadResult) else None
