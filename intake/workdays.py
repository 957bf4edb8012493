"""Working days in mainland China: weekends and public holidays off, 调休 make-up weekend days on.

The hand-in deadline (default 2 working days after the red envelope was received) is counted here. The holiday
lists are the State Council's notices (国务院办公厅关于2025年/2026年部分节假日安排的通知); a year without a list
counts weekends only, and `calendar_covers` lets the pages say so.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
DEFAULT_DEADLINE_WORKING_DAYS = 2


def _days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


# 国办发明电〔2024〕12号 (2025) and the notice of 2025-11-04 (2026): days off, and weekend days that are worked.
HOLIDAYS: frozenset[date] = frozenset(
    {date(2025, 1, 1)}
    | _days(date(2025, 1, 28), date(2025, 2, 4))  # 春节
    | _days(date(2025, 4, 4), date(2025, 4, 6))  # 清明节
    | _days(date(2025, 5, 1), date(2025, 5, 5))  # 劳动节
    | _days(date(2025, 5, 31), date(2025, 6, 2))  # 端午节
    | _days(date(2025, 10, 1), date(2025, 10, 8))  # 国庆节、中秋节
    | _days(date(2026, 1, 1), date(2026, 1, 3))  # 元旦
    | _days(date(2026, 2, 15), date(2026, 2, 23))  # 春节
    | _days(date(2026, 4, 4), date(2026, 4, 6))  # 清明节
    | _days(date(2026, 5, 1), date(2026, 5, 5))  # 劳动节
    | _days(date(2026, 6, 19), date(2026, 6, 21))  # 端午节
    | _days(date(2026, 9, 25), date(2026, 9, 27))  # 中秋节
    | _days(date(2026, 10, 1), date(2026, 10, 7))  # 国庆节
)
MAKE_UP_WORKDAYS: frozenset[date] = frozenset({
    date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11),
    date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20),
    date(2026, 10, 10),
})
COVERED_YEARS: frozenset[int] = frozenset({2025, 2026})


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are worked; extra holidays and make-up days can be configured on top of the official lists."""

    holidays: frozenset[date] = HOLIDAYS
    make_up_workdays: frozenset[date] = MAKE_UP_WORKDAYS
    covered_years: frozenset[int] = COVERED_YEARS

    def with_extra(self, *, holidays: Iterable[date] = (), make_up_workdays: Iterable[date] = ()) -> WorkCalendar:
        return WorkCalendar(holidays=self.holidays | frozenset(holidays),
                            make_up_workdays=self.make_up_workdays | frozenset(make_up_workdays),
                            covered_years=self.covered_years)

    def is_working_day(self, day: date) -> bool:
        if day in self.make_up_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def working_days_after(self, start: date, end: date) -> int:
        """Working days in (start, end]: received on a Friday and registered on Monday is 1; the same day is 0."""
        if end <= start:
            return 0
        # Counted, not walked: the inbox asks this of every overdue notice, some of them years old.
        weeks, rest = divmod((end - start).days, 7)
        weekdays = weeks * 5 + sum(1 for n in range(1, rest + 1) if (start + timedelta(days=n)).weekday() < 5)
        days_off, days_on = self._exceptions
        return (weekdays - bisect_right(days_off, end) + bisect_right(days_off, start)
                + bisect_right(days_on, end) - bisect_right(days_on, start))

    @cached_property
    def _exceptions(self) -> tuple[list[date], list[date]]:
        """Holidays that fall on a weekday, and make-up days that fall on a weekend: the corrections to Mon-Fri."""
        off = sorted(d for d in self.holidays if d.weekday() < 5 and d not in self.make_up_workdays)
        on = sorted(d for d in self.make_up_workdays if d.weekday() >= 5)
        return off, on

    def deadline(self, received: date, working_days: int) -> date:
        """The last day on which a registration is on time: the n-th working day after the day of receipt."""
        day, counted = received, 0
        while counted < working_days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def covers(self, *days: date) -> bool:
        """Whether the official holiday list is known for every year these days fall in."""
        return all(d.year in self.covered_years for d in days)


OFFICIAL = WorkCalendar()


@dataclass(frozen=True)
class Timeliness:
    """How a registration stands against the deadline."""

    received_on: date
    registered_on: date
    working_days: int
    limit: int
    deadline: date
    calendar_known: bool

    @property
    def late(self) -> bool:
        # Counted in working days, not against the deadline's date: a weekend or holiday after the last working
        # day does not use up time (the register is open every day, and nobody is late on a Sunday).
        return self.working_days > self.limit


def timeliness(received_on: date, registered_on: date, *, limit: int = DEFAULT_DEADLINE_WORKING_DAYS,
               calendar: WorkCalendar = OFFICIAL) -> Timeliness:
    return Timeliness(
        received_on=received_on,
        registered_on=registered_on,
        working_days=calendar.working_days_after(received_on, registered_on),
        limit=limit,
        deadline=calendar.deadline(received_on, limit),
        calendar_known=calendar.covers(received_on, registered_on),
    )


def china_text(moment: datetime | None) -> str:
    """A stored UTC time as people in China read it, to the second."""
    if moment is None:
        return ""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def is_workday(day: date) -> bool:
    return OFFICIAL.is_working_day(day)


def covers(year: int) -> bool:
    """Whether the official holiday list of this year is known (otherwise only weekends are skipped)."""
    return year in OFFICIAL.covered_years


@lru_cache(maxsize=8192)  # the inbox asks it of every real-name report owing a notice: the days repeat
def add_workdays(start: date, count: int) -> date:
    """The `count`-th working day after `start` (the day itself does not count)."""
    if count < 0:
        raise ValueError("count must not be negative")
    return OFFICIAL.deadline(start, count)


def workdays_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    if end < start:
        return -OFFICIAL.working_days_after(end, start)
    return OFFICIAL.working_days_after(start, end)


def china_date(moment: datetime) -> date:
    """The calendar date in China of an aware timestamp."""
    return moment.astimezone(CHINA).date()


def china_today() -> date:
    return datetime.now(CHINA).date()
