"""交办 and 上报 of a clue (the form sits on the clue page), and the office's list of transfers."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from crypto import CryptoError
from intake.forms import read_form, text
from intake.rendering import render
from intake.workdays import CHINA, china_today
from portal import audit, clues, transfers
from portal.auth import CurrentOfficer
from portal.models import Role
from portal.office.guard import require_reader


def _transfer(request: Request, officer: CurrentOfficer, clue_id: int, to_office_id: int) -> int:
    with request.app.state.db.transaction() as session:
        return transfers.transfer(session, officer=officer, clue_id=clue_id, to_office_id=to_office_id,
                                  today=china_today()).from_clue_id


async def transfer_clue(request: Request) -> Response:
    """Re-seal the clue and its reports to the receiving office; the sender keeps a record without content."""
    officer = require_reader(request)
    form = await read_form(request)
    if officer.role is not Role.HEAD:
        raise HTTPException(status_code=403)
    clue_id = request.path_params["clue_id"]
    raw = text(form, "to_office_id", max_length=12)
    try:
        # Opening and sealing every report of a clue is CPU work: off the event loop.
        await run_in_threadpool(_transfer, request, officer, clue_id, int(raw) if raw.isdigit() else 0)
    except clues.ClueNotFound:
        raise HTTPException(status_code=404) from None
    except (clues.ForeignClue, PermissionError):
        raise HTTPException(status_code=403) from None
    except CryptoError:
        with request.app.state.db.transaction() as session:
            audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="decryption_failed",
                         target=f"clue:{clue_id}")
        raise HTTPException(status_code=409) from None
    except clues.ClueError as exc:
        return render(request, "office/clues/problem.html", {"officer": officer, "problem": str(exc),
                                                             "back": f"/office/clues/{clue_id}"}, status_code=400)
    return RedirectResponse(f"/office/clues/{clue_id}?saved=1", status_code=303)


async def transfers_page(request: Request) -> Response:
    """Clues this office handed on or received: numbers, offices and dates, no content."""
    officer = require_reader(request)
    with request.app.state.db.transaction() as session:
        rows = transfers.transfers_of(session, office_id=officer.office_id)
        names = transfers.office_names(session, *{r.from_office_id for r in rows}, *{r.to_office_id for r in rows})
    return render(request, "office/transfers.html", {"officer": officer, "rows": rows, "names": names,
                                                     "china": CHINA})


routes = [
    Route("/office/clues/{clue_id:int}/transfer", transfer_clue, methods=["POST"]),
    Route("/office/transfers", transfers_page, methods=["GET"]),
]
