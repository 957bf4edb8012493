"""Taking a rating in: check the code or the open-poster throttle, seal (unless the browser did), store."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from crypto import CryptoError, envelope_key_id
from intake import rating_codes, throttle
from intake.db import this_hour
from intake.models import Department, Office, OfficeKey, Poster, Submission, SubmissionKind
from intake.questionnaire import FilledRating
from intake.rating_models import Rating
from intake.sealing import seal_payload, submission_context

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


_CURRENT_KEY = (
    select(OfficeKey)
    .join(Office, Office.id == OfficeKey.office_id)
    .where(Office.hospital_id == bindparam("hospital_id"), OfficeKey.retired_at.is_(None))
    .order_by(OfficeKey.id.desc())
    .limit(1)
)


def office_for(session: Session, hospital_id: int) -> tuple[int, OfficeKey]:
    """The hospital's office id and the key new submissions are sealed to (one query built once: this runs per
    rating, and building a select costs more than running it)."""
    key = session.scalar(_CURRENT_KEY, {"hospital_id": hospital_id})
    if key is None:
        raise LookupError(f"hospital {hospital_id} has no office key")
    return key.office_id, key


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


def submit_rating(session: Session, rating: RatingInput, *, client: bytes, pepper: bytes, now: datetime,
                  open_per_hour: int = OPEN_RATINGS_PER_HOUR) -> Stored:
    """Store one rating, sealed. A refusal is returned, not raised, so that the caller commits its throttle count
    while nothing of the rating is stored."""
    office_id, key = office_for(session, rating.hospital_id)
    context = submission_context(
        kind=SubmissionKind.RATING, hospital_id=rating.hospital_id, department_id=rating.department_id
    )
    if rating.envelope is not None:
        try:
            sealed_to = envelope_key_id(rating.envelope)
        except CryptoError:
            return Stored(Outcome.BAD_ENVELOPE)
        if sealed_to != key.key_id or len(rating.envelope) > MAX_ENVELOPE:
            return Stored(Outcome.BAD_ENVELOPE)
    if rating.code is not None:
        scope = "rating_code"
        if throttle.current_count(session, scope=scope, key=client, window=WINDOW, now=now) >= CODE_FAILURES_PER_HOUR:
            return Stored(Outcome.THROTTLED)
        if not rating_codes.consume(session, pepper=pepper, code=rating.code, hospital_id=rating.hospital_id):
            throttle.hit(session, scope=scope, key=client, window=WINDOW, now=now)
            return Stored(Outcome.CODE_REFUSED)
    elif throttle.hit(session, scope="rating_open", key=client, window=WINDOW, now=now) > open_per_hour:
        return Stored(Outcome.THROTTLED)
    if rating.envelope is not None:
        envelope = rating.envelope
    else:
        assert rating.filled is not None
        envelope = seal_payload(key, rating.filled.payload(), associated_data=context)
    submission = Submission(
        kind=SubmissionKind.RATING, office_id=office_id, hospital_id=rating.hospital_id,
        department_id=rating.department_id, envelope=envelope, sealed_in_browser=rating.envelope is not None,
        created_hour=this_hour(),
    )
    session.add(submission)
    session.flush()
    session.add(Rating(submission_id=submission.id, office_id=office_id, verified=rating.code is not None))
    return Stored(Outcome.STORED, submission.id)
