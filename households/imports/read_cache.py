"""The preview's reading of a 采集表, kept for its 确认导入.

Reading a 10,000-household file (the bounded child, then every cell through its column) takes
about 3 s, a tenth of preview and commit together, and the commit would read the same stored
upload again. A preview without errors stores its ReadResult beside the upload; the commit
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


def _path(upload: Path) -> Path:
    return upload.with_name(upload.name + SUFFIX)


def _signature(upload: Path, historical: bool, payload: bytes) -> bytes:
    file_digest = hashlib.sha256(upload.read_bytes()).hexdigest()
    header = f"{file_digest}:{'historical' if historical else 'regular'}:".encode()
    return salted_hmac(_SALT, header + payload, algorithm="sha256").digest()


def freeze(read: ReadResult) -> bytes:
    """`read` as it came from the file, before the checks fill in its rows (a village found by name)."""
    return pickle.dumps(read, protocol=pickle.HIGHEST_PROTOCOL)


def store(upload: Path, payload: bytes, *, historical: bool) -> None:
    """Keep the frozen reading of `upload` for the commit; a failure only costs the commit a read."""
    try:
        target = _path(upload)
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(_signature(upload, historical, payload) + payload)
        partial.replace(target)  # whole or absent, never half written
    except OSError:
        logger.exception("Reading of %s not kept for the commit", upload.name)


def take(upload: Path, *, historical: bool) -> ReadResult | None:
    """The ReadResult the preview kept for `upload` in this mode, removed from storage; None if absent or not intact."""
    kept = _path(upload)
    try:
        data = kept.read_bytes()
    except FileNotFoundError:
        return None
    kept.unlink(missing_ok=True)
    signature, payload = data[:_SIGNATURE_BYTES], data[_SIGNATURE_BYTES:]
    if not hmac.compare_digest(signature, _signature(upload, historical, payload)):
        logger.warning("Kept reading of %s does not match the upload: read again", upload.name)
        return None
    try:
        read = pickle.loads(payload)  # noqa: S301 - signed above with SECRET_KEY; written by the preview
    except Exception:  # a class changed by a deployment between preview and commit: read the file again
        logger.info("Kept reading of %s no longer loads: read again", upload.name, exc_info=True)
        return None
    return read if isinstance(read, ReadResult) else None


def discard(upload: Path) -> None:
    _path(upload).unlink(missing_ok=True)
