"""R-CAL-01: CBP business days (19 CFR 101.1; 5 U.S.C. 6103(a)-(c); FACTS §7) and calendar-period helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from holidays import country_holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.calendar import (
    BusinessCalendar,
    add_calendar_days,
    add_calendar_months,
    deadline_end_of_business_day,
    inauguration_day,
)
from hub.domain.reference import closure_rows, holiday_rows

CAL = BusinessCalendar()
DC = BusinessCalendar(dc_area=True)
CSV_YEARS = range(2019, 2028)


# ----------------------------------------------------------------------------- holidays (R-CAL-01) ------


def test_juneteenth_2022_sunday_observed_monday() -> None:
    # 5 U.S.C. 6103(a) Juneteenth; Sunday -> following Monday (E.O. 11582; FACTS §7 example).
    assert not CAL.is_business_day(date(2022, 6, 20))
    assert CAL.is_business_day(date(2022, 6, 17))
    assert CAL.is_business_day(date(2022, 6, 21))


def test_christmas_2021_saturday_observed_friday() -> None:
    # 5 U.S.C. 6103(b)(1): Saturday holiday observed the preceding Friday (FACTS §7 example).
    assert not CAL.is_business_day(date(2021, 12, 24))
    assert CAL.is_business_day(date(2021, 12, 23))


def test_new_years_day_observed_in_previous_year() -> None:
    # 2022-01-01 and 2028-01-01 are Saturdays: observed Fri 2021-12-31 and Fri 2027-12-31 (S-HOL-1).
    assert not CAL.is_business_day(date(2021, 12, 31))
    assert not CAL.is_business_day(date(2027, 12, 31))


@pytest.mark.parametrize("d", [date(2022, 7, 2), date(2022, 7, 3), date(2024, 2, 10), date(2024, 2, 11)])
def test_weekends_are_not_business_days(d: date) -> None:
    # 19 CFR 101.1: business day = Monday-Friday ...
    assert not CAL.is_business_day(d)


def test_ordinary_weekday_is_a_business_day() -> None:
    assert CAL.is_business_day(date(2024, 2, 14))


def test_every_date_in_the_holiday_csv_is_a_non_business_day() -> None:
    # R-CAL-01: every statutory, observed and executive-order date in the reference table is closed.
    rows = holiday_rows()
    assert len(rows) == 116
    for row in rows:
        assert not CAL.is_business_day(row.date), row


def test_holidays_package_matches_the_csv_for_2019_2027() -> None:
    # R-CAL-01 / 5 U.S.C. 6103(a),(b): holidays.US(observed=True) reproduces the table's federal rows exactly.
    package = set(country_holidays("US", years=CSV_YEARS, observed=True))
    table = {r.date for r in holiday_rows() if r.is_federal_holiday}
    assert package == table


def test_no_extra_closed_weekdays_beyond_the_csv() -> None:
    # The converse: between 2019-01-01 and 2027-12-31 the only closed weekdays are the table's dates.
    table = {r.date for r in holiday_rows()}
    d = date(2019, 1, 1)
    while d <= date(2027, 12, 31):
        if d.weekday() < 5:
            assert CAL.is_business_day(d) == (d not in table), d
        d += timedelta(days=1)


def test_weekend_statutory_dates_move_sat_to_fri_and_sun_to_mon() -> None:
    # 5 U.S.C. 6103(b)(1) (Saturday -> Friday) and E.O. 11582 (Sunday -> Monday), checked against the table.
    for row in holiday_rows():
        if row.date_kind != "statutory_date":
            continue
        if row.date.weekday() == 5:
            assert not CAL.is_business_day(row.date - timedelta(days=1)), row
        elif row.date.weekday() == 6:
            assert not CAL.is_business_day(row.date + timedelta(days=1)), row


@pytest.mark.parametrize(
    "d", [date(2019, 12, 24), date(2020, 12, 24), date(2025, 1, 9), date(2025, 12, 24), date(2025, 12, 26)]
)
def test_executive_order_closures(d: date) -> None:
    # SOURCES.md S-HOL-2: executive-order closures are data, not statutory holidays.
    assert d in {r.date for r in closure_rows()}
    assert not CAL.is_business_day(d)


def test_extra_closures_are_configurable_and_change_the_version() -> None:
    extra = BusinessCalendar(extra_closures=[date(2030, 12, 24)])
    assert not extra.is_business_day(date(2030, 12, 24))
    assert CAL.is_business_day(date(2030, 12, 24))
    assert extra.version != CAL.version


def test_inauguration_day_only_for_dc_area() -> None:
    # 5 U.S.C. 6103(c): Inauguration Day (Wed 2021-01-20) is a holiday only in the D.C. area.
    assert CAL.is_business_day(date(2021, 1, 20))
    assert not DC.is_business_day(date(2021, 1, 20))
    # 2013-01-20 was a Sunday: observed Monday Jan 21 (which was also MLK Day).
    assert inauguration_day(2013) == date(2013, 1, 21)
    assert inauguration_day(2022) is None


def test_inauguration_rule_matches_holidays_package() -> None:
    package = country_holidays("US", subdiv="DC", years=range(1965, 2062), observed=True)
    expected = {d for d, name in package.items() if "Inauguration Day" in name and d.weekday() < 5}
    computed = {d for y in range(1965, 2062) if (d := inauguration_day(y)) is not None and d.weekday() < 5}
    assert computed == expected


# ---------------------------------------------------------------------- counting (R-CAL-01) -------------


def test_worked_window_fri_2022_07_01_plus_7() -> None:
    # FACTS §7 / 19 CFR 133.21(b): notice Fri 2022-07-01 + 7 business days, skipping Mon 07-04 -> Wed 07-13.
    assert CAL.add_business_days(date(2022, 7, 1), 7) == date(2022, 7, 13)
    assert CAL.business_days_between(date(2022, 7, 1), date(2022, 7, 13)) == 7


def test_aware_datetime_counts_from_its_local_day() -> None:
    # 2022-07-02T02:00Z is 22:00 on Friday July 1 in New York: the window starts from Friday.
    late_friday = datetime(2022, 7, 2, 2, 0, tzinfo=UTC)
    assert CAL.add_business_days(late_friday, 7) == date(2022, 7, 13)
    la = BusinessCalendar(tz=ZoneInfo("America/Los_Angeles"))
    assert la.add_business_days(datetime(2022, 7, 2, 6, 30, tzinfo=UTC), 1) == date(2022, 7, 5)


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        CAL.add_business_days(datetime(2022, 7, 1, 12, 0), 1)
    with pytest.raises(ValueError, match="naive"):
        CAL.is_business_day(datetime(2022, 7, 1, 12, 0))


def test_start_on_a_non_business_day() -> None:
    # The start day never counts: Sat 2022-07-02 + 1 = Tue 07-05 (Sun, and Mon the 4th is Independence Day).
    assert CAL.add_business_days(date(2022, 7, 2), 1) == date(2022, 7, 5)
    assert CAL.add_business_days(date(2022, 7, 4), 1) == date(2022, 7, 5)
    assert CAL.add_business_days(date(2022, 7, 2), 0) == date(2022, 7, 2)
    assert CAL.business_days_between(date(2022, 7, 2), date(2022, 7, 5)) == 1


def test_negative_counts_walk_backwards() -> None:
    assert CAL.add_business_days(date(2022, 7, 5), -1) == date(2022, 7, 1)
    assert CAL.add_business_days(date(2022, 7, 2), -1) == date(2022, 7, 1)
    assert CAL.business_days_between(date(2022, 7, 13), date(2022, 7, 1)) == -7


def test_business_days_between_same_day_and_weekend_only() -> None:
    assert CAL.business_days_between(date(2022, 7, 13), date(2022, 7, 13)) == 0
    assert CAL.business_days_between(date(2022, 7, 1), date(2022, 7, 4)) == 0


_dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))


@settings(max_examples=300, deadline=None, database=None)
@given(d=_dates, n=st.integers(min_value=-400, max_value=400), dc=st.booleans())
def test_property_add_then_count_round_trips(d: date, n: int, dc: bool) -> None:
    # R-CAL-01: add_business_days(d, n) is a business day, and business_days_between is its exact inverse.
    cal = DC if dc else CAL
    result = cal.add_business_days(d, n)
    if n != 0:
        assert cal.is_business_day(result)
        assert (result > d) == (n > 0)
    assert cal.business_days_between(d, result) == n


@settings(max_examples=200, deadline=None, database=None)
@given(a=_dates, b=_dates)
def test_property_between_is_antisymmetric_on_business_days(a: date, b: date) -> None:
    if CAL.is_business_day(a) and CAL.is_business_day(b):
        assert CAL.business_days_between(a, b) == -CAL.business_days_between(b, a)


# ------------------------------------------------------------------------------ version -----------------


def test_version_is_stable_and_identifies_the_data() -> None:
    assert CAL.version == BusinessCalendar().version
    assert CAL.version.startswith("us-federal+eo@")
    assert DC.version.startswith("us-federal+eo+dc@")
    assert DC.version != CAL.version
    assert len(CAL.version.split("@")[1]) == 16


# ------------------------------------------------------------------- calendar periods -------------------


def test_add_calendar_days() -> None:
    # Calendar clocks (19 CFR 12.44 60 days; 133.21(a) 5-day detention) count weekends and holidays.
    assert add_calendar_days(date(2022, 7, 1), 60) == date(2022, 8, 30)
    assert CAL.add_calendar_days(date(2022, 7, 1), 3) == date(2022, 7, 4)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2022, 11, 30), 3, date(2023, 2, 28)),  # 19 CFR 12.43 3-month clock, clamped
        (date(2023, 11, 30), 3, date(2024, 2, 29)),  # leap year
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 8, 31), 1, date(2023, 9, 30)),
        (date(2023, 12, 15), 1, date(2024, 1, 15)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 5, 17), 0, date(2024, 5, 17)),
        (date(2024, 5, 17), 24, date(2026, 5, 17)),
    ],
)
def test_add_calendar_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_calendar_months(start, months) == expected
    assert CAL.add_calendar_months(start, months) == expected


def test_calendar_helpers_reject_datetimes() -> None:
    with pytest.raises(TypeError):
        add_calendar_months(datetime(2024, 1, 31, tzinfo=UTC), 1)


# ------------------------------------------------------------------------- deadlines --------------------


def test_deadline_end_of_business_day_summer_and_winter() -> None:
    # The window ends with its last day: 23:59:59.999999 New York time, returned in UTC (EDT = UTC-4).
    summer = deadline_end_of_business_day(date(2022, 7, 13))
    assert summer == datetime(2022, 7, 14, 3, 59, 59, 999999, tzinfo=UTC)
    # EST = UTC-5.
    winter = deadline_end_of_business_day(date(2022, 12, 15))
    assert winter == datetime(2022, 12, 16, 4, 59, 59, 999999, tzinfo=UTC)


def test_deadline_in_the_ports_zone() -> None:
    end = deadline_end_of_business_day(date(2022, 7, 13), tz=ZoneInfo("America/Los_Angeles"))
    assert end == datetime(2022, 7, 14, 6, 59, 59, 999999, tzinfo=UTC)
    assert end.tzinfo is UTC


def test_deadline_rejects_datetime() -> None:
    with pytest.raises(TypeError):
        deadline_end_of_business_day(datetime(2022, 7, 13, tzinfo=UTC))
