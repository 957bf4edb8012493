"""Retention: an expired, closed submission is deleted with its files, messages and receipt (SQLite zeroes the
freed pages), an open one is kept, and an audit event records the purge."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from intake.conversation import Message
from intake.db import utcnow
from intake.handin_models import HandIn
from intake.models import Attachment, AttachmentChunk, Receipt, Submission, SubmissionKind
from portal import audit
from portal.models import AuditEvent
from portal.retention import purge
from portal.settings import SettingsError, retention_days_from_env
from tests.handin_helpers import register, staff_poster
from tests.helpers import csrf_of
from tests.reporting import FULL_REPORT, Reporter, poster_code, tiny_pdf

PERIODS = {SubmissionKind.REPORT: timedelta(days=365), SubmissionKind.HAND_IN: timedelta(days=365),
           SubmissionKind.RATING: timedelta(days=365)}


def count(db, model) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_expired_closed_submissions_are_purged_with_everything_that_hangs_off_them(client, db, deployment,
                                                                                   department, head_client,
                                                                                   database_url, tmp_path):
    reporter = Reporter(client)
    for what in ("old-closed", "old-open", "recent-closed"):
        page = reporter.file(poster_code(db), {**FULL_REPORT, "what": what},
                             files=[("e.pdf", tiny_pdf(what), "application/pdf")])
        assert page.status_code == 200
    register(client, staff_poster(db, department.id))
    with db.transaction() as session:
        ids = {}
        for submission in session.scalars(select(Submission)):
            ids[submission.id] = submission
    opened = {}
    for submission_id in ids:
        page = head_client.get(f"/office/submissions/{submission_id}").text
        for what in ("old-closed", "old-open", "recent-closed"):
            if what in page:
                opened[what] = submission_id
        head_client.post(f"/office/submissions/{submission_id}/reply",
                         data={"csrf_token": csrf_of(page), "text": "回复"})
    handin_id = next(i for i in ids if i not in opened.values())
    long_ago = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=400)
    with db.transaction() as session:
        for what in ("old-closed", "old-open"):
            session.execute(update(Submission).where(Submission.id == opened[what]).values(created_hour=long_ago))
        session.execute(update(Submission).where(Submission.id == handin_id).values(created_hour=long_ago,
                                                                                    status="closed"))
        for what in ("old-closed", "recent-closed"):
            session.execute(update(Submission).where(Submission.id == opened[what]).values(status="closed"))
        doomed_envelope = session.get(Submission, opened["old-closed"]).envelope
    before = {model.__name__: count(db, model) for model in (Attachment, AttachmentChunk, Receipt, Message)}

    with db.transaction() as session:
        dry = purge(session, periods=PERIODS, now=utcnow(), dry_run=True)
    assert dry.deleted == {"report": 1, "handin": 1} and dry.kept_open == {"report": 1, "handin": 0}
    assert count(db, Submission) == 4
    with db.transaction() as session:
        done = purge(session, periods=PERIODS, now=utcnow())
    assert done.deleted == dry.deleted

    with db.transaction() as session:
        left = set(session.scalars(select(Submission.id)))
        assert left == {opened["old-open"], opened["recent-closed"]}
        assert session.scalar(select(func.count()).select_from(HandIn)) == 0
        for model in (Attachment, Receipt, Message):
            rows = session.scalars(select(model.submission_id)).all()  # type: ignore[attr-defined]
            assert set(rows) <= left, model.__name__
        orphans = session.scalar(select(func.count()).select_from(AttachmentChunk).where(
            AttachmentChunk.attachment_id.not_in(select(Attachment.id))))
        assert orphans == 0
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "retention_purge")).all()
        assert [json.loads(e.details)["report"] for e in events] == [1]
        assert audit.verify(session, office_id=deployment.office.id).broken_at_seq is None
    after = {model.__name__: count(db, model) for model in (Attachment, AttachmentChunk, Receipt, Message)}
    assert all(after[name] < before[name] for name in ("Attachment", "AttachmentChunk", "Receipt", "Message"))

    if database_url.startswith("sqlite"):
        raw = db.engine.raw_connection()  # outside a transaction, so that the checkpoint can run
        try:
            assert raw.driver_connection.execute("PRAGMA secure_delete").fetchone()[0] == 1
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        stored = b"".join(p.read_bytes() for p in tmp_path.glob("portal.db*"))
        assert doomed_envelope[20:80] not in stored  # the deleted ciphertext is gone from the file, not just unlinked


def test_retention_periods_come_from_the_environment(monkeypatch):
    assert retention_days_from_env() == {"report": 1825, "handin": 1825, "rating": 730}
    monkeypatch.setenv("PORTAL_RETENTION_RATING_DAYS", "400")
    assert retention_days_from_env()["rating"] == 400
    monkeypatch.setenv("PORTAL_RETENTION_REPORT_DAYS", "3")
    with pytest.raises(SettingsError, match="PORTAL_RETENTION_REPORT_DAYS"):
        retention_days_from_env()


def test_purge_on_an_empty_database_records_nothing(db, deployment):
    with db.transaction() as session:
        done = purge(session, periods=PERIODS, now=utcnow())
        assert session.execute(text("select 1")).scalar() == 1
    assert done.deleted == {} and count(db, AuditEvent) == 2  # the two "office_created" events only
