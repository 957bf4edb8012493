"""Following up with a receipt code: throttled code checks, a short cookie session, the reporter's view.

A wrong code and a throttled one get the same answer after the same wait: a throttled check skips Argon2id
(sparing the CPU an attacker wants to burn) but sleeps for the median of recent Argon2id durations instead.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import statistics
import time
from collections import deque
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from crypto import (
    Argon2Params,
    CryptoError,
    PrivateKey,
    ReceiptCode,
    ReceiptFormatError,
    ReceiptKeys,
    context,
    derive_receipt_keys,
    generate_receipt,
    hkdf,
    load_private_key,
    load_public_key,
    normalise_receipt,
    private_key_bytes,
    unwrap_with_key,
    wrap_with_key,
)
from intake import throttle
from intake.attachments import store_attachment
from intake.conversation import MessageKind, OpenedMessage, add_message, messages_of, open_for_reporter
from intake.models import Department, Hospital, Office, Receipt, Submission
from intake.receipts import find_receipt, open_reporter_key
from intake.reports import current_office_key
from intake.uploads import SealedAttachment

COOKIE = "hip_follow"
COOKIE_PATH = "/follow"
SESSION_TTL = timedelta(minutes=20)
_SESSION_AD = context("follow-session", "1")


@dataclass(frozen=True)
class FollowLimits:
    """Wrong codes allowed per client and over all clients in a window, before every check is refused."""

    per_client: int = 10
    overall: int = 1000
    window: timedelta = timedelta(hours=1)


class ArgonClock:
    """Recent durations of one receipt derivation in this worker, to imitate one without computing it."""

    def __init__(self, size: int = 31) -> None:
        self.samples: deque[float] = deque(maxlen=size)

    def record(self, seconds: float) -> None:
        self.samples.append(seconds)

    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None


CLOCK = ArgonClock()


def derive_timed(code: ReceiptCode, *, pepper: bytes, params: Argon2Params) -> ReceiptKeys:
    """One Argon2id derivation, its duration recorded. Runs in a worker thread."""
    started = time.perf_counter()
    keys = derive_receipt_keys(code, pepper=pepper, params=params)
    CLOCK.record(time.perf_counter() - started)
    return keys


@dataclass(frozen=True)
class FollowSession:
    """What the follow-up cookie carries: the report and the reporter's key, usable for 20 minutes."""

    submission_id: str
    reporter_key: PrivateKey
    expires: datetime

    def __repr__(self) -> str:
        return f"FollowSession(submission_id={self.submission_id!r}, reporter_key=...)"


def _cookie_key(secret: bytes) -> bytes:
    return hkdf(secret, info=b"hip-follow-session-v1")


def seal_session(secret: bytes, *, submission_id: str, reporter_key: PrivateKey, now: datetime) -> str:
    """The cookie value: id, key and expiry encrypted under a key derived from the deployment secret.

    Nothing usable is kept on the server: the database alone cannot open it, and it expires by itself.
    """
    expires = int((now + SESSION_TTL).timestamp())
    raw = submission_id.encode("ascii") + private_key_bytes(reporter_key) + expires.to_bytes(8, "big")
    return base64.urlsafe_b64encode(wrap_with_key(_cookie_key(secret), raw, associated_data=_SESSION_AD)).decode()


def open_session(secret: bytes, cookie: str | None, *, now: datetime) -> FollowSession | None:
    if not cookie:
        return None
    try:
        raw = unwrap_with_key(_cookie_key(secret), base64.urlsafe_b64decode(cookie.encode("ascii")),
                              associated_data=_SESSION_AD)
        if len(raw) != 32 + 32 + 8:
            return None
        expires = datetime.fromtimestamp(int.from_bytes(raw[64:], "big"), now.tzinfo)
        if expires <= now:
            return None
        return FollowSession(submission_id=raw[:32].decode("ascii"), reporter_key=load_private_key(raw[32:64]),
                             expires=expires)
    except (CryptoError, binascii.Error, ValueError, UnicodeError):
        return None


_OVERALL = b"all"
_NO_RECEIPT = ReceiptKeys(lookup=bytes(32), wrap_key=bytes(32))  # looked up when there is nothing to look up


