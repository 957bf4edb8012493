"""Pages of the higher authority's office only: hospital officers get 403 on them."""

from __future__ import annotations

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request

from intake.models import Office, OfficeKind
from portal.auth import CurrentOfficer
from portal.models import Role
from portal.office.guard import require_officer


def require_authority(request: Request, *, roles: frozenset[Role] | None = None) -> CurrentOfficer:
    """An officer of the authority's office (in one of `roles`, when given); anyone else gets 403."""
    officer = require_officer(request, roles=roles)
    with request.app.state.db.transaction() as session:
        kind = session.scalar(select(Office.kind).where(Office.id == officer.office_id))
    if kind is not OfficeKind.AUTHORITY:
        raise HTTPException(status_code=403)
    return officer


def is_authority(request: Request, officer: CurrentOfficer) -> bool:
    with request.app.state.db.transaction() as session:
        return session.scalar(select(Office.kind).where(Office.id == officer.office_id)) is OfficeKind.AUTHORITY
