"""Statistics from the sealed counters only: per month and department, % positive per question, the verified /
open split, and suppression of small cells ("<10") applied once here for the page, the charts and the export."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import Department
from intake.questionnaire import QUESTIONS
from portal import audit
from portal.auth import CurrentOfficer
from portal.rating_models import RatingCounter
from portal.rating_rollup import MissingKeyError
from portal.rating_tally import NO_DEPARTMENT, SOURCES, Tally, counter_key, open_tally

THRESHOLD = 10
SUPPRESSED = "<10"
AT_LEAST = "≥10"
NONE = "—"
Cells = dict[tuple[int, str], Tally]


def load_cells(session: Session, *, officer: CurrentOfficer) -> Cells:
    """Open every counter of the officer's office (one per department and month) and record the read."""
    cells: Cells = {}
    for row in session.scalars(select(RatingCounter).where(RatingCounter.office_id == officer.office_id)):
        key = officer.keyring.keys.get(row.key_id)
        if key is None:
            raise MissingKeyError("a counter is sealed under an office key you do not hold")
        cells[(row.department_key, row.month)] = open_tally(
            counter_key(key), row.sealed, office_id=row.office_id, department_key=row.department_key,
            month=row.month)
    audit.record(session, office_id=officer.office_id, officer_id=officer.id, action="read_rating_stats",
                 details={"cells": len(cells)})
    return cells


def months_back(last: str, count: int) -> list[str]:
    """`count` months ending with `last` (YYYY-MM), newest first."""
    year, month = int(last[:4]), int(last[5:7])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out


def this_month(today: date) -> str:
    return today.strftime("%Y-%m")


@dataclass(frozen=True)
class Figures:
    """Exact numbers of one cell (never shown as such below the threshold)."""

    ratings: int
    verified: int
    open: int
    positive: Mapping[str, tuple[int, int]]  # question -> (positive answers, answers)


def figures(tallies: Iterable[Tally], *, source: str) -> Figures:
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    sources = SOURCES if source == "all" else (source,)
    positive = {}
    for question in QUESTIONS:
        answered = good = 0
        for src in sources:
            for value, _label in question.answers:
                n = total.answers[(src, question.key, value)]
                answered += n
                good += n if value in question.positive else 0
        positive[question.key] = (good, answered)
    return Figures(
        ratings=sum(total.ratings[s] for s in sources),
        verified=total.ratings["verified"] if "verified" in sources else 0,
        open=total.ratings["open"] if "open" in sources else 0,
        positive=positive,
    )


def shown_count(n: int) -> str:
    return NONE if n == 0 else SUPPRESSED if n < THRESHOLD else str(n)


def shown_percent(good: int, answered: int) -> str:
    if answered == 0:
        return NONE
    if answered < THRESHOLD:
        return SUPPRESSED
    return f"{round(100 * good / answered)}%"


def percent_value(good: int, answered: int) -> float | None:
    """The same rule for charts and the export: a number only where the table shows one."""
    return None if answered < THRESHOLD else round(100 * good / answered, 1)


def shown_split(verified: int, open_: int) -> tuple[str, str]:
    """Verified and open counts; when one is suppressed the other is only bounded, so that it cannot be
    worked out as total minus the other."""
    small = [0 < n < THRESHOLD for n in (verified, open_)]
    if any(small):
        return tuple(SUPPRESSED if s else (AT_LEAST if n else NONE) for n, s in zip((verified, open_), small,
                                                                                   strict=True))  # type: ignore[return-value]
    return shown_count(verified), shown_count(open_)


@dataclass(frozen=True)
class Line:
    """One row of a statistics table, as shown (suppression applied)."""

    label: str
    ratings: str
    verified: str
    open: str
    percents: tuple[str, ...]  # per question, in QUESTIONS order
    compare: tuple[str, ...]  # the hospital's, for a department's table (else empty)
    values: tuple[float | None, ...]  # chart / export numbers, None where suppressed
    compare_values: tuple[float | None, ...]
    key: int | None = None  # the department's id in the hospital's per-department table


def line(label: str, own: Figures, hospital: Figures | None, *, key: int | None = None) -> Line:
    verified, open_ = shown_split(own.verified, own.open)
    return Line(
        label=label, key=key,
        ratings=shown_count(own.ratings), verified=verified, open=open_,
        percents=tuple(shown_percent(*own.positive[q.key]) for q in QUESTIONS),
        compare=tuple(shown_percent(*hospital.positive[q.key]) for q in QUESTIONS) if hospital else (),
        values=tuple(percent_value(*own.positive[q.key]) for q in QUESTIONS),
        compare_values=tuple(percent_value(*hospital.positive[q.key]) for q in QUESTIONS) if hospital else (),
    )


@dataclass(frozen=True)
class Dashboard:
    scope: str  # the department's name, or the hospital's
    department_id: int | None
    source: str
    months: list[str]  # newest first
    by_month: list[Line]
    total: Line
    by_department: list[Line]  # the hospital's view: each department over the whole period


def build(cells: Cells, *, departments: Mapping[int, str], hospital_name: str, department_id: int | None,
          source: str, months: list[str], no_department_label: str) -> Dashboard:
    """The dashboard's tables for a department (against the hospital) or for the hospital as a whole."""
    wanted = set(months)

    def of(month: str | None, department: int | None) -> Figures:
        return figures((t for (d, m), t in cells.items()
                        if ((month is None and m in wanted) or m == month)
                        and (department is None or d == department)), source=source)

    compare = department_id is not None
    by_month = [line(m, of(m, department_id), of(m, None) if compare else None) for m in months]
    total = line("合计", of(None, department_id), of(None, None) if compare else None)
    by_department: list[Line] = []
    if not compare:
        keys = [*departments, NO_DEPARTMENT]
        for key in keys:
            figs = of(None, key)
            if key == NO_DEPARTMENT and figs.ratings == 0:
                continue
            by_department.append(line(departments.get(key, no_department_label), figs, None,
                                      key=key if key != NO_DEPARTMENT else None))
    scope = departments.get(department_id, hospital_name) if department_id is not None else hospital_name
    return Dashboard(scope=scope, department_id=department_id, source=source, months=months, by_month=by_month,
                     total=total, by_department=by_department)


def department_names(session: Session, *, hospital_id: int) -> dict[int, str]:
    return {d.id: d.name for d in session.scalars(
        select(Department).where(Department.hospital_id == hospital_id).order_by(Department.id))}
