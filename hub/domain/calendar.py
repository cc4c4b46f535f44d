"""CBP business-day calendar (rule R-CAL-01; 19 CFR 101.1 "business day"; FACTS.md §7).

A business day is Monday-Friday except:
  * the 5 U.S.C. 6103(a) legal public holidays on their observed dates (Saturday -> preceding Friday per
    6103(b)(1); Sunday -> following Monday per E.O. 11582), taken from the `holidays` package (holidays.US,
    observed=True) and cross-checked against hub/reference/us_federal_holidays_2019_2027.csv in the tests;
  * executive-order closures, which no rule predicts and which are therefore data (the rows of that CSV
    whose category is not federal_holiday), plus any extra closures the caller configures;
  * Inauguration Day (5 U.S.C. 6103(c)), only when the calendar is built for a D.C.-area port.
19 CFR 101.6(a)'s own holiday list is UNCONFIRMED (FACTS §7), which is why the table stays data-driven.

Counting convention, matching FACTS §7's worked window (notice Fri 2022-07-01 + 7 business days =
Wed 2022-07-13): the start day never counts, whether or not it is a business day; day 1 is the first business
day strictly after the start. So Saturday + 1 business day is the following Monday (if Monday is a business
day), and + 0 returns the start date unchanged. Negative n walks backwards symmetrically (day -1 is the first
business day strictly before the start). business_days_between(a, b) counts the same way - business days
in (a, b] for a <= b, minus those in [b, a) for a > b - so business_days_between(d, add_business_days(d, n))
== n for every d and n.

Timestamps: the domain never reads the clock. A datetime passed in must be timezone-aware; it is converted to
the calendar's zone to decide which calendar day the event fell on.
"""

from __future__ import annotations

import calendar as _stdcal
import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, cached_property
from zoneinfo import ZoneInfo

from holidays import country_holidays

from hub.domain.reference import closure_rows

EASTERN = ZoneInfo("America/New_York")

# Years whose computed holiday dates go into the version hash. Dates outside still work (the package computes
# any year) but a change there would not change `version`; the Hub's clocks live well inside this window.
_VERSION_YEARS = range(1990, 2061)


@cache
def _federal_holidays(year: int) -> frozenset[date]:
    # R-CAL-01 / 5 U.S.C. 6103(a),(b): statutory dates plus observed substitutes. The package files an
    # observed New Year's Day that falls on Dec 31 under the earlier year (2021-12-31 for 2022-01-01), i.e.
    # under the year of the observed date itself, so a per-year lookup finds it. country_holidays("US") builds
    # the same holidays.US object; it is used because it is the package's typed entry point.
    return frozenset(country_holidays("US", years=year, observed=True).keys())


def inauguration_day(year: int) -> date | None:
    """5 U.S.C. 6103(c): Jan 20 of each year after a presidential election; Jan 21 if the 20th is a Sunday."""
    if year % 4 != 1:
        return None
    d = date(year, 1, 20)
    return d + timedelta(days=1) if d.weekday() == 6 else d


def _as_date(d: date | datetime, tz: ZoneInfo) -> date:
    if isinstance(d, datetime):
        if d.tzinfo is None or d.utcoffset() is None:
            raise ValueError("naive datetime: pass an aware datetime (the Hub stores UTC) or a date")
        return d.astimezone(tz).date()
    return d


