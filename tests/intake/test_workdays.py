"""The 2-working-day hand-in deadline across weekends, public holidays and 调休 make-up working days."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from intake.workdays import OFFICIAL, timeliness


def test_monday_to_wednesday_is_on_time_and_thursday_is_late():
    monday = date(2025, 3, 3)
    assert not timeliness(monday, date(2025, 3, 5)).late
    late = timeliness(monday, date(2025, 3, 6))
    assert late.late and late.working_days == 3 and late.deadline == date(2025, 3, 5)


def test_a_weekend_does_not_count():
    friday = date(2025, 3, 7)
    assert OFFICIAL.working_days_after(friday, date(2025, 3, 10)) == 1  # Saturday and Sunday skipped
    assert OFFICIAL.deadline(friday, 2) == date(2025, 3, 11)
    assert not timeliness(friday, date(2025, 3, 11)).late
    assert timeliness(friday, date(2025, 3, 12)).late


def test_the_same_day_counts_zero():
    assert timeliness(date(2025, 3, 3), date(2025, 3, 3)).working_days == 0


def test_national_day_holidays_do_not_count_but_the_make_up_saturday_does():
    # 2025: 10月1日至8日放假; 9月28日（周日）、10月11日（周六）上班.
    received = date(2025, 9, 30)
    assert OFFICIAL.deadline(received, 2) == date(2025, 10, 10)
    assert not timeliness(received, date(2025, 10, 8)).late  # the whole holiday is free
    assert not timeliness(received, date(2025, 10, 10)).late
    on_saturday = timeliness(received, date(2025, 10, 11))
    assert on_saturday.late and on_saturday.working_days == 3  # the 调休 Saturday is a working day


def test_a_make_up_sunday_is_a_working_day():
    friday = date(2025, 9, 26)
    assert OFFICIAL.is_working_day(date(2025, 9, 28))
    assert OFFICIAL.deadline(friday, 2) == date(2025, 9, 29)


def test_spring_festival_2026():
    # 2026: 2月15日至23日放假; 2月14日（周六）、2月28日（周六）上班.
    friday = date(2026, 2, 13)
    assert OFFICIAL.deadline(friday, 2) == date(2026, 2, 24)
    assert OFFICIAL.working_days_after(friday, date(2026, 2, 23)) == 1
    assert not OFFICIAL.is_working_day(date(2026, 2, 16))  # a Monday off


def test_the_limit_is_configurable():
    monday = date(2025, 3, 3)
    assert timeliness(monday, date(2025, 3, 6), limit=3).late is False
    assert OFFICIAL.deadline(monday, 3) == date(2025, 3, 6)


def test_a_configured_extra_holiday_moves_the_deadline():
    local = OFFICIAL.with_extra(holidays=[date(2025, 3, 4)])
    assert local.deadline(date(2025, 3, 3), 2) == date(2025, 3, 6)


def test_a_year_without_a_holiday_list_is_said_so():
    assert timeliness(date(2025, 12, 30), date(2026, 1, 5)).calendar_known
    assert not timeliness(date(2027, 3, 1), date(2027, 3, 2)).calendar_known


@given(st.dates(min_value=date(2024, 12, 1), max_value=date(2027, 2, 1)), st.integers(min_value=1, max_value=10))
def test_the_deadline_is_the_nth_working_day_after_receipt(received, limit):
    deadline = OFFICIAL.deadline(received, limit)
    assert OFFICIAL.is_working_day(deadline)
    assert OFFICIAL.working_days_after(received, deadline) == limit
    assert not timeliness(received, deadline, limit=limit).late
    assert timeliness(received, deadline + timedelta(days=1), limit=limit).late == (
        OFFICIAL.working_days_after(received, deadline + timedelta(days=1)) > limit)
