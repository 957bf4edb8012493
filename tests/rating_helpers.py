"""Helpers for the rating tests: store ratings the way the form does, and hold the head's keys."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select, update

from crypto import load_private_key, unwrap_with_password
from intake.models import Department, Submission
from intake.questionnaire import FilledRating
from intake.rating_models import Rating
from intake.ratings import RatingInput, submit_rating
from portal.db import Database
from portal.keyring import Keyring, officer_keyring
from portal.models import Officer
from tests.helpers import PASSWORD, poster_code

GOOD = {"overall": "5", "red_envelope": "no", "outside_purchase": "no", "unnecessary": "no", "fees_clear": "4",
        "attitude": "5", "recommend": "definitely"}
POOR = {"overall": "2", "red_envelope": "unsure", "outside_purchase": "yes", "unnecessary": "yes",
        "fees_clear": "2", "attitude": "1", "recommend": "definitely_not"}


def head_keyring(db: Database) -> Keyring:
    with db.transaction() as session:
        head = session.scalar(select(Officer).where(Officer.username == "head"))
        assert head is not None
        private = load_private_key(unwrap_with_password(head.wrapped_private_key, PASSWORD))
        return officer_keyring(session, officer=head, officer_private=private)


def department_id(db: Database, name: str) -> int:
    with db.transaction() as session:
        found = session.scalar(select(Department.id).where(Department.name == name))
        assert found is not None
        return found


def patient_poster(db: Database, department_name: str | None) -> str:
    return poster_code(db, department_name=department_name)


def store_rating(db: Database, deployment, *, department: int | None, answers: Mapping[str, str],  # type: ignore[no-untyped-def]
                 comment: str = "", verified: bool = False, hour: datetime | None = None) -> str:
    """Store a rating as the form does without JavaScript (sealed on arrival); optionally move it to another
    hour (what `this_hour()` would have said then) and mark it verified as a used code would."""
    with db.transaction() as session:
        stored = submit_rating(
            session,
            RatingInput(hospital_id=deployment.hospital.id, department_id=department,
                        filled=FilledRating(answers=dict(answers), comment=comment), envelope=None, code=None),
            client=secrets.token_bytes(32), pepper=b"p" * 32, now=datetime.now(UTC),
        )
        assert stored.submission_id is not None
        if hour is not None:
            session.execute(update(Submission).where(Submission.id == stored.submission_id)
                            .values(created_hour=hour))
        if verified:
            session.execute(update(Rating).where(Rating.submission_id == stored.submission_id)
                            .values(verified=True))
        return stored.submission_id
