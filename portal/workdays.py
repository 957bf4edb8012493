"""China's working-day calendar: weekends, public holidays and the weekend days worked in exchange (调休).

Pure and small so that deadlines (15 working days for a notice to a real-name reporter) can be computed
anywhere. The data come from the State Council's yearly notices; a year without data falls back to
Monday-Friday, and `covers(year)` lets a page say so.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")  # no daylight saving since 1991


def _days(year: int, *spans: tuple[int, int, int, int]) -> frozenset[date]:
    found: set[date] = set()
    for month, day, end_month, end_day in spans:
        current, last = date(year, month, day), date(year, end_month, end_day)
        while current <= last:
            found.add(current)
            current += timedelta(days=1)
    return frozenset(found)


# 国办发明电〔2024〕12号 (2025) and the notice of 4 November 2025 (2026).
HOLIDAYS: dict[int, frozenset[date]] = {
    2025: _days(2025, (1, 1, 1, 1), (1, 28, 2, 4), (4, 4, 4, 6), (5, 1, 5, 5), (5, 31, 6, 2), (10, 1, 10, 8)),
    2026: _days(2026, (1, 1, 1, 3), (2, 15, 2, 23), (4, 4, 4, 6), (5, 1, 5, 5), (6, 19, 6, 21), (9, 25, 9, 27),
                (10, 1, 10, 7)),
}
MAKE_UP_WORKDAYS: dict[int, frozenset[date]] = {
    2025: frozenset({date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)}),
    2026: frozenset({date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20),
                     date(2026, 10, 10)}),
}


def covers(year: int) -> bool:
    """Whether the calendar knows this year's holidays (otherwise only weekends are skipped)."""
    return year in HOLIDAYS


def is_workday(day: date) -> bool:
    if day in MAKE_UP_WORKDAYS.get(day.year, frozenset()):
        return True
    if day in HOLIDAYS.get(day.year, frozenset()):
        return False
    return day.weekday() < 5


def add_workdays(start: date, count: int) -> date:
    """The `count`-th working day after `start` (the day of receipt itself does not count)."""
    if count < 0:
        raise ValueError("count must not be negative")
    day = start
    while count:
        day += timedelta(days=1)
        if is_workday(day):
            count -= 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    if end < start:
        return -workdays_between(end, start)
    return sum(1 for offset in range(1, (end - start).days + 1) if is_workday(start + timedelta(days=offset)))


def china_date(moment: datetime) -> date:
    """The calendar date in China of an aware timestamp."""
    return moment.astimezone(CHINA).date()


def china_today() -> date:
    return datetime.now(CHINA).date()
