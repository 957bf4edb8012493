"""Reading a multipart upload ourselves, so that no plaintext file ever reaches a temporary file.

Starlette spools every file part over 1 MB to a plaintext temporary file. This parser feeds python-multipart's
streaming parser directly: text fields stay in memory under a per-field limit; a PDF is sealed chunk by chunk as
it arrives (only one chunk of plaintext is ever held); a photo is held in memory, bounded by the per-file limit,
until its metadata is stripped and it is sealed; a file the browser already sealed is split into its chunks.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from crypto import ChunkSealer, new_file_key
from crypto.stream import HEADER_LENGTH, MAX_CHUNK_SIZE, TAG_LENGTH
from intake.attachments import (
    attachment_context,
    describe,
    name_attachments,
    new_attachment_id,
    seal_bytes,
    strip_metadata,
)

MIB = 1024 * 1024
PLAIN_FILE_FIELD = "files"  # the form's file input (no JavaScript, or no WebCrypto)
SEALED_FILE_FIELD = "sealed_file"  # a file the browser sealed; its part's filename is the attachment id
BLOB_FIELDS = frozenset({"envelope", "identity"})
_ATTACHMENT_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class UploadLimits:
    max_files: int = 6
    max_file_bytes: int = 10 * MIB
    max_total_bytes: int = 20 * MIB
    max_fields: int = 40
    max_field_bytes: int = 64 * 1024
    max_blob_bytes: int = 512 * 1024

    def sealed_allowance(self, plain: int) -> int:
        """The most a file of `plain` bytes can weigh once the browser sealed it in 64 KiB chunks."""
        return plain + HEADER_LENGTH + TAG_LENGTH * (plain // 1024 + 2)


class FileProblem(enum.StrEnum):
    TOO_MANY = "too_many"
    TOO_LARGE = "too_large"
    TOTAL = "total"
    TYPE = "type"


class UploadRefused(Exception):
    """The body is not a well-formed form within the limits (a 400 page; nothing is stored)."""


@dataclass
class SealedAttachment:
    """A file as it will be stored: header and chunks, and (when the server sealed it) its description."""

    id: str
    header: bytes
    chunks: list[bytes]
    sealed_size: int
    description: dict[str, str | int] | None = None  # name, type, size, key: goes inside the envelope
    order: int = 0  # where the reporter put it among the files


@dataclass
class HeldPhoto:
    """A photo held in memory until Pillow re-encodes it without metadata (then it is sealed)."""

    data: bytearray
    kind: str  # "jpeg", "png" or "webp"
    order: int = 0


@dataclass
class ParsedUpload:
    fields: dict[str, str] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    sealed: list[SealedAttachment] = field(default_factory=list)
    photos: list[HeldPhoto] = field(default_factory=list)
    problems: set[FileProblem] = field(default_factory=set)
    file_count: int = 0
    plain_files: int = 0

    @property
    def sealed_in_browser(self) -> bool:
        return "envelope" in self.blobs


def sniff(head: bytes) -> str | None:
    """The kind of file its first bytes say it is, among the kinds accepted; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    return None


class _Part:
    """What one multipart part turns into; subclasses decide what to keep."""

    def write(self, data: bytes) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self) -> None:
        pass


class _Field(_Part):
    def __init__(self, form: _Reader, name: str) -> None:
        self.form, self.name, self.data = form, name, bytearray()

    def write(self, data: bytes) -> None:
        if len(self.data) + len(data) > self.form.limits.max_field_bytes:
            raise UploadRefused("a text field is over its limit")
        self.data += data

    def close(self) -> None:
        try:
            value = self.data.decode("utf-8")
        except UnicodeDecodeError:
            raise UploadRefused("a text field is not UTF-8") from None
        self.form.parsed.fields.setdefault(self.name, value)


class _Blob(_Part):
    """An envelope the browser sealed (sent as a file part)."""

    def __init__(self, form: _Reader, name: str) -> None:
        self.form, self.name, self.data = form, name, bytearray()

    def write(self, data: bytes) -> None:
        if len(self.data) + len(data) > self.form.limits.max_blob_bytes:
            raise UploadRefused("an envelope is over its limit")
        self.data += data

    def close(self) -> None:
        if self.name in self.form.parsed.blobs:
            raise UploadRefused("an envelope was sent twice")
        self.form.parsed.blobs[self.name] = bytes(self.data)


class _Ignored(_Part):
    def write(self, data: bytes) -> None:
        pass


