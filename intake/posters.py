"""Poster codes: short, unambiguous, and never changed once a department has one."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import Audience, Department, Hospital, Poster

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: typed by hand from a poster
CODE_LENGTH = 6


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def ensure_posters(session: Session, *, hospital: Hospital) -> int:
    """Give the hospital and each active department a patient and a staff poster code, once."""
    existing = {
        (p.department_id, p.audience) for p in session.scalars(select(Poster).where(Poster.hospital_id == hospital.id))
    }
    departments = session.scalars(
        select(Department).where(Department.hospital_id == hospital.id, Department.retired_at.is_(None))
    ).all()
    created = 0
    for department_id in [None, *(d.id for d in departments)]:
        for audience in Audience:
            if (department_id, audience) in existing:
                continue
            code = new_code()
            while session.get(Poster, code) is not None:
                code = new_code()
            session.add(Poster(code=code, hospital_id=hospital.id, department_id=department_id, audience=audience))
            created += 1
    session.flush()
    return created


def clean_code(code: str) -> str | None:
    """A typed poster code as stored (case and look-alike characters forgiven), or None if it cannot be one."""
    cleaned = code.strip().lower().replace("0", "o").replace("1", "l")
    if not cleaned or len(cleaned) > 16:
        return None
    return cleaned


def resolve(session: Session, code: str) -> Poster | None:
    """The poster behind a short code (case and look-alike characters forgiven), or None."""
    cleaned = clean_code(code)
    return session.get(Poster, cleaned) if cleaned else None
