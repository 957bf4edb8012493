"""Attachments: what binds a sealed file to its place, metadata stripping, and storing the sealed chunks."""

from __future__ import annotations

import base64
import io
import logging
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

from PIL import Image, ImageOps
from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto import ChunkSealer, context, new_file_key, open_chunks
from intake.models import Attachment, AttachmentChunk
from intake.sealing import FORMAT

# Pillow logs every EXIF tag it parses (GPS, camera, description) at DEBUG: a deployment that turns on debug
# logging must not write a photo's metadata to its logs.
logging.getLogger("PIL").setLevel(logging.INFO)

MAX_PIXELS = 60_000_000  # a 60-megapixel photo is already more than any phone takes
MIME = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/jpeg", "pdf": "application/pdf"}
EXTENSION = {"jpeg": "jpg", "png": "png", "webp": "jpg", "pdf": "pdf"}


class UnreadableImage(Exception):
    """A file that says it is a photo but Pillow cannot decode it (or it is absurdly large)."""


def new_attachment_id() -> str:
    return uuid.uuid4().hex


def attachment_context(attachment_id: str) -> bytes:
    """Associated data of an attachment's chunks: they open only as this attachment."""
    return context("attachment", FORMAT, attachment_id)


def describe(attachment_id: str, key: bytes, *, kind: str, size: int) -> dict[str, Any]:
    """An attachment's entry in the payload. Names are given later: an original name can carry a date or a person."""
    return {"id": attachment_id, "name": "", "type": MIME[kind], "size": size,
            "key": base64.b64encode(key).decode("ascii")}


def name_attachments(descriptions: list[dict[str, Any]]) -> None:
    for number, entry in enumerate(descriptions, start=1):
        extension = "pdf" if entry["type"] == "application/pdf" else entry["type"].split("/")[1].replace("jpeg", "jpg")
        entry["name"] = f"附件{number}.{extension}"


def strip_metadata(data: bytes, kind: str) -> bytes:
    """Re-encode a photo from its pixels alone: EXIF (GPS, device, time), XMP and comments are gone.

    The orientation EXIF carried is applied first, so the photo stays upright without it.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise UnreadableImage("too many pixels")
                upright = ImageOps.exif_transpose(image)
                mode = "RGBA" if kind == "png" and upright.mode in ("RGBA", "LA", "P") else "RGB"
                pixels = upright.convert(mode)
                # A fresh image from the raw pixels carries no info dictionary at all.
                clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise UnreadableImage(str(type(error).__name__)) from None
    out = io.BytesIO()
    if kind == "png":
        clean.save(out, format="PNG", optimize=False)
    else:
        clean.save(out, format="JPEG", quality=90)
    return out.getvalue()


def seal_bytes(data: bytes, *, kind: str) -> tuple[dict[str, Any], bytes, list[bytes]]:
    """Seal a whole file held in memory; return its payload entry, header and chunks."""
    attachment_id = new_attachment_id()
    key = new_file_key()
    sealer = ChunkSealer(key, associated_data=attachment_context(attachment_id))
    chunks = sealer.update(data)
    chunks.append(sealer.finalize())
    return describe(attachment_id, key, kind=kind, size=len(data)), sealer.header, chunks


def store_attachment(session: Session, *, submission_id: str, attachment_id: str, header: bytes,
                     chunks: list[bytes]) -> None:
    session.add(Attachment(id=attachment_id, submission_id=submission_id, header=header,
                           sealed_size=len(header) + sum(len(c) for c in chunks)))
    for index, chunk in enumerate(chunks):
        session.add(AttachmentChunk(attachment_id=attachment_id, index=index, data=chunk))


def open_attachment(session: Session, *, attachment: Attachment, key: bytes) -> Iterator[bytes]:
    """Decrypt an attachment chunk by chunk (the caller holds the file key from an opened envelope)."""
    chunks = session.scalars(select(AttachmentChunk.data).where(AttachmentChunk.attachment_id == attachment.id)
                             .order_by(AttachmentChunk.index)).all()
    return open_chunks(key, attachment.header, chunks, associated_data=attachment_context(attachment.id))