class _Counted(_Part):
    """A file part: counts its bytes against the per-file and total limits, and stops keeping when over."""

    def __init__(self, form: _Reader, per_file: int) -> None:
        self.form, self.per_file, self.size, self.dropped = form, per_file, 0, False

    def admit(self, data: bytes) -> bool:
        if self.dropped:
            return False
        self.size += len(data)
        self.form.total += len(data)
        problem = None
        if self.size > self.per_file:
            problem = FileProblem.TOO_LARGE
        elif self.form.total > self.form.total_limit:
            problem = FileProblem.TOTAL
        if problem is not None:
            self.form.parsed.problems.add(problem)
            self.drop()
            return False
        return True

    def drop(self) -> None:
        self.dropped = True


class _PlainFile(_Counted):
    """A file posted in the clear: a PDF is sealed as it streams in, a photo is held for Pillow."""

    def __init__(self, form: _Reader) -> None:
        super().__init__(form, form.limits.max_file_bytes)
        self.order = form.parsed.file_count
        self.head = bytearray()
        self.kind: str | None = None
        self.photo: bytearray | None = None
        self.sealer: ChunkSealer | None = None
        self.chunks: list[bytes] = []
        self.id = new_attachment_id()
        self.key = new_file_key()

    def write(self, data: bytes) -> None:
        if not self.admit(data):
            return
        if self.kind is None:
            self.head += data
            if len(self.head) < 12:
                return
            data, self.head = bytes(self.head), bytearray()
            self._decide(data[:12])
            if self.dropped:
                return
        self._keep(data)

    def _decide(self, head: bytes) -> None:
        self.kind = sniff(head)
        if self.kind is None:
            self.form.parsed.problems.add(FileProblem.TYPE)
            self.drop()
        elif self.kind == "pdf":
            self.sealer = ChunkSealer(self.key, associated_data=attachment_context(self.id))
        else:
            self.photo = bytearray()

    def _keep(self, data: bytes) -> None:
        if self.sealer is not None:
            self.chunks.extend(self.sealer.update(data))
        elif self.photo is not None:
            self.photo += data

    def drop(self) -> None:
        super().drop()
        self.photo, self.sealer, self.chunks, self.head = None, None, [], bytearray()

    def close(self) -> None:
        if self.dropped:
            return
        if self.kind is None:  # shorter than 12 bytes: decide on what there is
            self._decide(bytes(self.head))
            if self.dropped:
                return
            self._keep(bytes(self.head))
        if self.sealer is not None:
            self.chunks.append(self.sealer.finalize())
            self.form.parsed.sealed.append(SealedAttachment(
                id=self.id, header=self.sealer.header, chunks=self.chunks,
                sealed_size=len(self.sealer.header) + sum(len(c) for c in self.chunks),
                description=describe(self.id, self.key, kind="pdf", size=self.size), order=self.order))
        elif self.photo is not None:
            assert self.kind is not None
            self.form.parsed.photos.append(HeldPhoto(data=self.photo, kind=self.kind, order=self.order))


class _SealedFile(_Counted):
    """A file the browser sealed: header, then chunks of chunk_size + 16 bytes, then a shorter final chunk."""

    def __init__(self, form: _Reader, attachment_id: str) -> None:
        limits = form.limits
        super().__init__(form, limits.sealed_allowance(limits.max_file_bytes))
        self.id = attachment_id
        self.buffer = bytearray()
        self.header = b""
        self.chunks: list[bytes] = []
        self.step = 0

    def write(self, data: bytes) -> None:
        if not self.admit(data):
            return
        self.buffer += data
        if not self.header and len(self.buffer) >= HEADER_LENGTH:
            self.header = bytes(self.buffer[:HEADER_LENGTH])
            del self.buffer[:HEADER_LENGTH]
            chunk_size = int.from_bytes(self.header[8:12], "big")
            if self.header[0] != 1 or not 1024 <= chunk_size <= MAX_CHUNK_SIZE:
                raise UploadRefused("a sealed file has an impossible header")
            self.step = chunk_size + TAG_LENGTH
        # Keep at least one byte back: only the piece with nothing after it is the final chunk.
        while self.step and len(self.buffer) > self.step:
            self.chunks.append(bytes(self.buffer[: self.step]))
            del self.buffer[: self.step]

    def drop(self) -> None:
        super().drop()
        self.buffer, self.chunks = bytearray(), []

    def close(self) -> None:
        if self.dropped:
            return
        if not self.header or not TAG_LENGTH <= len(self.buffer) <= self.step:
            raise UploadRefused("a sealed file is truncated")
        self.chunks.append(bytes(self.buffer))
        self.form.parsed.sealed.append(SealedAttachment(
            id=self.id, header=self.header, chunks=self.chunks,
            sealed_size=len(self.header) + sum(len(c) for c in self.chunks)))


