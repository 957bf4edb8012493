"""The clue ledger's pages: the ledger, a new clue (from a report or by hand), one clue to read and edit."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm.exc import StaleDataError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from crypto import CryptoError
from intake.db import utcnow
from intake.forms import read_form, text
from intake.models import Submission
from intake.rendering import render
from intake.workdays import china_date, china_today
from portal import audit, clues, transfers
from portal.auth import CurrentOfficer
from portal.clue_models import LABELS, ClueSource, ClueStatus, NoticeKind, ReportCategory
from portal.clue_rules import MESSAGES, SEALED_FIELDS, TEXT_LIMITS, parse_clue_form
from portal.deadlines import STATE_LABELS, deadlines_for
from portal.ledger import COLUMNS, LedgerFilter, ledger_page, record_reading
from portal.office.guard import require_reader
from portal.submissions import open_submission
from portal.workbench import assignable_officers

FORM_FIELDS = (*clues.EDITABLE_PLAIN, "received_on", "closed_on", "administrative_penalty", "publicised",
               *SEALED_FIELDS)


def _form_strings(form: FormData) -> dict[str, str]:
    return {name: text(form, name, max_length=TEXT_LIMITS.get(name, 200) + 1000) for name in FORM_FIELDS}


def _choices(session: Any, officer: CurrentOfficer) -> dict[str, Any]:
    return {"departments": clues.departments_of(session, office_id=officer.office_id),
            "officers": assignable_officers(session, office_id=officer.office_id)}


def _parse(request: Request, session: Any, officer: CurrentOfficer, values: dict[str, str], *,
           existing_result: bool = False) -> tuple[Any, dict[str, str], dict[str, Any]]:
    choices = _choices(session, officer)
    value, errors = parse_clue_form(values, today=china_today(), existing_result=existing_result,
                                    department_ids={d.id for d in choices["departments"]},
                                    officer_ids={o.id for o in choices["officers"]})
    return value, {k: MESSAGES[v] for k, v in errors.items()}, choices


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    context.setdefault("clue_labels", LABELS)
    context.setdefault("errors", {})
    context.setdefault("problem", "")
    return render(request, name, context, status_code=status_code)


def ledger_filter_from(request: Request) -> LedgerFilter:
    q = request.query_params

    def pick(kind: Any, name: str) -> Any:
        try:
            return kind(q[name]) if q.get(name) else None
        except ValueError:
            return None

    department = q.get("department_id", "")
    year = q.get("year", "")
    return LedgerFilter(status=pick(ClueStatus, "status"), source=pick(ClueSource, "source"),
                        category=pick(ReportCategory, "category"),
                        department_id=int(department) if department.isdigit() else None,
                        year=int(year) if year.isdigit() and len(year) == 4 else None)


async def ledger_view(request: Request) -> Response:
    """The ledger with its sealed texts opened (one audit event for the whole page)."""
    officer = require_reader(request)
    wanted = ledger_filter_from(request)
    page = request.query_params.get("page", "")
    try:
        with request.app.state.db.read() as session:
            found = ledger_page(session, officer=officer, wanted=wanted, page=int(page) if page.isdigit() else 1)
            choices = _choices(session, officer)
    except CryptoError:
        raise refuse_undecryptable(request, officer, "ledger") from None
    with request.app.state.db.transaction() as session:
        record_reading(session, officer=officer, wanted=wanted, action="ledger_viewed",
                       details={"rows": len(found.rows), "page": found.page})
    filters = urlencode({k: v for k, v in request.query_params.items() if k != "page"})
    return _page(request, "office/clues/ledger.html", {
        "officer": officer, "found": found, "rows": found.rows, "columns": COLUMNS, "wanted": wanted,
        "query": filters, **choices})


async def new_clue_page(request: Request) -> Response:
    """A blank clue form; from a report, the report is shown beside it and can join an existing clue instead."""
    officer = require_reader(request)
    submission_id = request.query_params.get("submission", "")
    report = None
    with request.app.state.db.transaction() as session:
        values = {"source": "petition", "status": "pending", "handling_mode": "self", "further_step": "none",
                  "received_on": china_today().isoformat()}
        if submission_id:
            existing = clues.clue_of_report(session, submission_id=submission_id)
            if existing is not None and existing.office_id == officer.office_id:
                return RedirectResponse(f"/office/clues/{existing.id}", status_code=303)
            try:
                report = open_submission(session, officer=officer, submission_id=submission_id)
            except CryptoError:
                raise HTTPException(status_code=409) from None
            if report is None:
                raise HTTPException(status_code=404)
            values.update(channel="online", received_on=china_date(report.row.created_hour).isoformat())
            stored = session.get(Submission, submission_id)
            values["department_id"] = str(stored.department_id or "") if stored else ""
        context = {"officer": officer, "values": values, "report": report, "submission_id": submission_id,
                   "open_clues": clues.open_clues(session, office_id=officer.office_id), **_choices(session, officer)}
    return _page(request, "office/clues/new.html", context)


async def create_clue(request: Request) -> Response:
    """Save a new clue, or show the form again with every input kept and each problem named."""
    officer = require_reader(request)
    form = await read_form(request)
    values = _form_strings(form)
    submission_id = text(form, "submission_id", max_length=64)
    errors: dict[str, str] = {}
    problem = "请更正标出的内容后再保存，已填写的内容均已保留。"
    try:
        with request.app.state.db.transaction() as session:
            value, errors, _ = _parse(request, session, officer, values)
            if value is not None:
                clue = clues.create_clue(session, officer=officer, value=value, submission_id=submission_id or None)
                return RedirectResponse(f"/office/clues/{clue.id}?saved=1", status_code=303)
    except clues.ClueError as exc:
        problem = str(exc)
    with request.app.state.db.transaction() as session:
        context = {"officer": officer, "values": values, "report": None, "submission_id": submission_id,
                   "open_clues": clues.open_clues(session, office_id=officer.office_id), **_choices(session, officer)}
    return _page(request, "office/clues/new.html", {**context, "errors": errors, "problem": problem},
                 status_code=400)


def _clue_or_refuse(session: Any, officer: CurrentOfficer, clue_id: int) -> Any:
    """The clue, or 404 when there is none and 403 when it is another office's."""
    try:
        return clues.get_clue(session, officer=officer, clue_id=clue_id)
    except clues.ClueNotFound:
        raise HTTPException(status_code=404) from None
    except clues.ForeignClue:
        raise HTTPException(status_code=403) from None


