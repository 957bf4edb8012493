"""The authority's administrator adds hospitals: the form, the department list upload, the one-time credentials."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from intake.forms import read_form, text
from intake.rendering import render
from portal import department_lists as lists
from portal.auth import CurrentOfficer
from portal.hospitals import HospitalForm, HospitalRefused, add_hospital, list_hospitals
from portal.models import Role
from portal.office.authority import require_authority
from portal.office.officers import _qr_data_uri

ADMIN = frozenset({Role.ADMIN})
MAX_FILE = 200 * 1024


def _form_page(request: Request, officer: CurrentOfficer, *, values: dict[str, str] | None = None,
               errors: list[lists.RowError] | None = None, status_code: int = 200) -> Response:
    errors = errors or []
    return render(request, "office/hospital_new.html", {
        "officer": officer, "values": values or {}, "form_errors": [e for e in errors if e.row == 0],
        "row_errors": [e for e in errors if e.row > 0], "field_errors": {e.values.get("field") for e in errors}},
        status_code=status_code)


async def hospitals_page(request: Request) -> Response:
    """Every hospital of the region with its departments and officers (no content)."""
    officer = require_authority(request, roles=ADMIN)
    with request.app.state.db.transaction() as session:
        rows = list_hospitals(session)
    return render(request, "office/hospitals.html", {"officer": officer, "rows": rows})


async def new_hospital_page(request: Request) -> Response:
    return _form_page(request, require_authority(request, roles=ADMIN))


def _add(request: Request, actor: CurrentOfficer, form: HospitalForm, departments: Any) -> Any:
    settings = request.app.state.settings
    with request.app.state.db.transaction() as session:
        return add_hospital(session, form=form, departments=departments, actor_office_id=actor.office_id,
                            actor_id=actor.id, params=settings.argon2, secret=settings.secret)


async def create_hospital(request: Request) -> Response:
    """Add the hospital, all or nothing; on any error every problem is listed and the input kept."""
    officer = require_authority(request, roles=ADMIN)
    form = await read_form(request, max_files=1, max_part_size=MAX_FILE)
    values = {name: text(form, name, max_length=limit) for name, limit in
              (("name", 200), ("code", 32), ("hotline", 100), ("head_username", 63), ("head_name", 100),
               ("departments", 200_000))}
    values["code"] = values["code"].lower()
    values["head_username"] = values["head_username"].lower()
    upload = form.get("file")
    cells: list[tuple[str, str]] | lists.RowError
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            cells = lists.read_upload(upload.filename, await upload.read(MAX_FILE + 1))
        else:
            cells = lists.csv_cells(values["departments"])
    finally:
        await form.close()
    if isinstance(cells, lists.RowError):
        return _form_page(request, officer, values=values, errors=[cells], status_code=400)
    checked = lists.check(cells)
    # What was read goes back into the text box, so a rejected file can be corrected on the page.
    values["departments"] = checked.as_text() if checked.rows else values["departments"]
    hospital = HospitalForm(name=values["name"], code=values["code"], hotline=values["hotline"],
                            head_username=values["head_username"], head_name=values["head_name"])
    with request.app.state.db.transaction() as session:
        from portal.hospitals import check_form

        errors = check_form(session, hospital) + checked.errors
    if errors:
        return _form_page(request, officer, values=values, errors=errors, status_code=400)
    try:
        created = await run_in_threadpool(_add, request, officer, hospital, checked.departments)
    except HospitalRefused as exc:  # taken meanwhile by another administrator
        return _form_page(request, officer, values=values, errors=exc.errors, status_code=400)
    return render(request, "office/hospital_created.html", {
        "officer": officer, "created": created, "creds": created.head,
        "qr": _qr_data_uri(created.head.provisioning_uri)})


routes = [
    Route("/office/hospitals", hospitals_page, methods=["GET"]),
    Route("/office/hospitals/new", new_hospital_page, methods=["GET"]),
    Route("/office/hospitals", create_hospital, methods=["POST"]),
]
