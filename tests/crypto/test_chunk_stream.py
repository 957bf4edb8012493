"""Chunked attachment streams: round trips, chunk layout, and every way a stream can be cut or shuffled."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import (
    ChunkSealer,
    CryptoError,
    DecryptionError,
    FormatError,
    KeyFormatError,
    context,
    new_file_key,
    open_chunks,
)

AD = context("attachment", "submission-42", "photo-1")


def seal_all(key: bytes, data: bytes, chunk_size: int, *, pieces: int = 1) -> tuple[bytes, list[bytes]]:
    sealer = ChunkSealer(key, associated_data=AD, chunk_size=chunk_size)
    step = max(1, len(data) // pieces)
    chunks: list[bytes] = []
    for start in range(0, len(data), step):
        chunks += sealer.update(data[start : start + step])
    chunks.append(sealer.finalize())
    return sealer.header, chunks


def open_all(key: bytes, header: bytes, chunks: list[bytes], associated_data: bytes = AD) -> bytes:
    return b"".join(open_chunks(key, header, iter(chunks), associated_data=associated_data))


def test_given_a_photo_when_streamed_then_it_opens_chunk_by_chunk() -> None:
    # Given a file of two and a half chunks
    key = new_file_key()
    photo = bytes(range(256)) * 640
    # When it is sealed with 64 KiB chunks
    header, chunks = seal_all(key, photo, 65536, pieces=7)
    # Then full chunks carry 64 KiB + tag, the last one the rest, and it opens in order
    assert len(header) == 12 and header[0] == 1 and header[8:] == (65536).to_bytes(4, "big")
    assert [len(c) for c in chunks] == [65536 + 16, 65536 + 16, 32768 + 16]
    assert list(open_chunks(key, header, chunks, associated_data=AD)) == [
        photo[:65536],
        photo[65536:131072],
        photo[131072:],
    ]


def test_given_data_filling_whole_chunks_then_the_final_chunk_is_empty() -> None:
    key = new_file_key()
    header, chunks = seal_all(key, b"a" * 64, 32)
    assert [len(c) for c in chunks] == [48, 48, 16]
    assert open_all(key, header, chunks) == b"a" * 64


def test_given_an_empty_file_then_one_empty_final_chunk_round_trips() -> None:
    key = new_file_key()
    header, chunks = seal_all(key, b"", 1024)
    assert [len(c) for c in chunks] == [16]
    assert open_all(key, header, chunks) == b""


@settings(max_examples=80, deadline=None)
@given(data=st.binary(max_size=5000), chunk_size=st.integers(1, 700), pieces=st.integers(1, 9))
def test_given_any_data_and_chunk_size_then_the_stream_round_trips(
    data: bytes, chunk_size: int, pieces: int
) -> None:
    key = new_file_key()
    header, chunks = seal_all(key, data, chunk_size, pieces=pieces)
    assert len(chunks) == len(data) // chunk_size + 1
    assert open_all(key, header, chunks) == data


def test_given_two_streams_then_headers_differ() -> None:
    key = new_file_key()
    assert ChunkSealer(key, associated_data=AD).header != ChunkSealer(key, associated_data=AD).header


@pytest.fixture
def stream() -> tuple[bytes, bytes, list[bytes]]:
    key = new_file_key()
    header, chunks = seal_all(key, bytes(range(100)), 32)  # chunks of 32, 32, 32, 4
    return key, header, chunks


def test_given_swapped_chunks_then_decryption_error(stream: tuple[bytes, bytes, list[bytes]]) -> None:
    key, header, chunks = stream
    with pytest.raises(DecryptionError):
        open_all(key, header, [chunks[1], chunks[0], *chunks[2:]])


def test_given_a_dropped_final_chunk_then_decryption_error(stream: tuple[bytes, bytes, list[bytes]]) -> None:
    key, header, chunks = stream
    with pytest.raises(DecryptionError):
        open_all(key, header, chunks[:-1])


@pytest.mark.parametrize(
    "cut",
    [
        pytest.param(lambda c: c[:1] + c[2:], id="dropped-middle"),
        pytest.param(lambda c: c[:2] + c[1:], id="duplicated"),
        pytest.param(lambda c: [*c, c[-1]], id="after-final"),
        pytest.param(lambda c: [], id="no-chunks"),
    ],
)
def test_given_a_cut_or_padded_stream_then_decryption_error(
    stream: tuple[bytes, bytes, list[bytes]], cut: Callable[[list[bytes]], list[bytes]]
) -> None:
    key, header, chunks = stream
    with pytest.raises(DecryptionError):
        open_all(key, header, cut(chunks))


def test_given_a_chunk_spliced_from_another_stream_then_decryption_error(
    stream: tuple[bytes, bytes, list[bytes]],
) -> None:
    key, header, chunks = stream
    _, other_chunks = seal_all(key, bytes(range(100)), 32)
    with pytest.raises(DecryptionError):
        open_all(key, header, [other_chunks[0], *chunks[1:]])


def test_given_wrong_key_or_ad_then_decryption_error(stream: tuple[bytes, bytes, list[bytes]]) -> None:
    key, header, chunks = stream
    with pytest.raises(DecryptionError):
        open_all(new_file_key(), header, chunks)
    with pytest.raises(DecryptionError):
        open_all(key, header, chunks, context("attachment", "submission-43", "photo-1"))


def test_given_any_byte_of_header_or_chunks_flipped_then_it_fails_cleanly(
    stream: tuple[bytes, bytes, list[bytes]],
) -> None:
    key, header, chunks = stream
    for position in range(len(header)):
        tampered = bytearray(header)
        tampered[position] ^= 0x01
        with pytest.raises((DecryptionError, FormatError)):
            open_all(key, bytes(tampered), chunks)
    for which, chunk in enumerate(chunks):
        for position in range(len(chunk)):
            tampered = bytearray(chunk)
            tampered[position] ^= 0x80
            altered = [*chunks[:which], bytes(tampered), *chunks[which + 1 :]]
            with pytest.raises((DecryptionError, FormatError)):
                open_all(key, header, altered)


def test_given_any_chunk_truncated_then_it_fails_cleanly(stream: tuple[bytes, bytes, list[bytes]]) -> None:
    key, header, chunks = stream
    for which, chunk in enumerate(chunks):
        for length in range(len(chunk)):
            altered = [*chunks[:which], chunk[:length], *chunks[which + 1 :]]
            with pytest.raises((DecryptionError, FormatError)):
                open_all(key, header, altered)
    for length in range(len(header)):
        with pytest.raises(FormatError):
            open_chunks(key, header[:length], chunks, associated_data=AD)


def test_given_a_finalized_sealer_then_it_refuses_more_work() -> None:
    sealer = ChunkSealer(new_file_key(), associated_data=AD)
    sealer.finalize()
    with pytest.raises(CryptoError, match="already finalized"):
        sealer.update(b"more")
    with pytest.raises(CryptoError, match="already finalized"):
        sealer.finalize()


def test_given_a_key_that_is_not_32_bytes_then_key_format_error() -> None:
    with pytest.raises(KeyFormatError):
        ChunkSealer(b"short", associated_data=AD)
    with pytest.raises(KeyFormatError):
        open_chunks(b"short", b"\x01" + bytes(7) + (32).to_bytes(4, "big"), [], associated_data=AD)


def test_given_an_impossible_chunk_size_then_it_is_refused() -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        ChunkSealer(new_file_key(), associated_data=AD, chunk_size=0)
    with pytest.raises(FormatError, match="chunk size"):
        open_chunks(new_file_key(), b"\x01" + bytes(7) + bytes(4), [], associated_data=AD)
