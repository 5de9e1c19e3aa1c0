"""What an encrypted field writes, for many values at once.

An EncryptedCharField (django-fernet-encrypted-fields) writes each value as a Fernet token under
its first key: AES-128-CBC with a random IV, PKCS7 padding, then HMAC-SHA256 over the version,
the time, the IV and the ciphertext (https://github.com/fernet/spec/blob/master/Spec.md).
`Fernet.encrypt` sets up a padder, a CBC context and an HMAC object for every value, which was
a quarter of the demo's generation and a third of a 采集表 commit's COPY. Here one AES context
serves the whole batch: CBC is computed block by block across every value of the batch (each
block XORed with the one before it, the IV for the first), the IVs come from one read of the
system's random source, and the HMAC is the one-shot digest. The tokens are Fernet tokens: the
field (and `cryptography`'s Fernet) reads them back; tests/fupin/test_batch_writes.py holds it so.
"""

import base64
import hmac
import os
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from encrypted_fields.fields import EncryptedFieldMixin

BLOCK = 16
VERSION = b"\x80"


def encrypt_values(field, values: list) -> list[str | None]:
    """Each value as `field.get_db_prep_save` writes it: None for an empty one, else its token.

    `field` is an encrypted field of django-fernet-encrypted-fields: its value is prepared as the
    field prepares it before encrypting (the field's own get_prep_value up to the encryption), and
    encrypted under its first key, the one Fernet and MultiFernet encrypt with.
    """
    texts = [_before_encryption(field, value) for value in values]
    tokens = encrypt_many(field.keys[0], [text.encode() for text in texts if text])
    order = iter(tokens)
    return [next(order).decode() if text else None for text in texts]


def _before_encryption(field, value) -> str | None:
    """What EncryptedFieldMixin.get_prep_value encrypts: the field class's preparation, as a str."""
    value = super(EncryptedFieldMixin, field).get_prep_value(value)
    return (value if isinstance(value, str) else str(value)) if value else None


def encrypt_many(key: bytes, plaintexts: list[bytes]) -> list[bytes]:
    """Fernet tokens of `plaintexts` under the url-safe base64 Fernet `key`, one time for the batch."""
    if not plaintexts:
        return []
    raw = base64.urlsafe_b64decode(key)
    if len(raw) != 2 * BLOCK:
        raise ValueError("a Fernet key is 32 url-safe base64-encoded bytes")
    signing_key, encryption_key = raw[:BLOCK], raw[BLOCK:]
    # ECB is AES itself, one block at a time: the chaining of CBC is done below, per block.
    block_cipher = Cipher(algorithms.AES(encryption_key), modes.ECB()).encryptor()  # noqa: S305
    stamp = VERSION + int(time.time()).to_bytes(8, "big")
    ivs = os.urandom(BLOCK * len(plaintexts))
    padded = [text + bytes([BLOCK - len(text) % BLOCK]) * (BLOCK - len(text) % BLOCK) for text in plaintexts]
    # Values of the same length in blocks are chained together: one XOR and one AES call per block.
    by_blocks: dict[int, list[int]] = {}
    for index, text in enumerate(padded):
        by_blocks.setdefault(len(text) // BLOCK, []).append(index)
    ciphertexts: list[bytes] = [b""] * len(plaintexts)
    for blocks, indexes in by_blocks.items():
        width = BLOCK * len(indexes)
        previous = b"".join(ivs[BLOCK * index : BLOCK * (index + 1)] for index in indexes)
        chained = []
        for block in range(blocks):
            start = BLOCK * block
            current = b"".join(padded[index][start : start + BLOCK] for index in indexes)
            mixed = (int.from_bytes(current, "big") ^ int.from_bytes(previous, "big")).to_bytes(width, "big")
            previous = block_cipher.update(mixed)
            chained.append(previous)
        for position, index in enumerate(indexes):
            at = BLOCK * position
            ciphertexts[index] = b"".join(column[at : at + BLOCK] for column in chained)
    tokens = []
    for index, ciphertext in enumerate(ciphertexts):
        signed = stamp + ivs[BLOCK * index : BLOCK * (index + 1)] + ciphertext
        tokens.append(base64.urlsafe_b64encode(signed + hmac.digest(signing_key, signed, "sha256")))
    return tokens
