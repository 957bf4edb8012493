"""The portal as `portal serve` runs it, plus two bench-only probe routes (never part of the product).

Until the ratings and reports intake land, the probes measure the foundation path those endpoints will take:
- POST /bench/sealed/{code}   read_form (CSRF), resolve the poster, seal on arrival, insert a Submission (ORM)
- POST /bench/receipt/{code}  the same plus a receipt: prepare_receipt (one Argon2id, in the thread pool) and
                              store_receipt in the same transaction
Both answer 303 like a form that redirects after posting. Served by `uvicorn --factory bench.probe:app_from_env`.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from crypto import format_receipt
from intake.chooser import place_of
from intake.db import this_hour
from intake.forms import TOKEN_FIELD, read_form, text
from intake.models import Office, Submission, SubmissionKind
from intake.receipts import PreparedReceipt, prepare_receipt, receipt_pepper, store_receipt
from intake.sealing import seal_payload, submission_context
from portal.app import PortalApp
from portal.app import app_from_env as portal_app_from_env
from portal.keyring import current_key


def _store(request: Request, form: FormData, kind: SubmissionKind, prepared: PreparedReceipt | None) -> None:
    fields = {name: text(form, name, max_length=2000) for name in form if name != TOKEN_FIELD}
    place = place_of(request)
    context = submission_context(kind=kind, hospital_id=place.hospital_id, department_id=place.department_id)
    with request.app.state.db.transaction() as session:
        office_id = session.scalar(select(Office.id).where(Office.hospital_id == place.hospital_id))
        assert office_id is not None
        key = current_key(session, office_id)
        envelope = seal_payload(key, {"v": 1, "fields": fields, "attachments": []}, associated_data=context)
        submission = Submission(kind=kind, office_id=office_id, hospital_id=place.hospital_id,
                                department_id=place.department_id, envelope=envelope, created_hour=this_hour())
        session.add(submission)
        if prepared is not None:
            session.flush()
            store_receipt(session, prepared, submission_id=submission.id)


async def sealed_intake(request: Request) -> Response:
    _store(request, await read_form(request), SubmissionKind.RATING, None)
    return RedirectResponse(f"/q/{request.path_params['code']}", status_code=303)


async def receipt_intake(request: Request) -> Response:
    form = await read_form(request)  # the CSRF check comes before the costly step
    settings = request.app.state.settings
    prepared = await run_in_threadpool(
        prepare_receipt, pepper=receipt_pepper(settings.secret.reveal()), params=settings.argon2
    )
    _store(request, form, SubmissionKind.REPORT, prepared)
    return PlainTextResponse(f"receipt {format_receipt(prepared.code)}")


def app_from_env() -> PortalApp:
    app = portal_app_from_env()
    app.starlette.router.routes.extend([
        Route("/bench/sealed/{code:str}", sealed_intake, methods=["POST"]),
        Route("/bench/receipt/{code:str}", receipt_intake, methods=["POST"]),
    ])
    return app
