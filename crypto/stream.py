"""Chunked AES-256-GCM for attachments: each chunk sealed alone, index and last flag in its nonce.

Header: 0x01 | nonce_prefix(7) | chunk_size(4, big-endian). Nonce: prefix | index(4) | last(1).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import CryptoError, DecryptionError, FormatError, KeyFormatError

VERSION = 1
KEY_LENGTH = 32
TAG_LENGTH = 16
PREFIX_LENGTH = 7
HEADER_LENGTH = 1 + PREFIX_LENGTH + 4
DEFAULT_CHUNK_SIZE = 65536
MAX_CHUNK_SIZE = 1 << 24
_MAX_CHUNKS = 1 << 32


def new_file_key() -> bytes:
    return os.urandom(KEY_LENGTH)


def _aead(key: bytes) -> AESGCM:
    if len(key) != KEY_LENGTH:
        raise KeyFormatError("file key is not 32 bytes")
    return AESGCM(key)


def _nonce(prefix: bytes, index: int, *, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)


class ChunkSealer:
    """Seal a stream chunk by chunk; send `header`, every chunk from update(), then finalize()."""

    def __init__(self, key: bytes, *, associated_data: bytes, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"chunk_size must be between 1 and {MAX_CHUNK_SIZE}")
        self._aead = _aead(key)
        self._prefix = os.urandom(PREFIX_LENGTH)
        self.header: bytes = bytes([VERSION]) + self._prefix + chunk_size.to_bytes(4, "big")
        self._ad = self.header + associated_data
        self._chunk_size = chunk_size
        self._buffer = bytearray()
        self._index = 0
        self._finished = False

    def _seal(self, plaintext: bytes, *, last: bool) -> bytes:
        if self._index >= _MAX_CHUNKS:
            raise CryptoError("stream is too long: the chunk index would overflow")
        nonce = _nonce(self._prefix, self._index, last=last)
        self._index += 1
        return self._aead.encrypt(nonce, plaintext, self._ad)

    def _check_open(self) -> None:
        if self._finished:
            raise CryptoError("chunk sealer is already finalized; start a new one for another stream")

    def update(self, data: bytes) -> list[bytes]:
        """Buffer data and return every full chunk now sealed."""
        self._check_open()
        self._buffer += data
        size = self._chunk_size
        full = len(self._buffer) // size
        sealed = [self._seal(bytes(self._buffer[i * size : (i + 1) * size]), last=False) for i in range(full)]
        del self._buffer[: full * size]
        return sealed

    def finalize(self) -> bytes:
        """Seal what is buffered (possibly nothing) as the final chunk."""
        self._check_open()
        self._finished = True
        final = self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        return final


def _parse_header(header: bytes) -> tuple[bytes, int]:
    if len(header) != HEADER_LENGTH:
        raise FormatError("stream header is not 12 bytes")
    if header[0] != VERSION:
        raise FormatError(f"stream header has unknown version {header[0]}")
    chunk_size = int.from_bytes(header[1 + PREFIX_LENGTH :], "big")
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise FormatError("stream header carries an impossible chunk size")
    return header[1 : 1 + PREFIX_LENGTH], chunk_size


def open_chunks(
    key: bytes, header: bytes, sealed_chunks: Iterable[bytes], *, associated_data: bytes
) -> Iterator[bytes]:
    """Yield plaintext chunk by chunk; raise DecryptionError unless the stream is whole and in order."""
    # Check key and header now, not at the first next().
    aead = _aead(key)
    prefix, chunk_size = _parse_header(header)
    return _open(aead, prefix, chunk_size, header + associated_data, sealed_chunks)


def _open(
    aead: AESGCM, prefix: bytes, chunk_size: int, ad: bytes, sealed_chunks: Iterable[bytes]
) -> Iterator[bytes]:
    def open_one(index: int, sealed: bytes, *, last: bool) -> bytes:
        if index >= _MAX_CHUNKS:
            raise FormatError("stream has more chunks than the format allows")
        if last and not TAG_LENGTH <= len(sealed) <= chunk_size + TAG_LENGTH:
            raise FormatError("final stream chunk has an impossible length")
        if not last and len(sealed) != chunk_size + TAG_LENGTH:
            # A short chunk with more after it: chunks were dropped, reordered or appended.
            raise DecryptionError(f"stream chunk {index} is short but is not the last chunk")
        try:
            return aead.decrypt(_nonce(prefix, index, last=last), sealed, ad)
        except InvalidTag as error:
            raise DecryptionError(
                f"stream chunk {index} does not open: wrong key, wrong associated data, "
                "or chunks missing, reordered or tampered"
            ) from error

    # Look one chunk ahead: only the chunk with nothing after it may carry the last flag.
    pending: bytes | None = None
    index = 0
    for sealed in sealed_chunks:
        if pending is not None:
            yield open_one(index, pending, last=False)
            index += 1
        pending = sealed
    if pending is None:
        raise DecryptionError("stream ended before its final chunk")
    yield open_one(index, pending, last=True)
