"""The report form (GET /q/{code}/report) and its submission (POST /report/{code}), which shows the receipt.

The form posts to /report/{code}, not to its own address: upload limits are given by path prefix, and a prefix
that covered /q/ would give every poster form (ratings, hand-ins) the large upload limit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crypto import format_receipt
from intake.chooser import Place, PosterNotUsable, place_of, poster_refusal
from intake.costly import run_costly
from intake.forms import check_csrf
from intake.group_commit import Group, IntakeBusy
from intake.models import Department
from intake.receipts import PreparedReceipt, prepare_receipt, receipt_pepper
from intake.rendering import render
from intake.report_form import CATEGORIES, FIELD_LABELS, ReportInput, read_department, read_report
from intake.reports import (
    KeyRotated,
    PlainReady,
    Recipient,
    Recipients,
    ReportRefused,
    UnreadableImage,
    prepare_plain,
    routed,
    seal_again,
    store_report,
)
from intake.uploads import FileProblem, ParsedUpload, UploadLimits, UploadRefused, read_upload

UPLOAD_PREFIX = "/report/"
LIMITS = UploadLimits()
FILE_MESSAGES = {
    FileProblem.TOO_MANY: "附件最多 {files} 个，多出的文件没有收下。",
    FileProblem.TOO_LARGE: "单个附件不能超过 {file_mb} MB，超过的文件没有收下。",
    FileProblem.TOTAL: "附件合计不能超过 {total_mb} MB，超出部分没有收下。",
    FileProblem.TYPE: "只能上传照片（JPG、PNG、WebP）或 PDF 文件。",
}
IMAGE_UNREADABLE = "有一张照片无法读取，请换一张再试。"
RESELECT = "为保护您的隐私，已选择的附件不会保留，请重新选择。"


def limit_values() -> dict[str, int]:
    return {"files": LIMITS.max_files, "file_mb": LIMITS.max_file_bytes // (1024 * 1024),
            "total_mb": LIMITS.max_total_bytes // (1024 * 1024)}


def _context(request: Request, place: Place, to: Recipients, departments: list[Department],
             report: ReportInput, file_errors: list[str]) -> dict[str, Any]:
    return {"place": place, "report": report, "categories": CATEGORIES, "labels_for": FIELD_LABELS,
            "departments": departments, "hospital_key": to.hospital, "authority": to.authority,
            "limits": limit_values(), "file_errors": file_errors, "action": f"{UPLOAD_PREFIX}{place.code}"}


def _load(request: Request, *, fresh: bool) -> tuple[Place, Recipients, list[Department]]:
    """The poster's place, where its reports go, and (for a hospital-wide poster) the departments to choose from.
    The form reads the offices' keys afresh: a browser seals to what the page gives it. A submission takes this
    worker's memory of them, which `store_report` checks under the write lock."""
    place = place_of(request)
    memory = request.app.state.recipients
    to = memory.fresh(place.hospital_id) if fresh else memory.remembered(place.hospital_id)
    departments: list[Department] = []
    if place.department_id is None:
        with request.app.state.db.read() as session:
            departments = list(session.scalars(select(Department).where(
                Department.hospital_id == place.hospital_id, Department.retired_at.is_(None)).order_by(Department.id)))
    return place, to, departments


async def report_form(request: Request) -> Response:
    """Show the report form for the poster's hospital and department."""
    try:
        place, to, departments = _load(request, fresh=True)
    except PosterNotUsable as refused:
        return poster_refusal(request, refused)
    return render(request, "intake/report/form.html", _context(request, place, to, departments, ReportInput(), []))


def _receipt_page(request: Request, receipt: PreparedReceipt, *, place: Place, to: Recipients, office_id: int,
                  sealed_in_browser: bool) -> Response:
    escalated = to.authority is not None and office_id == to.authority.office_id
    # Rendered in the POST's own response (no redirect, so the code is in no URL and no history entry).
    return render(request, "intake/report/receipt.html", {
        "place": place, "groups": format_receipt(receipt.code).split(" "), "escalated": escalated,
        "office_name": to.authority.office_name if escalated and to.authority else to.hospital.office_name,
        "sealed_in_browser": sealed_in_browser})