class BusinessCalendar:
    """CBP business days (R-CAL-01, 19 CFR 101.1). Immutable once built; safe to share."""

    def __init__(
        self,
        *,
        dc_area: bool = False,
        extra_closures: Iterable[date] = (),
        tz: ZoneInfo = EASTERN,
    ) -> None:
        self.dc_area = dc_area
        self.tz = tz
        self._closures = frozenset(r.date for r in closure_rows()) | frozenset(extra_closures)
        # Every page of detentions asks for the same few (day, n) sums: remember them (bounded).
        self._sums: dict[tuple[date, int], date] = {}

    def _is_holiday(self, d: date) -> bool:
        # R-CAL-01: EO closures are data (S-HOL-2); 5 U.S.C. 6103(a),(b) holidays come from the package.
        if d in self._closures or d in _federal_holidays(d.year):
            return True
        # 5 U.S.C. 6103(c): Inauguration Day is a holiday only for the D.C. area.
        return self.dc_area and d == inauguration_day(d.year)

    def is_business_day(self, d: date | datetime) -> bool:
        day = _as_date(d, self.tz)
        # R-CAL-01 / 19 CFR 101.1 "business day": a weekday, excluding the national holidays of 101.6(a).
        return day.weekday() < 5 and not self._is_holiday(day)

    def add_business_days(self, start: date | datetime, n: int) -> date:
        """The n-th business day after `start` (before it if n < 0); the start day itself never counts."""
        first = _as_date(start, self.tz)
        known = self._sums.get((first, n))
        if known is not None:
            return known
        day = first
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        while remaining:
            day += timedelta(days=step)
            if self.is_business_day(day):
                remaining -= 1
        if len(self._sums) > 100_000:
            self._sums.clear()
        self._sums[(first, n)] = day
        return day

    def business_days_between(self, a: date | datetime, b: date | datetime) -> int:
        """Signed count: business days in (a, b] if a <= b, else minus those in [b, a). Inverse of add."""
        start, end = _as_date(a, self.tz), _as_date(b, self.tz)
        if start <= end:
            lo, hi, sign = start + timedelta(days=1), end, 1
        else:
            lo, hi, sign = end, start - timedelta(days=1), -1
        count = 0
        day = lo
        while day <= hi:
            count += self.is_business_day(day)
            day += timedelta(days=1)
        return sign * count

    def add_calendar_days(self, start: date | datetime, n: int) -> date:
        return add_calendar_days(_as_date(start, self.tz), n)

    def add_calendar_months(self, start: date | datetime, n: int) -> date:
        return add_calendar_months(_as_date(start, self.tz), n)

    @cached_property
    def version(self) -> str:
        """Stable identifier of the calendar data, recorded with each decision that used a business-day clock.

        SHA-256 over the holiday dates for 1990-2060 (dates, not names: a renamed holiday is not a different
        calendar), the closures and the D.C.-area flag. Same dates -> same version across package upgrades.
        """
        dates: set[date] = set(self._closures)
        for year in _VERSION_YEARS:
            dates |= _federal_holidays(year)
            inaug = inauguration_day(year)
            if self.dc_area and inaug is not None:
                dates.add(inaug)
        payload = "R-CAL-01\n" + "\n".join(d.isoformat() for d in sorted(dates))
        digest = hashlib.sha256(payload.encode("ascii")).hexdigest()[:16]
        return f"us-federal+eo{'+dc' if self.dc_area else ''}@{digest}"

    def __repr__(self) -> str:
        return f"BusinessCalendar(version={self.version!r}, tz={self.tz.key!r})"


def add_calendar_days(start: date, n: int) -> date:
    """Calendar-day clocks (e.g. 19 CFR 12.44's 60 days, 133.21(a) detention): weekends and holidays count."""
    return _date_only(start) + timedelta(days=n)


def add_calendar_months(start: date, n: int) -> date:
    """Same day-of-month n months later, clamped to the month's last day (19 CFR 12.43's 3-month clock).

    Nov 30 + 3 months = Feb 28 (Feb 29 in leap years): a period of months ends on the corresponding day, and
    when the later month has no such day, on its last day; it never spills into the next month.
    """
    start = _date_only(start)
    months = start.year * 12 + (start.month - 1) + n
    year, month = divmod(months, 12)
    month += 1
    last = _stdcal.monthrange(year, month)[1]
    return date(year, month, min(start.day, last))


def deadline_end_of_business_day(d: date, tz: ZoneInfo = EASTERN) -> datetime:
    """The last instant of local day `d` (23:59:59.999999 in `tz`), as an aware UTC datetime.

    A window of N days "ends" on its last day, not at the time of day it started: a response received at any
    moment of that day is timely. Storing the instant in UTC lets the rest of the Hub compare it with
    timestamps. Pass the port's own zone when known; Eastern is only the default.
    """
    if isinstance(d, datetime):
        raise TypeError(
            "deadline_end_of_business_day takes a date; convert the datetime to a local date first"
        )
    return datetime.combine(d, time.max, tzinfo=tz).astimezone(UTC)


def _date_only(d: date) -> date:
    if isinstance(d, datetime):
        raise TypeError("pass a date; use BusinessCalendar methods to convert an aware datetime")
    return d