def _clue_context(session: Any, officer: CurrentOfficer, clue_id: int, settings: Any) -> dict[str, Any]:
    clue = _clue_or_refuse(session, officer, clue_id)
    texts = clues.open_texts(clue, officer)
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="open_clue", target=clue.number)
    reports = clues.linked_reports(session, clue_id=clue.id)
    deadlines = deadlines_for(session, reports, today=china_today(),
                              acceptance_workdays=settings.acceptance_notice_workdays,
                              result_workdays=settings.result_notice_workdays)
    return {"officer": officer, "clue": clue, "values": clues.form_values(clue, texts), "texts": texts,
            "transfer": transfers.panel(session, officer=officer, clue=clue),
            "reports": reports, "deadlines": deadlines, "state_labels": STATE_LABELS,
            "history": clues.history(session, clue_id=clue.id), **_choices(session, officer)}


def refuse_undecryptable(request: Request, officer: CurrentOfficer, target: str) -> HTTPException:
    """A sealed text that does not open where it is stored was moved or altered: record it, show 409."""
    with request.app.state.db.transaction() as session:
        audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="decryption_failed",
                     target=target)
    return HTTPException(status_code=409)


async def clue_page(request: Request) -> Response:
    """One clue with its sealed texts opened (an audit event), its reports, deadlines and history."""
    officer = require_reader(request)
    try:
        with request.app.state.db.transaction() as session:
            context = _clue_context(session, officer, request.path_params["clue_id"], request.app.state.settings)
    except CryptoError:
        raise refuse_undecryptable(request, officer, f"clue:{request.path_params['clue_id']}") from None
    return _page(request, "office/clues/clue.html", {**context, "saved": request.query_params.get("saved")})