async def submit_report(request: Request) -> Response:
    """File a report: store the browser's envelope as it came, or seal the plain form in memory."""
    try:
        place, to, departments = _load(request, fresh=False)
    except PosterNotUsable as refused:
        return poster_refusal(request, refused)
    try:
        upload = await read_upload(request, limits=LIMITS)
    except UploadRefused:
        raise HTTPException(status_code=400) from None
    check_csrf(request, upload.fields.get("csrf_token", ""))
    if upload.sealed_in_browser:
        return await _submit_sealed(request, upload, place, to, {d.id for d in departments})
    return await _submit_plain(request, upload, place, to, departments)


async def _store(request: Request, **report: Any) -> str:
    """Store a sealed report in the worker's next group commit; answered once it is on disk."""
    def write(group: Group) -> str:
        return store_report(group, **report)
    try:
        stored: str = await request.app.state.intake_writer.run(write)
    except IntakeBusy:
        raise HTTPException(status_code=503) from None
    return stored


def _pepper(request: Request) -> bytes:
    return receipt_pepper(request.app.state.settings.secret.reveal())


async def _submit_sealed(request: Request, upload: ParsedUpload, place: Place, to: Recipients,
                         departments: set[int]) -> Response:
    if upload.plain_files or upload.photos:
        raise HTTPException(status_code=400)
    if upload.problems:
        # The script checks the limits before sealing; this is a browser that did not.
        raise HTTPException(status_code=413)
    envelope, identity = upload.blobs["envelope"], upload.blobs.get("identity")
    department_id = place.department_id or read_department(upload.fields.get("department", ""), departments)
    try:
        recipient = routed(envelope, identity, to)
    except ReportRefused:
        try:  # sealed to a key this worker has not seen yet (the form came from another worker, after a rotation)?
            to = request.app.state.recipients.fresh(place.hospital_id)
            recipient = routed(envelope, identity, to)
        except ReportRefused:
            raise HTTPException(status_code=400) from None
    receipt = await run_costly(prepare_receipt, pepper=_pepper(request),
                                      params=request.app.state.settings.argon2)
    try:
        await _store(request, place=place, office_id=recipient.office_id, sealed_to=recipient.key_id,
                     department_id=department_id, envelope=envelope, identity=identity, attachments=upload.sealed,
                     receipt=receipt, sealed_in_browser=True)
    except (ReportRefused, KeyRotated):  # a key retired since the form was shown: the page asks to send again
        request.app.state.recipients.fresh(place.hospital_id)
        raise HTTPException(status_code=400) from None
    return _receipt_page(request, receipt, place=place, to=to, office_id=recipient.office_id,
                         sealed_in_browser=True)


async def _submit_plain(request: Request, upload: ParsedUpload, place: Place, to: Recipients,
                        departments: list[Department]) -> Response:
    report = read_report(upload.fields, departments={d.id for d in departments})
    file_errors = [FILE_MESSAGES[p] for p in FileProblem if p in upload.problems]  # formatted by the page
    if report.escalate and to.authority is None:
        report.escalate = False
    if report.errors or file_errors:
        if upload.file_count:
            file_errors.append(RESELECT)
        return render(request, "intake/report/form.html",
                      _context(request, place, to, departments, report, file_errors), status_code=400)
    try:
        ready: PlainReady = await run_costly(
            prepare_plain, report, upload, place=place, to=_recipient_of(report, to), pepper=_pepper(request),
            params=request.app.state.settings.argon2)
    except UnreadableImage:
        return render(request, "intake/report/form.html",
                      _context(request, place, to, departments, report, [IMAGE_UNREADABLE, RESELECT]),
                      status_code=400)
    try:
        await _store_plain(request, ready, place)
    except KeyRotated:  # the office's key was replaced since this worker read it: sealed again, same receipt
        to = request.app.state.recipients.fresh(place.hospital_id)
        ready = seal_again(ready, report, place=place, to=_recipient_of(report, to))
        await _store_plain(request, ready, place)
    return _receipt_page(request, ready.receipt, place=place, to=to, office_id=ready.office_id,
                         sealed_in_browser=False)


def _recipient_of(report: ReportInput, to: Recipients) -> Recipient:
    return to.authority if report.escalate and to.authority else to.hospital


async def _store_plain(request: Request, ready: PlainReady, place: Place) -> None:
    await _store(request, place=place, office_id=ready.office_id, sealed_to=ready.sealed_to,
                 department_id=ready.department_id, envelope=ready.envelope, identity=ready.identity,
                 attachments=ready.attachments, receipt=ready.receipt, sealed_in_browser=False)


routes = [
    Route("/q/{code:str}/report", report_form, methods=["GET"]),
    Route(UPLOAD_PREFIX + "{code:str}", submit_report, methods=["POST"]),
]
