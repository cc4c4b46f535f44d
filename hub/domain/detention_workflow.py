"""The detention workflow: which step may follow which, checked before anything is written.

Each step takes the current events, the step's own time and ``now``, and returns the new events or
raises ``InvalidTransition`` with a stable code. The regulation's order is enforced here; who may take
a step is decided by the policies.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from hub.domain.detentions import Events, Finding, ResponseOutcome, Status, response_outcome, status
from hub.errors import HubError


class InvalidTransition(HubError):
    code = "INVALID_TRANSITION"
    http_status = 409


def _check_time(at: datetime, now: datetime, *after: tuple[str, datetime | None]) -> None:
    if at.tzinfo is None:
        raise InvalidTransition("event times must carry a time zone", code="NAIVE_TIME")
    if at > now:
        raise InvalidTransition("an event cannot be recorded for a time still to come", code="EVENT_IN_FUTURE")
    for name, earlier in after:
        if earlier is not None and at < earlier:
            raise InvalidTransition(f"this event cannot precede {name}", code="TIMES_OUT_OF_ORDER")


def _latest(events: Events) -> datetime:
    """The last step already on the case: a closing step cannot be dated before it."""
    times = [t for t in (events.presented_at, events.detained_at, events.notice_sent_at, events.importer_response_at,
                         events.finding_at, events.limited_info_released_at, events.unredacted_released_at,
                         events.importer_disclosure_notice_at) if t is not None]
    return max(times)


def _open(events: Events, now: datetime) -> None:
    s = status(events, now)
    if s in (Status.SEIZED, Status.RELEASED):
        raise InvalidTransition(f"the detention is closed ({s.value})", code="DETENTION_CLOSED")


def present(presented_at: datetime, now: datetime) -> Events:
    _check_time(presented_at, now)
    return Events(presented_at=presented_at)


def detain(events: Events, at: datetime, now: datetime) -> Events:
    _open(events, now)
    if events.detained_at is not None:
        raise InvalidTransition("already detained", code="ALREADY_DETAINED")
    _check_time(at, now, ("presentation", events.presented_at))
    return replace(events, detained_at=at)


def send_notice(events: Events, at: datetime, now: datetime) -> Events:
    """§ 133.21(b)(2)(i): the written notice of detention starts the importer's 7 business days."""
    _open(events, now)
    if events.detained_at is None:
        raise InvalidTransition("notice requires a decision to detain", code="NOT_DETAINED")
    if events.notice_sent_at is not None:
        raise InvalidTransition("notice already sent", code="NOTICE_ALREADY_SENT")
    _check_time(at, now, ("the decision to detain", events.detained_at))
    return replace(events, notice_sent_at=at)


def record_response(events: Events, at: datetime, now: datetime) -> Events:
    """The importer answers the notice (documents); the first answer fixes the response time."""
    _open(events, now)
    if events.notice_sent_at is None:
        raise InvalidTransition("nothing to answer before the notice of detention", code="NO_NOTICE")
    if events.finding is not None:
        raise InvalidTransition("CBP has already decided on the response", code="FINDING_RECORDED")
    _check_time(at, now, ("the notice of detention", events.notice_sent_at))
    if events.importer_response_at is not None:
        return events
    return replace(events, importer_response_at=at)


def record_finding(events: Events, finding: Finding, at: datetime, now: datetime) -> Events:
    """CBP's finding on the importer's response (§ 133.21(b)(2)(ii))."""
    _open(events, now)
    if events.importer_response_at is None:
        raise InvalidTransition("no importer response to decide on", code="NO_RESPONSE")
    if events.finding is not None:
        raise InvalidTransition("finding already recorded", code="FINDING_RECORDED")
    _check_time(at, now, ("the importer's response", events.importer_response_at))
    return replace(events, finding=finding, finding_at=at)


def release_limited_info(events: Events, at: datetime, now: datetime) -> Events:
    """R-IPR-03, § 133.21(b)(4): limited importation information, from presentation on."""
    if events.limited_info_released_at is not None:
        raise InvalidTransition("limited information already released", code="ALREADY_RELEASED")
    _check_time(at, now, ("presentation", events.presented_at))
    return replace(events, limited_info_released_at=at)


def release_unredacted(events: Events, at: datetime, now: datetime, response_due_at: datetime | None) -> Events:
    """R-IPR-06, § 133.21(b)(2)(ii), (b)(3): only after the window lapsed without a sufficient answer.

    CBP notifies the importer when it proceeds, so the importer's disclosure notice is recorded at the
    same time.
    """
    _open(events, now)
    if events.unredacted_released_at is not None:
        raise InvalidTransition("unredacted images already released", code="ALREADY_RELEASED")
    if events.notice_sent_at is None or response_due_at is None:
        raise InvalidTransition("no notice of detention yet", code="NO_NOTICE")
    _check_time(at, now, ("the notice of detention", events.notice_sent_at))
    if at <= response_due_at:
        raise InvalidTransition("the importer's 7-business-day window is still open", code="WINDOW_STILL_OPEN")
    outcome = response_outcome(events, at, response_due_at)
    if outcome is ResponseOutcome.SUFFICIENT:
        raise InvalidTransition("CBP found the goods not counterfeit", code="NOT_COUNTERFEIT")
    if outcome is ResponseOutcome.PENDING:
        raise InvalidTransition("the importer's response awaits CBP's finding", code="RESPONSE_PENDING")
    return replace(events, unredacted_released_at=at, importer_disclosure_notice_at=at)


def seize(events: Events, at: datetime, notice_at: datetime | None, now: datetime) -> Events:
    _open(events, now)
    if events.detained_at is None:
        raise InvalidTransition("seizure requires a detention", code="NOT_DETAINED")
    if response_outcome(events, now, None) is ResponseOutcome.SUFFICIENT:
        raise InvalidTransition("CBP found the goods not counterfeit", code="NOT_COUNTERFEIT")
    _check_time(at, now, ("the decision to detain", events.detained_at), ("the last step on the case", _latest(events)))
    if notice_at is not None:
        _check_time(notice_at, now, ("the seizure", at))
    return replace(events, seized_at=at, seizure_notice_at=notice_at)


def send_seizure_notice(events: Events, at: datetime, now: datetime) -> Events:
    if events.seized_at is None:
        raise InvalidTransition("no seizure", code="NOT_SEIZED")
    if events.seizure_notice_at is not None:
        raise InvalidTransition("notice of seizure already sent", code="NOTICE_ALREADY_SENT")
    _check_time(at, now, ("the seizure", events.seized_at))
    return replace(events, seizure_notice_at=at)


def release(events: Events, at: datetime, now: datetime) -> Events:
    _open(events, now)
    if status(events, now) is Status.DEEMED_EXCLUDED:
        # Deemed exclusion is final for protest purposes (19 U.S.C. 1499(c)); release after it is a
        # different remedy, outside this workflow.
        raise InvalidTransition("deemed excluded after 30 days", code="DEEMED_EXCLUDED")
    _check_time(at, now, ("the last step on the case", _latest(events)))
    return replace(events, released_at=at)
