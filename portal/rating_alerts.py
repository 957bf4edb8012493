"""Alerts raised by ratings (a red envelope asked for, or a comment): sealed to the office, listed and handled
by officers. Kept as plain service functions so that the unified inbox can reuse them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from crypto import PublicKey, context, load_public_key, seal
from intake.db import new_id, utcnow
from intake.models import Department, OfficeKey
from portal import audit
from portal.auth import CurrentOfficer
from portal.rating_models import AlertStatus, RatingAlert


def _alert_context(alert_id: str, office_id: int, department_id: int | None) -> bytes:
    return context("rating-alert", alert_id, str(office_id), str(department_id or ""))


@dataclass(frozen=True)
class NewAlert:
    """A rating that raises an alert, with what the alert keeps of it."""

    hospital_id: int
    department_id: int | None
    created_hour: datetime
    submission_id: str | None
    answers: dict[str, str]
    comment: str


def _sealed_row(public_key: PublicKey, office_id: int, alert: NewAlert) -> dict[str, Any]:
    alert_id = new_id()
    content = json.dumps({"answers": alert.answers, "comment": alert.comment}, ensure_ascii=False).encode("utf-8")
    return {
        "id": alert_id, "office_id": office_id, "hospital_id": alert.hospital_id,
        "department_id": alert.department_id, "submission_id": alert.submission_id,
        "created_hour": alert.created_hour,
        "envelope": seal(public_key, content,
                         associated_data=_alert_context(alert_id, office_id, alert.department_id)),
    }


def raise_alert(
    session: Session,
    *,
    office_key: OfficeKey,
    hospital_id: int,
    department_id: int | None,
    created_hour: datetime,
    submission_id: str | None,
    answers: dict[str, str],
    comment: str,
) -> RatingAlert:
    """Seal the rating's answers and comment to the office and add an alert for it."""
    alert = RatingAlert(**_sealed_row(load_public_key(office_key.public_key), office_key.office_id, NewAlert(
        hospital_id=hospital_id, department_id=department_id, created_hour=created_hour,
        submission_id=submission_id, answers=answers, comment=comment)))
    session.add(alert)
    return alert


def raise_alerts(session: Session, *, office_key: OfficeKey, alerts: Sequence[NewAlert]) -> None:
    """Seal and add many alerts in one statement (the rollup raises dozens per batch)."""
    if alerts:
        public_key = load_public_key(office_key.public_key)
        session.execute(insert(RatingAlert), [_sealed_row(public_key, office_key.office_id, a) for a in alerts])


def count_new(session: Session, *, office_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(RatingAlert.office_id == office_id, RatingAlert.status == AlertStatus.NEW)
        ) or 0
    )


@dataclass(frozen=True)
class OpenedAlert:
    id: str
    department: str
    created_hour: datetime
    status: str
    answers: dict[str, str]
    comment: str

    @property
    def red_envelope(self) -> bool:
        return self.answers.get("red_envelope") == "yes"


def open_alerts(
    session: Session, *, officer: CurrentOfficer, status: str = AlertStatus.NEW, limit: int = 200
) -> list[OpenedAlert]:
    """Decrypt the office's alerts of one status, newest first, and record the read."""
    rows = session.execute(
        select(RatingAlert, Department.name)
        .outerjoin(Department, Department.id == RatingAlert.department_id)
        .where(RatingAlert.office_id == officer.office_id, RatingAlert.status == status)
        .order_by(RatingAlert.created_hour.desc(), RatingAlert.id)
        .limit(limit)
    ).all()
    opened = []
    for alert, department in rows:
        raw = officer.keyring.open(
            alert.envelope, associated_data=_alert_context(alert.id, alert.office_id, alert.department_id)
        )
        content = json.loads(raw.decode("utf-8"))
        opened.append(OpenedAlert(id=alert.id, department=department or "", created_hour=alert.created_hour,
                                  status=alert.status, answers=dict(content.get("answers", {})),
                                  comment=str(content.get("comment", ""))))
    if opened:
        audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="open_rating_alerts",
                     details={"alerts": len(opened), "status": status})
    return opened


def mark_handled(session: Session, *, officer: CurrentOfficer, alert_id: str) -> bool:
    alert = session.get(RatingAlert, alert_id)
    if alert is None or alert.office_id != officer.office_id or alert.status != AlertStatus.NEW:
        return False
    alert.status = AlertStatus.HANDLED
    alert.handled_at = utcnow()
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="rating_alert_handled",
                 target=alert_id)
    return True