async def update_clue(request: Request) -> Response:
    """Save an edit; a concurrent save or a broken rule shows the form again with the input kept."""
    officer = require_reader(request)
    form = await read_form(request)
    values = _form_strings(form)
    clue_id = request.path_params["clue_id"]
    version_raw = text(form, "version", max_length=12)
    version = int(version_raw) if version_raw.isdigit() else -1
    settings = request.app.state.settings
    errors: dict[str, str] = {}
    try:
        with request.app.state.db.transaction() as session:
            _clue_context(session, officer, clue_id, settings)
            value, errors, _ = _parse(request, session, officer, values)
            if value is not None:
                clues.update_clue(session, officer=officer, clue_id=clue_id, value=value, version=version)
                return RedirectResponse(f"/office/clues/{clue_id}?saved=1", status_code=303)
            problem = "请更正标出的内容后再保存，已填写的内容均已保留。"
    except (clues.StaleClue, StaleDataError):
        problem = "stale"
    except CryptoError:
        raise refuse_undecryptable(request, officer, f"clue:{request.path_params['clue_id']}") from None
    except clues.ClueError as exc:
        problem = str(exc)
    with request.app.state.db.transaction() as session:
        context = _clue_context(session, officer, clue_id, settings)
        stale_entries = clues.history(session, clue_id=clue_id, after_version=version) if problem == "stale" else []
    # The officer's own input stays on the page; the version becomes the current one, so that saving again is a
    # deliberate choice after reading what the other officer changed.
    context["values"] = values
    return _page(request, "office/clues/clue.html", {**context, "errors": errors, "problem": problem,
                                                     "stale": stale_entries, "saved": None}, status_code=409
                 if problem == "stale" else 400)


async def link_report(request: Request) -> Response:
    """Join a report to an existing clue (并入线索)."""
    officer = require_reader(request)
    form = await read_form(request)
    submission_id = text(form, "submission_id", max_length=64)
    clue_raw = text(form, "clue_id", max_length=12)
    try:
        with request.app.state.db.transaction() as session:
            clue = clues.link_report(session, officer=officer, clue_id=int(clue_raw) if clue_raw.isdigit() else 0,
                                     submission_id=submission_id)
            return RedirectResponse(f"/office/clues/{clue.id}?saved=1", status_code=303)
    except clues.ClueNotFound:
        raise HTTPException(status_code=404) from None
    except clues.ForeignClue:
        raise HTTPException(status_code=403) from None
    except clues.ClueError as exc:
        problem = str(exc)
    return _page(request, "office/clues/problem.html", {"officer": officer, "problem": problem,
                                                        "back": f"/office/clues/new?submission={submission_id}"},
                 status_code=400)


async def record_notice(request: Request) -> Response:
    """Record that a real-name reporter was told by phone, letter or in person (a reply counts by itself)."""
    officer = require_reader(request)
    form = await read_form(request)
    clue_id = request.path_params["clue_id"]
    submission_id = text(form, "submission_id", max_length=64)
    kind, via = text(form, "kind", max_length=20), text(form, "via", max_length=20)
    with request.app.state.db.transaction() as session:
        clue = _clue_or_refuse(session, officer, clue_id)
        if kind not in {k.value for k in NoticeKind} or via not in {"phone", "letter", "in_person", "reply"}:
            raise HTTPException(status_code=400)
        if submission_id not in {r.id for r in clues.linked_reports(session, clue_id=clue.id)}:
            raise HTTPException(status_code=404)
        clues.record_notice(session, submission_id, kind, utcnow(), via=via, officer_id=officer.id)
        audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="notice_recorded",
                     target=clue.number, details={"submission": submission_id, "kind": kind, "via": via})
    return RedirectResponse(f"/office/clues/{clue_id}?saved=1", status_code=303)


routes = [
    Route("/office/clues", ledger_view, methods=["GET"]),
    Route("/office/clues/new", new_clue_page, methods=["GET"]),
    Route("/office/clues/new", create_clue, methods=["POST"]),
    Route("/office/clues/link", link_report, methods=["POST"]),
    Route("/office/clues/{clue_id:int}", clue_page, methods=["GET"]),
    Route("/office/clues/{clue_id:int}", update_clue, methods=["POST"]),
    Route("/office/clues/{clue_id:int}/notices", record_notice, methods=["POST"]),
]