class _Reader:
    def __init__(self, limits: UploadLimits) -> None:
        self.limits = limits
        self.parsed = ParsedUpload()
        self.total = 0
        self.total_limit = limits.sealed_allowance(limits.max_total_bytes)
        self.fields = 0
        self.part: _Part = _Ignored()
        self.header_name = b""
        self.header_value = b""
        self.disposition = b""
        self.seen_ids: set[str] = set()
        self.ended = False

    def on_end(self) -> None:
        self.ended = True

    def on_part_begin(self) -> None:
        self.disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_name.lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_name, self.header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        try:
            name = options[b"name"].decode("utf-8")
        except (KeyError, UnicodeDecodeError):
            raise UploadRefused("a part has no name") from None
        filename = options.get(b"filename")
        if filename is None:
            self.fields += 1
            if self.fields > self.limits.max_fields:
                raise UploadRefused("too many fields")
            self.part = _Field(self, name)
        elif name in BLOB_FIELDS:
            self.part = _Blob(self, name)
        elif name in (PLAIN_FILE_FIELD, SEALED_FILE_FIELD) and filename:
            self.part = self._file_part(name, filename)
        else:
            self.part = _Ignored()  # an empty file input, or a part we do not take

    def _file_part(self, name: str, filename: bytes) -> _Part:
        self.parsed.file_count += 1
        if self.parsed.file_count > self.limits.max_files:
            self.parsed.problems.add(FileProblem.TOO_MANY)
            return _Ignored()
        if name == PLAIN_FILE_FIELD:
            self.parsed.plain_files += 1
            return _PlainFile(self)
        attachment_id = filename.decode("ascii", "replace")
        if not _ATTACHMENT_ID.match(attachment_id) or attachment_id in self.seen_ids:
            raise UploadRefused("a sealed file has no valid id")
        self.seen_ids.add(attachment_id)
        return _SealedFile(self, attachment_id)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.part.write(data[start:end])

    def on_part_end(self) -> None:
        self.part.close()
        self.part = _Ignored()


async def read_upload(request: Request, *, limits: UploadLimits) -> ParsedUpload:
    """Parse a multipart body as it streams in: plain files are sealed (or held, photos), sealed ones split."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise UploadRefused("not a multipart form")
    reader = _Reader(limits)
    callbacks = {
        "on_part_begin": reader.on_part_begin,
        "on_part_data": reader.on_part_data,
        "on_part_end": reader.on_part_end,
        "on_header_field": reader.on_header_field,
        "on_header_value": reader.on_header_value,
        "on_header_end": reader.on_header_end,
        "on_headers_finished": reader.on_headers_finished,
        "on_end": reader.on_end,
    }
    try:
        # Inside the try: the parser refuses an empty or over-long boundary as it is built.
        parser = MultipartParser(params[b"boundary"], callbacks)  # type: ignore[arg-type]
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FormParserError:
        raise UploadRefused("malformed multipart body") from None
    if not reader.ended:
        # A body cut short (a dropped connection) must not become a report without its last part.
        raise UploadRefused("the body ended before the closing boundary")
    return reader.parsed


def seal_all(parsed: ParsedUpload) -> list[SealedAttachment]:
    """Strip and seal the held photos, then name every file in order. CPU-bound: run it in a worker thread.

    Raises UnreadableImage for a photo Pillow cannot decode.
    """
    attachments = list(parsed.sealed)
    for photo in parsed.photos:
        kind = "png" if photo.kind == "png" else "jpeg"
        description, header, chunks = seal_bytes(strip_metadata(bytes(photo.data), photo.kind), kind=kind)
        photo.data.clear()
        attachments.append(SealedAttachment(id=description["id"], header=header, chunks=chunks,
                                            sealed_size=len(header) + sum(map(len, chunks)), description=description,
                                            order=photo.order))
    parsed.photos.clear()
    attachments.sort(key=lambda a: a.order)
    name_attachments([a.description for a in attachments if a.description is not None])
    return attachments
