"""IPR detention clocks, status and disclosure stage as pure functions (19 CFR 133.21; FACTS §1, §7, §10.1).

Every expected instant is written out by hand (end of the local business day in America/New_York), never
recomputed with the code under test.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.domain import detention_workflow as wf
from hub.domain.calendar import BusinessCalendar
from hub.domain.detentions import (
    Conveyance,
    Events,
    Finding,
    ResponseOutcome,
    Status,
    Track,
    authentication_turnaround,
    clocks,
    overdue,
    recordation_active,
    response_outcome,
    stage,
    status,
    track_for,
)

CAL = BusinessCalendar()
NY = ZoneInfo("America/New_York")
US = timedelta(microseconds=1)


def eod(y: int, m: int, d: int) -> datetime:
    """The last instant of a day in New York, in UTC (the Hub's deadlines, FACTS §7)."""
    return datetime(y, m, d, 23, 59, 59, 999_999, tzinfo=NY).astimezone(UTC)


def at(y: int, m: int, d: int, hour: int = 14) -> datetime:
    return datetime(y, m, d, hour, tzinfo=UTC)


PRESENTED = at(2022, 6, 28)
DETAINED = at(2022, 6, 29)
NOTICE = at(2022, 7, 1)  # Fri 2022-07-01, 10:00 EDT
OPEN = Events(presented_at=PRESENTED, detained_at=DETAINED, notice_sent_at=NOTICE)
DUE = eod(2022, 7, 13)  # FACTS §7 worked window


# ------------------------------------------------------------------ clocks (R-IPR-05, R-IPR-09, R-IPR-11) ------


def test_r_ipr_05_notice_due_decision_plus_5_business_days_skips_independence_day() -> None:
    # § 133.21(b)(2)(i), § 151.16(c): Fri 07-01 -> Tue 5, Wed 6, Thu 7, Fri 8, Mon 11 (Mon 4 July is a holiday).
    c = clocks(Events(presented_at=PRESENTED, detained_at=at(2022, 7, 1)), CAL)
    assert c.notice_due_at == eod(2022, 7, 11)
    assert c.notice_due_at == datetime(2022, 7, 12, 3, 59, 59, 999_999, tzinfo=UTC)


def test_r_ipr_05_notice_due_across_thanksgiving() -> None:
    # Tue 2023-11-21 -> Wed 22, (Thu 23 Thanksgiving), Fri 24, Mon 27, Tue 28, Wed 29; EST, so 04:59:59 UTC.
    c = clocks(Events(presented_at=at(2023, 11, 20), detained_at=at(2023, 11, 21)), CAL)
    assert c.notice_due_at == datetime(2023, 11, 30, 4, 59, 59, 999_999, tzinfo=UTC)


def test_r_ipr_05_response_due_facts_worked_example() -> None:
    # FACTS §7: notice Fri 2022-07-01 + 7 business days (skipping Mon 07-04) ends Wed 2022-07-13, end of day.
    assert clocks(OPEN, CAL).importer_response_due_at == datetime(2022, 7, 14, 3, 59, 59, 999_999, tzinfo=UTC)


def test_r_ipr_05_response_due_counts_from_the_new_york_day_of_the_notice() -> None:
    # 2022-07-06 03:30 UTC is Tue 07-05 23:30 EDT: day 1 is Wed 07-06, day 7 Thu 07-14 (not Fri 07-15).
    c = clocks(Events(presented_at=PRESENTED, detained_at=DETAINED, notice_sent_at=datetime(2022, 7, 6, 3, 30,
                                                                                         tzinfo=UTC)), CAL)
    assert c.importer_response_due_at == eod(2022, 7, 14)


def test_r_ipr_05_response_due_across_thanksgiving() -> None:
    # Wed 2024-11-27 -> (Thu 28 Thanksgiving) Fri 29, Mon 2 .. Fri 6 Dec, Mon 9 Dec.
    c = clocks(Events(presented_at=at(2024, 11, 25), detained_at=at(2024, 11, 26), notice_sent_at=at(2024, 11, 27)),
               CAL)
    assert c.importer_response_due_at == eod(2024, 12, 9)


def test_r_ipr_05_response_due_across_christmas_and_new_year() -> None:
    # Fri 2023-12-22 -> (Mon 25) Tue 26, Wed 27, Thu 28, Fri 29, (Mon 1 Jan) Tue 2, Wed 3, Thu 4 Jan 2024.
    c = clocks(Events(presented_at=at(2023, 12, 20), detained_at=at(2023, 12, 21), notice_sent_at=at(2023, 12, 22)),
               CAL)
    assert c.importer_response_due_at == eod(2024, 1, 4)


def test_r_ipr_05_response_due_across_2025_executive_order_closures() -> None:
    # Mon 2025-12-22 -> Tue 23, (Wed 24 EO, Thu 25, Fri 26 EO) Mon 29, Tue 30, Wed 31, (Thu 1 Jan) Fri 2, Mon 5, Tue 6.
    c = clocks(Events(presented_at=at(2025, 12, 18), detained_at=at(2025, 12, 19), notice_sent_at=at(2025, 12, 22)),
               CAL)
    assert c.importer_response_due_at == eod(2026, 1, 6)


def test_r_ipr_09_post_seizure_disclosure_due_30_business_days_after_notice_of_seizure() -> None:
    # § 133.21(e): Mon 2024-06-03 + 30 business days, skipping Juneteenth (Wed 06-19) and Thu 07-04 -> Wed 07-17.
    events = Events(presented_at=at(2024, 5, 20), detained_at=at(2024, 5, 21), seized_at=at(2024, 6, 3, 13),
                    seizure_notice_at=at(2024, 6, 3))
    assert clocks(events, CAL).post_seizure_disclosure_due_at == eod(2024, 7, 17)


def test_r_ipr_11_consent_window_is_30_calendar_days_from_notice_of_seizure() -> None:
    # § 133.21(g): calendar days, weekends and holidays included.
    events = Events(presented_at=at(2024, 5, 20), detained_at=at(2024, 5, 21), seized_at=at(2024, 6, 3, 13),
                    seizure_notice_at=at(2024, 6, 3))
    assert clocks(events, CAL).consent_window_ends_at == at(2024, 7, 3)


def test_clocks_without_their_events_are_none_and_carry_the_calendar_version() -> None:
    c = clocks(Events(presented_at=PRESENTED), CAL)
    assert (c.notice_due_at, c.importer_response_due_at) == (None, None)
    assert (c.post_seizure_disclosure_due_at, c.consent_window_ends_at) == (None, None)
    assert c.expires_at == at(2022, 7, 28)
    assert c.calendar_version == CAL.version


def test_r_ipr_11_deemed_excluded_exactly_30_calendar_days_after_presentation() -> None:
    # § 133.21(b)(1), 19 U.S.C. 1499(c): not released within 30 days of presentation -> deemed excluded.
    expires = PRESENTED + timedelta(days=30)
    assert clocks(OPEN, CAL).expires_at == expires == at(2022, 7, 28)
    assert status(OPEN, expires - US) is Status.NOTICE_SENT
    assert status(OPEN, expires) is Status.DEEMED_EXCLUDED
    assert status(Events(presented_at=PRESENTED), expires) is Status.DEEMED_EXCLUDED


@pytest.mark.parametrize(("field", "expected"), [("released_at", Status.RELEASED), ("seized_at", Status.SEIZED)])
def test_r_ipr_11_released_or_seized_in_time_is_never_deemed_excluded(field: str, expected: Status) -> None:
    changes: dict[str, Any] = {field: at(2022, 7, 27)}
    events = replace(OPEN, **changes)
    assert status(events, at(2022, 7, 27) - US) is Status.NOTICE_SENT
    assert status(events, at(2022, 7, 27)) is expected
    assert status(events, at(2022, 7, 28)) is expected
    assert status(events, at(2023, 1, 1)) is expected


def test_status_follows_each_event_at_its_instant() -> None:
    assert status(OPEN, PRESENTED - US) is Status.PRESENTED  # nothing else has happened yet
    assert status(OPEN, DETAINED - US) is Status.PRESENTED
    assert status(OPEN, DETAINED) is Status.DETAINED
    assert status(OPEN, NOTICE - US) is Status.DETAINED
    assert status(OPEN, NOTICE) is Status.NOTICE_SENT


def test_r_ipr_11_same_instants_in_another_zone_give_the_same_expiry_and_status() -> None:
    # BUG (hub/domain/detentions.py): `presented_at + timedelta(days=30)` is wall-clock arithmetic when the
    # datetime carries a ZoneInfo, so a presentation before the November DST change expires an hour later
    # than the equal instant in UTC. Equal Events must give equal clocks and status.
    eastern = Events(presented_at=datetime(2024, 10, 20, 10, tzinfo=NY))
    utc = Events(presented_at=eastern.presented_at.astimezone(UTC))
    assert eastern == utc
    assert clocks(eastern, CAL).expires_at == clocks(utc, CAL).expires_at
    assert status(eastern, at(2024, 11, 19, 14)) is status(utc, at(2024, 11, 19, 14))


# ----------------------------------------------------------------- response outcome (R-IPR-06) ----------------


def test_r_ipr_06_no_response_is_pending_at_the_due_instant_and_none_one_microsecond_after() -> None:
    # § 133.21(b)(2)(ii): the window lapses only after its 7th business day has ended.
    assert response_outcome(OPEN, DUE, DUE) is ResponseOutcome.PENDING
    assert response_outcome(OPEN, DUE + US, DUE) is ResponseOutcome.NONE
    assert response_outcome(Events(presented_at=PRESENTED), DUE + US, None) is ResponseOutcome.PENDING


def test_r_ipr_06_a_timely_response_stays_pending_until_cbp_records_its_finding() -> None:
    answered = replace(OPEN, importer_response_at=at(2022, 7, 12))
    assert response_outcome(answered, DUE + timedelta(days=3), DUE) is ResponseOutcome.PENDING
    for finding in Finding:
        decided = replace(answered, finding=finding, finding_at=at(2022, 7, 20))
        assert response_outcome(decided, at(2022, 7, 20) - US, DUE) is ResponseOutcome.PENDING
        assert response_outcome(decided, at(2022, 7, 20), DUE) is ResponseOutcome(finding.value)


def test_r_ipr_06_a_response_after_the_window_does_not_stop_disclosure() -> None:
    # BUG (hub/domain/detentions.py response_outcome): § 133.21(b)(2)(ii) lets CBP proceed when the importer
    # "does not provide information within the seven business day period". A late answer (recorded by
    # wf.record_response, which accepts it) turns the lapsed window back to PENDING and takes away
    # responseAllowsDisclosure - even from an owner to whom CBP already released unredacted images.
    late = wf.record_response(OPEN, DUE + timedelta(hours=1), DUE + timedelta(hours=2))
    assert response_outcome(late, DUE + timedelta(hours=2), DUE) is ResponseOutcome.NONE
    assert stage(late, DUE + timedelta(hours=2), DUE).responseAllowsDisclosure


def test_r_ipr_06_stage_window_lapses_strictly_after_the_due_instant() -> None:
    assert not stage(OPEN, DUE, DUE).windowLapsed
    assert not stage(OPEN, DUE, DUE).responseAllowsDisclosure
    lapsed = stage(OPEN, DUE + US, DUE)
    assert lapsed.windowLapsed and lapsed.responseAllowsDisclosure and not lapsed.notCounterfeit
    sufficient = replace(OPEN, importer_response_at=at(2022, 7, 5), finding=Finding.SUFFICIENT,
                           finding_at=at(2022, 7, 6))
    s = stage(sufficient, DUE + US, DUE)
    assert s.windowLapsed and s.notCounterfeit and not s.responseAllowsDisclosure


# ----------------------------------------------------------------------------- track (GAO-20-692) ---------


@pytest.mark.parametrize(("conveyance", "value", "expected"), [
    (Conveyance.MAIL, Decimal("1000000"), Track.EXPEDITED),
    (Conveyance.EXPRESS, None, Track.EXPEDITED),
    (Conveyance.CARGO, Decimal("2500.00"), Track.EXPEDITED),  # at the threshold
    (Conveyance.CARGO, Decimal("2500.01"), Track.STANDARD),
    (Conveyance.CARGO, Decimal("0"), Track.EXPEDITED),
    (Conveyance.CARGO, None, Track.STANDARD),  # unknown value: no small-parcel shortcut
])
def test_track_for_small_parcels(conveyance: Conveyance, value: Decimal | None, expected: Track) -> None:
    assert track_for(conveyance, value, Decimal("2500")) is expected


# ------------------------------------------------------------ authentication turnaround (COAC IE-2021-03) ---


def test_authentication_within_24_hours_is_within_target() -> None:
    t = authentication_turnaround(NOTICE, NOTICE + timedelta(hours=24))
    assert (t.hours, t.within_target, t.due_at) == (24.0, True, NOTICE + timedelta(hours=48))


def test_authentication_at_48_hours_is_within_and_one_microsecond_later_is_not() -> None:
    assert authentication_turnaround(NOTICE, NOTICE + timedelta(hours=48)).within_target is True
    assert authentication_turnaround(NOTICE, NOTICE + timedelta(hours=48) + US).within_target is False


def test_authentication_after_49_hours_misses_the_target() -> None:
    t = authentication_turnaround(NOTICE, NOTICE + timedelta(hours=49))
    assert (t.hours, t.within_target, t.due_at) == (49.0, False, at(2022, 7, 3))


def test_authentication_not_yet_determined() -> None:
    t = authentication_turnaround(NOTICE, None)
    assert (t.hours, t.within_target, t.determined_at, t.due_at) == (None, None, None, at(2022, 7, 3))


# ------------------------------------------------------------------------------------- overdue -------------


def kinds(events: Events, now: datetime, *, le_hold: bool = False,
          auth: list[datetime] | None = None) -> list[tuple[str, datetime, str]]:
    return [(o.kind, o.due_at, o.rule_id)
            for o in overdue(events, clocks(events, CAL), now, le_hold=le_hold, authentication_due=auth)]


def test_r_ipr_05_notice_of_detention_overdue_one_microsecond_after_its_due_instant() -> None:
    detained = Events(presented_at=PRESENTED, detained_at=DETAINED)
    due = eod(2022, 7, 7)  # Wed 06-29 -> Thu 30, Fri 1, Tue 5, Wed 6, Thu 7
    assert kinds(detained, due) == []
    assert kinds(detained, due + US) == [("NOTICE_OF_DETENTION", due, "R-IPR-05")]
    assert kinds(Events(presented_at=PRESENTED), due + US) == []  # no decision to detain, no notice clock


def test_r_ipr_03_limited_information_overdue_after_the_notice_unless_released_or_held() -> None:
    # § 133.21(b)(4): limited information no later than the notice of detention.
    assert kinds(OPEN, NOTICE) == []
    assert kinds(OPEN, NOTICE + US) == [("LIMITED_INFORMATION", NOTICE, "R-IPR-03")]
    assert kinds(OPEN, NOTICE + US, le_hold=True) == []  # R-IPR-02: nothing goes to the owner under a hold
    released = replace(OPEN, limited_info_released_at=NOTICE)
    assert kinds(released, NOTICE + US) == []


def test_r_ipr_11_deemed_excluded_reported_from_the_expiry_instant() -> None:
    done = replace(OPEN, limited_info_released_at=NOTICE)
    expires = at(2022, 7, 28)
    assert kinds(done, expires - US) == []
    assert kinds(done, expires) == [("DEEMED_EXCLUDED", expires, "R-IPR-11")]
    assert kinds(replace(done, released_at=expires - US), expires) == []


def test_r_ipr_05_a_missed_notice_stays_overdue_after_deemed_exclusion() -> None:
    # BUG (hub/domain/detentions.py overdue): `open_case` excludes DEEMED_EXCLUDED, so at day 30 the missed
    # notice of detention drops off the list, and the DETENTION_EXPIRED branch (which needs open_case and
    # now >= expires_at) can never fire. The notice was missed and still is.
    detained = Events(presented_at=PRESENTED, detained_at=DETAINED)
    expires = at(2022, 7, 28)
    assert kinds(detained, expires - US) == [("NOTICE_OF_DETENTION", eod(2022, 7, 7), "R-IPR-05")]
    assert ("NOTICE_OF_DETENTION", eod(2022, 7, 7), "R-IPR-05") in kinds(detained, expires)
    assert ("DEEMED_EXCLUDED", expires, "R-IPR-11") in kinds(detained, expires)


def test_r_ipr_09_notice_of_seizure_overdue_once_seized_without_it() -> None:
    seized = replace(OPEN, limited_info_released_at=NOTICE, seized_at=at(2022, 7, 20))
    assert kinds(seized, at(2022, 7, 20) + US) == [("NOTICE_OF_SEIZURE", at(2022, 7, 20), "R-IPR-09")]
    noticed = replace(seized, seizure_notice_at=at(2022, 7, 21))
    assert kinds(noticed, at(2022, 7, 21)) == []
    assert kinds(noticed, at(2023, 1, 1)) == []  # seized in time: never deemed excluded


def test_r_ipr_09_notice_of_seizure_not_overdue_at_the_seizure_instant_itself() -> None:
    # BUG (minor, hub/domain/detentions.py overdue): every other deadline is late only strictly after its due
    # instant (now > due); NOTICE_OF_SEIZURE has no time check at all, so it is "late" at the seizure instant.
    seized = replace(OPEN, limited_info_released_at=NOTICE, seized_at=at(2022, 7, 20))
    assert kinds(seized, at(2022, 7, 20)) == []


def test_authentication_overdue_one_microsecond_after_48_hours() -> None:
    done = replace(OPEN, limited_info_released_at=NOTICE)
    due = at(2022, 7, 5)
    assert kinds(done, due, auth=[due]) == []
    assert kinds(done, due + US, auth=[due]) == [("AUTHENTICATION", due, "COAC-IE-2021-03")]


# --------------------------------------------------------------------- recordation_active (R-IPR-01) ---------


TODAY = date(2026, 1, 5)


@pytest.mark.parametrize(("status_", "expires_on", "principal", "expected"), [
    ("ACTIVE", None, True, True),
    ("ACTIVE", TODAY, True, True),  # the expiry day itself still counts (§ 133.4: runs with the registration)
    ("ACTIVE", TODAY + timedelta(days=1), True, True),
    ("ACTIVE", TODAY - timedelta(days=1), True, False),
    ("EXPIRED", None, True, False),
    ("EXPIRED", TODAY + timedelta(days=365), True, False),
    ("CANCELLED", None, True, False),
    ("ACTIVE", None, False, False),  # Supplemental Register marks cannot be recorded (FACTS §2)
    ("ACTIVE", TODAY, False, False),
])
def test_r_ipr_01_recordation_active(status_: str, expires_on: date | None, principal: bool, expected: bool) -> None:
    assert recordation_active(status_, expires_on, principal, TODAY) is expected
