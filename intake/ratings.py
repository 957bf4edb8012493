"""Taking a rating in: check the code or the open-poster throttle, seal (unless the browser did), store."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto import CryptoError, envelope_key_id, seal
from intake import rating_codes, throttle
from intake.db import new_id, this_hour
from intake.group_commit import Group
from intake.models import Department, Poster, Submission, SubmissionKind
from intake.office_keys import SealingKey, current_sealing_key
from intake.questionnaire import FilledRating
from intake.rating_models import Rating
from intake.sealing import encode_payload, submission_context

# Per client address and hour. Patients on mobile data share carrier-grade NAT addresses, and a hospital's WiFi
# is one address: the default lets a busy hall through while a script stuffing ratings is stopped. A setting.
OPEN_RATINGS_PER_HOUR = 30
CODE_FAILURES_PER_HOUR = 10  # wrong codes per client before codes are refused for the hour
WINDOW = timedelta(hours=1)
MAX_ENVELOPE = 16 * 1024


class Outcome(enum.Enum):
    STORED = "stored"
    CODE_REFUSED = "code_refused"  # unknown, used or voided: one answer for all
    THROTTLED = "throttled"
    BAD_ENVELOPE = "bad_envelope"


@dataclass(frozen=True)
class Stored:
    outcome: Outcome
    submission_id: str | None = None


@dataclass(frozen=True)
class RatingInput:
    hospital_id: int
    department_id: int | None
    filled: FilledRating | None  # answers to seal here (no JavaScript), or
    envelope: bytes | None  # what the browser sealed
    code: str | None  # normalised one-time code, if one was typed


def active_departments(session: Session, hospital_id: int) -> list[Department]:
    return list(
        session.scalars(
            select(Department)
            .where(Department.hospital_id == hospital_id, Department.retired_at.is_(None))
            .order_by(Department.id)
        )
    )


def department_poster(session: Session, *, hospital_id: int, department_id: int | None) -> str | None:
    """The patient poster code of a department, so that '我要举报' after rating keeps the department."""
    query = select(Poster.code).where(Poster.hospital_id == hospital_id, Poster.audience == "patient")
    if department_id is None:
        query = query.where(Poster.department_id.is_(None))
    else:
        query = query.where(Poster.department_id == department_id)
    return session.scalar(query.limit(1))


@dataclass(frozen=True)
class PreparedRating:
    """A rating ready to store: sealed here with the key this worker remembered, or as the browser sealed it."""

    rating: RatingInput
    envelope: bytes
    sealed_to: bytes  # the key id the envelope is sealed to
    context: bytes


def prepare_rating(rating: RatingInput, key: SealingKey) -> PreparedRating | Stored:
    """Seal (or check the shape of) a rating before the write lock is taken; a refusal is returned."""
    context = submission_context(
        kind=SubmissionKind.RATING, hospital_id=rating.hospital_id, department_id=rating.department_id
    )
    if rating.envelope is not None:
        if len(rating.envelope) > MAX_ENVELOPE:
            return Stored(Outcome.BAD_ENVELOPE)
        try:
            sealed_to = envelope_key_id(rating.envelope)
        except CryptoError:
            return Stored(Outcome.BAD_ENVELOPE)
        return PreparedRating(rating, rating.envelope, sealed_to, context)
    assert rating.filled is not None
    envelope = seal(key.public_key, encode_payload(rating.filled.payload()), associated_data=context)
    return PreparedRating(rating, envelope, key.key_id, context)


_SUBMISSIONS = Submission.__table__
_RATINGS = Rating.__table__


def store_rating(group: Group, prepared: PreparedRating, *, key: SealingKey, client: bytes, pepper: bytes,
                 now: datetime, open_per_hour: int = OPEN_RATINGS_PER_HOUR) -> Stored:
    """Inside the write transaction: check the code or count the open rating, and queue the rows. `key` is the
    current key as this transaction sees it; a rating sealed to another is sealed again (on arrival) or refused
    (the browser's, which the patient can send again after a reload). A refusal is returned, not raised, so that
    the throttle count it made is committed while nothing of the rating is stored."""
    rating = prepared.rating
    envelope = prepared.envelope
    if prepared.sealed_to != key.key_id:
        if rating.filled is None:
            return Stored(Outcome.BAD_ENVELOPE)
        envelope = seal(key.public_key, encode_payload(rating.filled.payload()), associated_data=prepared.context)
    connection = group.connection
    if rating.code is not None:
        scope = "rating_code"
        if throttle.current_count(connection, scope=scope, key=client, window=WINDOW,
                                  now=now) >= CODE_FAILURES_PER_HOUR:
            return Stored(Outcome.THROTTLED)
        if not rating_codes.consume(connection, pepper=pepper, code=rating.code, hospital_id=rating.hospital_id):
            throttle.hit(connection, scope=scope, key=client, window=WINDOW, now=now)
            return Stored(Outcome.CODE_REFUSED)
    elif throttle.hit(connection, scope="rating_open", key=client, window=WINDOW, now=now) > open_per_hour:
        return Stored(Outcome.THROTTLED)
    submission_id = new_id()
    group.insert(_SUBMISSIONS, {
        "id": submission_id, "kind": SubmissionKind.RATING, "office_id": key.office_id,
        "hospital_id": rating.hospital_id, "department_id": rating.department_id, "envelope": envelope,
        "identity_envelope": None, "sealed_in_browser": rating.envelope is not None, "status": "received",
        "created_hour": this_hour(),
    })
    group.insert(_RATINGS, {"submission_id": submission_id, "office_id": key.office_id,
                            "verified": rating.code is not None, "counted": False})
    return Stored(Outcome.STORED, submission_id)


def submit_rating(session: Session, rating: RatingInput, *, client: bytes, pepper: bytes, now: datetime,
                  open_per_hour: int = OPEN_RATINGS_PER_HOUR) -> Stored:
    """Store one rating in the session's transaction (scripts and tests; the route goes through GroupCommit)."""
    group = Group(session.connection())
    key = current_sealing_key(group.connection, rating.hospital_id)
    prepared = prepare_rating(rating, key)
    if isinstance(prepared, Stored):
        return prepared
    stored = store_rating(group, prepared, key=key, client=client, pepper=pepper, now=now,
                          open_per_hour=open_per_hour)
    group.write_rows()
    return stored
