"""The § 133.21 detention workflow: every CBP step's valid path and every refused transition with its code.

Steps are pure: a refused step raises InvalidTransition and leaves the events it was given untouched.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain import detention_workflow as wf
from hub.domain.calendar import BusinessCalendar
from hub.domain.detentions import Events, Finding, clocks

CAL = BusinessCalendar()
US = timedelta(microseconds=1)
T0 = datetime(2022, 6, 28, 14, tzinfo=UTC)  # presented
T_DET = datetime(2022, 6, 29, 14, tzinfo=UTC)
T_NOD = datetime(2022, 7, 1, 14, tzinfo=UTC)
DUE = datetime(2022, 7, 14, 3, 59, 59, 999_999, tzinfo=UTC)  # Wed 2022-07-13 end of day EDT (FACTS §7)
NOW = datetime(2022, 7, 20, 12, tzinfo=UTC)
EXPIRES = T0 + timedelta(days=30)

PRESENTED = Events(presented_at=T0)
DETAINED = replace(PRESENTED, detained_at=T_DET)
NOTICED = replace(DETAINED, notice_sent_at=T_NOD)
T_ANS = datetime(2022, 7, 5, 14, tzinfo=UTC)
ANSWERED = replace(NOTICED, importer_response_at=T_ANS)
INSUFFICIENT = replace(ANSWERED, finding=Finding.INSUFFICIENT, finding_at=datetime(2022, 7, 6, 14, tzinfo=UTC))
SUFFICIENT = replace(ANSWERED, finding=Finding.SUFFICIENT, finding_at=datetime(2022, 7, 6, 14, tzinfo=UTC))
T_SZ = datetime(2022, 7, 18, 14, tzinfo=UTC)
SEIZED = replace(NOTICED, seized_at=T_SZ)
RELEASED = replace(DETAINED, released_at=datetime(2022, 7, 2, 14, tzinfo=UTC))


def refused(code: str, step: Callable[[Events], Events], events: Events) -> None:
    """The step raises ``code`` and returns nothing new: the events passed in are unchanged."""
    before = copy.deepcopy(events)
    with pytest.raises(wf.InvalidTransition) as info:
        step(events)
    assert info.value.code == code, info.value.message
    assert info.value.http_status == 409
    assert events == before


def test_the_facts_due_instant_matches_the_calendar() -> None:
    assert clocks(NOTICED, CAL).importer_response_due_at == DUE


# ------------------------------------------------------------------------------------ present -------------


def test_present_records_only_the_presentation() -> None:
    assert wf.present(T0, T0) == Events(presented_at=T0)


def test_present_refuses_naive_and_future_times() -> None:
    refused("NAIVE_TIME", lambda _: wf.present(T0.replace(tzinfo=None), NOW), PRESENTED)
    refused("EVENT_IN_FUTURE", lambda _: wf.present(NOW + US, NOW), PRESENTED)


# ------------------------------------------------------------------------------------- detain -------------


def test_detain_at_presentation_instant() -> None:
    assert wf.detain(PRESENTED, T0, NOW) == replace(PRESENTED, detained_at=T0)


@pytest.mark.parametrize(("code", "events", "at"), [
    ("ALREADY_DETAINED", DETAINED, NOW),
    ("TIMES_OUT_OF_ORDER", PRESENTED, T0 - US),
    ("EVENT_IN_FUTURE", PRESENTED, NOW + US),
    ("NAIVE_TIME", PRESENTED, T_DET.replace(tzinfo=None)),
    ("DETENTION_CLOSED", replace(PRESENTED, released_at=T0), NOW),
    ("DETENTION_CLOSED", SEIZED, NOW),
])
def test_detain_refused(code: str, events: Events, at: datetime) -> None:
    refused(code, lambda e: wf.detain(e, at, NOW), events)


# ---------------------------------------------------------------------------------- send_notice ------------


def test_send_notice_at_the_decision_instant() -> None:
    assert wf.send_notice(DETAINED, T_DET, NOW) == replace(DETAINED, notice_sent_at=T_DET)


@pytest.mark.parametrize(("code", "events", "at"), [
    ("NOT_DETAINED", PRESENTED, NOW),
    ("NOTICE_ALREADY_SENT", NOTICED, NOW),
    ("TIMES_OUT_OF_ORDER", DETAINED, T_DET - US),
    ("EVENT_IN_FUTURE", DETAINED, NOW + US),
    ("DETENTION_CLOSED", RELEASED, NOW),
])
def test_send_notice_refused(code: str, events: Events, at: datetime) -> None:
    refused(code, lambda e: wf.send_notice(e, at, NOW), events)


# ----------------------------------------------------------------- record_response / record_finding --------


def test_record_response_keeps_the_first_answer_time() -> None:
    first = wf.record_response(NOTICED, T_NOD, NOW)
    assert first == replace(NOTICED, importer_response_at=T_NOD)
    assert wf.record_response(first, NOW, NOW) == first


@pytest.mark.parametrize(("code", "events", "at"), [
    ("NO_NOTICE", DETAINED, NOW),
    ("FINDING_RECORDED", INSUFFICIENT, NOW),
    ("TIMES_OUT_OF_ORDER", NOTICED, T_NOD - US),
    ("EVENT_IN_FUTURE", NOTICED, NOW + US),
    ("DETENTION_CLOSED", SEIZED, NOW),
])
def test_record_response_refused(code: str, events: Events, at: datetime) -> None:
    refused(code, lambda e: wf.record_response(e, at, NOW), events)


@pytest.mark.parametrize("finding", list(Finding))
def test_record_finding_at_the_response_instant(finding: Finding) -> None:
    assert wf.record_finding(ANSWERED, finding, T_ANS, NOW) == replace(ANSWERED, finding=finding, finding_at=T_ANS)


@pytest.mark.parametrize(("code", "events", "at"), [
    ("NO_RESPONSE", NOTICED, NOW),
    ("FINDING_RECORDED", SUFFICIENT, NOW),
    ("TIMES_OUT_OF_ORDER", ANSWERED, T_ANS - US),
    ("EVENT_IN_FUTURE", ANSWERED, NOW + US),
    ("DETENTION_CLOSED", replace(ANSWERED, released_at=NOW), NOW),
])
def test_record_finding_refused(code: str, events: Events, at: datetime) -> None:
    refused(code, lambda e: wf.record_finding(e, Finding.INSUFFICIENT, at, NOW), events)


# --------------------------------------------------------------------------- release_limited_info ----------


def test_release_limited_info_from_presentation() -> None:
    # R-IPR-03, § 133.21(b)(4): from presentation, before any decision to detain.
    assert wf.release_limited_info(PRESENTED, T0, NOW) == replace(PRESENTED, limited_info_released_at=T0)


@pytest.mark.parametrize(("code", "events", "at"), [
    ("ALREADY_RELEASED", replace(PRESENTED, limited_info_released_at=T0), NOW),
    ("TIMES_OUT_OF_ORDER", PRESENTED, T0 - US),
    ("EVENT_IN_FUTURE", PRESENTED, NOW + US),
])
def test_release_limited_info_refused(code: str, events: Events, at: datetime) -> None:
    refused(code, lambda e: wf.release_limited_info(e, at, NOW), events)


# ----------------------------------------------------------------------------- release_unredacted ---------


@pytest.mark.parametrize("events", [NOTICED, INSUFFICIENT], ids=["no-response", "insufficient"])
def test_release_unredacted_one_microsecond_after_the_window_notifies_the_importer(events: Events) -> None:
    # R-IPR-06, § 133.21(b)(2)(ii), (b)(3): CBP proceeds and tells the importer at the same instant.
    released = wf.release_unredacted(events, DUE + US, NOW, DUE)
    assert released == replace(events, unredacted_released_at=DUE + US, importer_disclosure_notice_at=DUE + US)


@pytest.mark.parametrize(("code", "events", "at", "due"), [
    ("NO_NOTICE", DETAINED, NOW, None),
    ("NO_NOTICE", NOTICED, NOW, None),
    ("WINDOW_STILL_OPEN", NOTICED, DUE, DUE),
    ("NOT_COUNTERFEIT", SUFFICIENT, NOW, DUE),
    ("RESPONSE_PENDING", ANSWERED, NOW, DUE),
    ("ALREADY_RELEASED", replace(NOTICED, unredacted_released_at=DUE + US), NOW, DUE),
    ("TIMES_OUT_OF_ORDER", NOTICED, T_NOD - US, DUE),
    ("EVENT_IN_FUTURE", NOTICED, NOW + US, DUE),
    ("DETENTION_CLOSED", SEIZED, NOW, DUE),
])
def test_release_unredacted_refused(code: str, events: Events, at: datetime, due: datetime | None) -> None:
    refused(code, lambda e: wf.release_unredacted(e, at, NOW, due), events)


def test_release_unredacted_before_the_finding_instant_is_response_pending() -> None:
    # The outcome is judged at the release time: a finding recorded later does not count yet.
    late_finding = replace(ANSWERED, finding=Finding.INSUFFICIENT, finding_at=NOW)
    refused("RESPONSE_PENDING", lambda e: wf.release_unredacted(e, NOW - US, NOW, DUE), late_finding)
    assert wf.release_unredacted(late_finding, NOW, NOW, DUE).unredacted_released_at == NOW


# ---------------------------------------------------------------------------------- seize / notice --------


def test_seize_with_and_without_notice_of_seizure() -> None:
    at = datetime(2022, 7, 18, 14, tzinfo=UTC)
    assert wf.seize(NOTICED, at, None, NOW) == replace(NOTICED, seized_at=at)
    assert wf.seize(INSUFFICIENT, at, at, NOW) == replace(INSUFFICIENT, seized_at=at, seizure_notice_at=at)


@pytest.mark.parametrize(("code", "events", "at", "notice_at"), [
    ("NOT_DETAINED", PRESENTED, NOW, None),
    ("NOT_COUNTERFEIT", SUFFICIENT, NOW, None),
    ("TIMES_OUT_OF_ORDER", DETAINED, T_DET - US, None),
    ("TIMES_OUT_OF_ORDER", DETAINED, NOW, NOW - US),  # notice of seizure before the seizure
    ("EVENT_IN_FUTURE", DETAINED, NOW + US, None),
    ("EVENT_IN_FUTURE", DETAINED, NOW, NOW + US),
    ("NAIVE_TIME", DETAINED, NOW, NOW.replace(tzinfo=None)),
    ("DETENTION_CLOSED", SEIZED, NOW, None),
    ("DETENTION_CLOSED", RELEASED, NOW, None),
])
def test_seize_refused(code: str, events: Events, at: datetime, notice_at: datetime | None) -> None:
    refused(code, lambda e: wf.seize(e, at, notice_at, NOW), events)


def test_send_seizure_notice_after_seizure() -> None:
    assert wf.send_seizure_notice(SEIZED, T_SZ, NOW) == replace(SEIZED, seizure_notice_at=T_SZ)


@pytest.mark.parametrize(("code", "events", "at"), [
    ("NOT_SEIZED", NOTICED, NOW),
    ("NOTICE_ALREADY_SENT", replace(SEIZED, seizure_notice_at=NOW), NOW),
    ("TIMES_OUT_OF_ORDER", SEIZED, T_SZ - US),
    ("EVENT_IN_FUTURE", SEIZED, NOW + US),
])
def test_send_seizure_notice_refused(code: str, events: Events, at: datetime) -> None:
    refused(code, lambda e: wf.send_seizure_notice(e, at, NOW), events)


# ------------------------------------------------------------------------------------ release -------------


def test_release_one_microsecond_before_deemed_exclusion() -> None:
    # R-IPR-11, § 133.21(b)(1): released within the 30 days.
    assert wf.release(NOTICED, EXPIRES - US, EXPIRES - US) == replace(NOTICED, released_at=EXPIRES - US)


@pytest.mark.parametrize(("code", "events", "at", "now"), [
    ("DEEMED_EXCLUDED", NOTICED, EXPIRES, EXPIRES),  # 19 U.S.C. 1499(c): exclusion at the 30-day instant
    ("DEEMED_EXCLUDED", PRESENTED, EXPIRES + timedelta(days=1), EXPIRES + timedelta(days=1)),
    ("DETENTION_CLOSED", SEIZED, NOW, NOW),
    ("DETENTION_CLOSED", RELEASED, NOW, NOW),
    ("TIMES_OUT_OF_ORDER", PRESENTED, T0 - US, NOW),
    ("EVENT_IN_FUTURE", PRESENTED, NOW + US, NOW),
    ("NAIVE_TIME", PRESENTED, NOW.replace(tzinfo=None), NOW),
])
def test_release_refused(code: str, events: Events, at: datetime, now: datetime) -> None:
    refused(code, lambda e: wf.release(e, at, now), events)


@pytest.mark.parametrize(("step", "events", "at"), [
    ("seize", NOTICED, T_NOD - US),
    ("seize", INSUFFICIENT, datetime(2022, 7, 6, 14, tzinfo=UTC) - US),
    ("release", DETAINED, T_DET - US),
    ("release", ANSWERED, T_ANS - US),
], ids=["seizure-before-notice", "seizure-before-finding", "release-before-detention", "release-before-response"])
def test_closing_step_cannot_be_backdated_before_recorded_case_steps(step: str, events: Events, at: datetime) -> None:
    # BUG (hub/domain/detention_workflow.py seize, release): a seizure is only checked against the decision
    # to detain and a release only against presentation, so a backdated closing step yields a history in
    # which the notice / response / finding / detention come after the case was closed - a history the
    # forward workflow refuses (DETENTION_CLOSED). Once fixed, fold this into the property below.
    close = (lambda e: wf.seize(e, at, None, NOW)) if step == "seize" else (lambda e: wf.release(e, at, NOW))
    refused("TIMES_OUT_OF_ORDER", close, events)


# ------------------------------------------------------------------------------- property: order -----------

# The workflow's partial order: each pair (earlier, later) must hold whenever both events exist.
ORDER = [
    ("presented_at", "detained_at"), ("detained_at", "notice_sent_at"), ("notice_sent_at", "importer_response_at"),
    ("importer_response_at", "finding_at"), ("notice_sent_at", "unredacted_released_at"),
    ("unredacted_released_at", "importer_disclosure_notice_at"), ("presented_at", "limited_info_released_at"),
    ("detained_at", "seized_at"), ("seized_at", "seizure_notice_at"), ("presented_at", "released_at"),
]
STEPS = ["detain", "notice", "respond", "finding", "limited", "unredacted", "seize", "seizure_notice", "release"]


def apply(events: Events, name: str, at: datetime, now: datetime, finding: Finding, with_notice: bool) -> Events:
    due = clocks(events, CAL).importer_response_due_at
    match name:
        case "detain":
            return wf.detain(events, at, now)
        case "notice":
            return wf.send_notice(events, at, now)
        case "respond":
            return wf.record_response(events, at, now)
        case "finding":
            return wf.record_finding(events, finding, at, now)
        case "limited":
            return wf.release_limited_info(events, at, now)
        case "unredacted":
            return wf.release_unredacted(events, at, now, due)
        case "seize":
            return wf.seize(events, at, at if with_notice else None, now)
        case "seizure_notice":
            return wf.send_seizure_notice(events, at, now)
    return wf.release(events, at, now)


def check_order(events: Events, now: datetime) -> None:
    times = {k: v for k, v in events.__dict__.items() if isinstance(v, datetime)}
    assert all(t <= now for t in times.values())
    for earlier, later in ORDER:
        if earlier in times and later in times:
            assert times[earlier] <= times[later], (earlier, later)
    assert (events.finding is None) == (events.finding_at is None)
    assert events.finding is None or events.importer_response_at is not None
    assert events.seized_at is None or events.released_at is None
    if events.unredacted_released_at is not None:
        assert events.unredacted_released_at > clocks(events, CAL).importer_response_due_at  # type: ignore[operator]


step_strategy = st.tuples(
    st.sampled_from(STEPS),
    st.integers(0, 40 * 24),  # hours the clock moves on before the step
    st.integers(-2, 10 * 24),  # hours the step's time lies before now (negative: in the future)
    st.sampled_from(list(Finding)),
    st.booleans(),
)


@settings(max_examples=400, deadline=None)
@given(steps=st.lists(step_strategy, max_size=14), jitter=st.integers(0, 3))
def test_property_steps_raise_or_keep_the_workflow_order(
    steps: list[tuple[str, int, int, Finding, bool]], jitter: int
) -> None:
    now = T0
    events = wf.present(T0, now)
    for name, advance, back, finding, with_notice in steps:
        now += timedelta(hours=advance)
        at = now - timedelta(hours=back) + jitter * US
        try:
            events = apply(events, name, at, now, finding, with_notice)
        except wf.InvalidTransition:
            continue
        check_order(events, now)