class Database(Protocol):
    """What this module needs of the application's database (intake does not import portal)."""

    def transaction(self) -> AbstractContextManager[Session]: ...


def _throttled(db: Database, client: bytes, limits: FollowLimits, now: datetime) -> bool:
    with db.transaction() as session:
        return (throttle.current_count(session, scope="receipt", key=client, window=limits.window, now=now)
                >= limits.per_client
                or throttle.current_count(session, scope="receipt-all", key=_OVERALL, window=limits.window,
                                          now=now) >= limits.overall)


async def _imitate_derivation(pepper: bytes, params: Argon2Params) -> None:
    median = CLOCK.median()
    if median is None:  # no sample yet in this worker: take one, once
        await run_in_threadpool(derive_timed, generate_receipt(), pepper=pepper, params=params)
        return
    await asyncio.sleep(median)


async def check_code(db: Database, typed: str, *, client: bytes, pepper: bytes, params: Argon2Params,
                     limits: FollowLimits, now: datetime) -> tuple[str, PrivateKey] | None:
    """The report and reporter key a typed code opens, or None (wrong, malformed or throttled: all alike).

    Every refused check does the same work in the same order — a derivation (or a wait as long as one), one
    lookup, one transaction of two counter writes — so that timing tells a throttled code from a wrong one by
    less than the noise of a network (tests/slow/test_receipt_timing.py).
    """
    throttled = _throttled(db, client, limits, now)
    try:
        code: ReceiptCode | None = normalise_receipt(typed)
    except ReceiptFormatError:
        code = None
    keys = None
    if throttled or code is None:
        await _imitate_derivation(pepper, params)
    else:
        keys = await run_in_threadpool(derive_timed, code, pepper=pepper, params=params)
    with db.transaction() as session:
        receipt = find_receipt(session, keys if keys is not None else _NO_RECEIPT)
        if receipt is not None and keys is not None:
            return receipt.submission_id, open_reporter_key(receipt, keys)
    with db.transaction() as session:
        throttle.hit(session, scope="receipt", key=client, window=limits.window, now=now)
        # A client already refused adds to its own counter only: it must not use up everyone's allowance.
        throttle.hit(session, scope="receipt" if throttled else "receipt-all", key=client if throttled else _OVERALL,
                     window=limits.window, now=now)
    return None


@dataclass(frozen=True)
class FollowView:
    """What the reporter sees: the plain workflow fields and the conversation opened with their key."""

    kind: str
    status: str
    result_text: str
    hospital_name: str
    department_name: str
    office_name: str
    messages: list[OpenedMessage]


def load_view(session: Session, follow: FollowSession) -> FollowView | None:
    submission = session.get(Submission, follow.submission_id)
    if submission is None:
        return None
    hospital = session.get(Hospital, submission.hospital_id)
    department = session.get(Department, submission.department_id) if submission.department_id else None
    office = session.get(Office, submission.office_id)
    opened = [open_for_reporter(m, follow.reporter_key) for m in messages_of(session, submission.id)]
    results = [m for m in opened if m.kind is MessageKind.RESULT]
    return FollowView(kind=submission.kind.value, status=submission.status,
                      result_text=results[-1].text if results else "",
                      hospital_name=hospital.name if hospital else "", department_name=department.name if department
                      else "", office_name=office.name if office else "", messages=opened)


def add_answer(session: Session, follow: FollowSession, *, text: str, attachments: list[SealedAttachment]) -> None:
    """The reporter writes back: text and extra files, sealed to the office and to the reporter."""
    submission = session.get(Submission, follow.submission_id)
    receipt = session.scalar(select(Receipt).where(Receipt.submission_id == follow.submission_id))
    if submission is None or receipt is None:
        raise LookupError("the report is gone")
    for attachment in attachments:
        store_attachment(session, submission_id=submission.id, attachment_id=attachment.id,
                         header=attachment.header, chunks=attachment.chunks)
    payload: dict[str, Any] = {"text": text,
                               "attachments": [a.description for a in attachments if a.description is not None]}
    add_message(session, submission=submission, kind=MessageKind.ANSWER, payload=payload,
                office_key=load_public_key(current_office_key(session, submission.office_id).public_key),
                reporter_key=load_public_key(receipt.reporter_public_key))
