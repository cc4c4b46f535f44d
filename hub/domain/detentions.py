"""IPR detentions (19 CFR 133.21): event times in, status, clocks and disclosure stage out.

Pure: every function takes the detention's event times and one ``now``. Citations (FACTS §1, §10.1)
sit next to each clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hub.domain.calendar import BusinessCalendar, deadline_end_of_business_day

NOTICE_BUSINESS_DAYS = 5  # § 133.21(b)(2)(i), § 151.16(c): notice within 5 business days of the decision
RESPONSE_BUSINESS_DAYS = 7  # § 133.21(b)(2)(i)(B): the importer's 7 business days from the notice
DETENTION_DAYS = 30  # § 133.21(b)(1): detention lasts up to 30 days from presentation
POST_SEIZURE_BUSINESS_DAYS = 30  # § 133.21(e): comprehensive information within 30 business days
CONSENT_DAYS = 30  # § 133.21(g): owner's consent within 30 days from notification of seizure
AUTHENTICATION_TARGET = timedelta(hours=48)  # COAC IE-2021-03: brand authentication within 24-48 hours
EXPEDITED_ADJUDICATION_DAYS = 30  # GAO-20-692: small-package seizures adjudicated within 30 days


class Regime(enum.StrEnum):
    COUNTERFEIT_TRADEMARK = "COUNTERFEIT_TRADEMARK"  # § 133.21
    GRAY_MARKET = "GRAY_MARKET"  # § 133.25 (confusingly similar § 133.22, restricted gray market § 133.23)
    COPYRIGHT = "COPYRIGHT"  # §§ 133.42-133.43


class Track(enum.StrEnum):
    STANDARD = "STANDARD"
    EXPEDITED = "EXPEDITED"  # small parcels: mail, express, or low value (COAC IE-2021-03; GAO-20-692)


class Conveyance(enum.StrEnum):
    CARGO = "CARGO"
    MAIL = "MAIL"
    EXPRESS = "EXPRESS"


class Finding(enum.StrEnum):
    SUFFICIENT = "SUFFICIENT"  # the importer showed the goods do not bear a counterfeit mark
    INSUFFICIENT = "INSUFFICIENT"


class ResponseOutcome(enum.StrEnum):
    PENDING = "PENDING"
    SUFFICIENT = "SUFFICIENT"
    INSUFFICIENT = "INSUFFICIENT"
    NONE = "NONE"  # the window lapsed without a response


class Status(enum.StrEnum):
    PRESENTED = "PRESENTED"
    DETAINED = "DETAINED"
    NOTICE_SENT = "NOTICE_SENT"
    SEIZED = "SEIZED"
    RELEASED = "RELEASED"
    DEEMED_EXCLUDED = "DEEMED_EXCLUDED"


@dataclass(frozen=True)
class Events:
    """Every event time a detention has. ``None`` means it has not happened."""

    presented_at: datetime
    detained_at: datetime | None = None
    notice_sent_at: datetime | None = None
    importer_response_at: datetime | None = None
    finding: Finding | None = None
    finding_at: datetime | None = None
    limited_info_released_at: datetime | None = None
    unredacted_released_at: datetime | None = None
    importer_disclosure_notice_at: datetime | None = None
    seized_at: datetime | None = None
    seizure_notice_at: datetime | None = None
    released_at: datetime | None = None


def _happened(at: datetime | None, now: datetime) -> bool:
    return at is not None and at <= now


@dataclass(frozen=True)
class Clocks:
    notice_due_at: datetime | None
    importer_response_due_at: datetime | None
    expires_at: datetime
    post_seizure_disclosure_due_at: datetime | None
    consent_window_ends_at: datetime | None
    calendar_version: str


def clocks(events: Events, calendar: BusinessCalendar) -> Clocks:
    def end_of(start: datetime | None, days: int) -> datetime | None:
        if start is None:
            return None
        # A window of n business days ends with the nth business day after the event (FACTS §7 example).
        return deadline_end_of_business_day(calendar.add_business_days(start, days))

    return Clocks(
        notice_due_at=end_of(events.detained_at, NOTICE_BUSINESS_DAYS),
        importer_response_due_at=end_of(events.notice_sent_at, RESPONSE_BUSINESS_DAYS),
        # R-IPR-11: calendar days, counted from presentation to the instant (in UTC, so that the same
        # instant given in another zone, across a DST change, expires at the same instant).
        expires_at=events.presented_at.astimezone(UTC) + timedelta(days=DETENTION_DAYS),
        post_seizure_disclosure_due_at=end_of(events.seizure_notice_at, POST_SEIZURE_BUSINESS_DAYS),
        consent_window_ends_at=(
            events.seizure_notice_at.astimezone(UTC) + timedelta(days=CONSENT_DAYS)
            if events.seizure_notice_at else None
        ),
        calendar_version=calendar.version,
    )


def status(events: Events, now: datetime) -> Status:
    if _happened(events.released_at, now):
        return Status.RELEASED
    if _happened(events.seized_at, now):
        return Status.SEIZED
    # R-IPR-11, § 133.21(b)(1): not released within 30 days of presentation -> deemed excluded.
    if now >= events.presented_at.astimezone(UTC) + timedelta(days=DETENTION_DAYS):
        return Status.DEEMED_EXCLUDED
    if _happened(events.notice_sent_at, now):
        return Status.NOTICE_SENT
    if _happened(events.detained_at, now):
        return Status.DETAINED
    return Status.PRESENTED


def response_outcome(events: Events, now: datetime, due_at: datetime | None) -> ResponseOutcome:
    if events.finding is not None and _happened(events.finding_at, now):
        return ResponseOutcome(events.finding.value)
    answered_at = events.importer_response_at
    # § 133.21(b)(2)(ii): only an answer within the 7 business days holds disclosure back; a late one
    # leaves the importer as if it had not answered (CBP may still weigh it in its finding).
    if answered_at is not None and answered_at <= now and (due_at is None or answered_at <= due_at):
        return ResponseOutcome.PENDING
    if due_at is not None and now > due_at:
        return ResponseOutcome.NONE
    return ResponseOutcome.PENDING


def track_for(conveyance: Conveyance, declared_value: Decimal | None, threshold: Decimal) -> Track:
    """Small parcels take the expedited seizure track: mail, express, or value at most ``threshold``."""
    if conveyance in (Conveyance.MAIL, Conveyance.EXPRESS):
        return Track.EXPEDITED
    if declared_value is not None and declared_value <= threshold:
        return Track.EXPEDITED
    return Track.STANDARD


@dataclass(frozen=True)
class Stage:
    """The detention's disclosure stage at ``now``: the facts the Cedar policies decide on (Cedar names)."""

    presented: bool
    noticeSent: bool
    limitedInfoReleased: bool
    windowLapsed: bool
    responseAllowsDisclosure: bool
    notCounterfeit: bool
    unredactedReleased: bool
    importerNotified: bool
    seized: bool


def stage(events: Events, now: datetime, response_due_at: datetime | None) -> Stage:
    outcome = response_outcome(events, now, response_due_at)
    return Stage(
        presented=events.presented_at <= now,
        noticeSent=_happened(events.notice_sent_at, now),
        limitedInfoReleased=_happened(events.limited_info_released_at, now),
        # R-IPR-06: the importer's window has ended only strictly after its due instant.
        windowLapsed=response_due_at is not None and now > response_due_at,
        responseAllowsDisclosure=outcome in (ResponseOutcome.NONE, ResponseOutcome.INSUFFICIENT),
        notCounterfeit=outcome is ResponseOutcome.SUFFICIENT,
        unredactedReleased=_happened(events.unredacted_released_at, now),
        importerNotified=_happened(events.importer_disclosure_notice_at, now),
        seized=_happened(events.seized_at, now),
    )


@dataclass(frozen=True)
class Overdue:
    kind: str
    due_at: datetime
    rule_id: str


def overdue(
    events: Events, c: Clocks, now: datetime, *, le_hold: bool, authentication_due: list[datetime] | None = None
) -> list[Overdue]:
    """Deadlines CBP has missed at ``now`` for one detention."""
    late: list[Overdue] = []
    s = status(events, now)
    undecided = s not in (Status.SEIZED, Status.RELEASED)
    # A missed notice stays missed when the case is deemed excluded: the importer never got its window.
    if c.notice_due_at and events.notice_sent_at is None and now > c.notice_due_at and undecided:
        late.append(Overdue("NOTICE_OF_DETENTION", c.notice_due_at, "R-IPR-05"))
    if (events.notice_sent_at and events.limited_info_released_at is None and not le_hold
            and now > events.notice_sent_at and undecided):
        # R-IPR-03: limited information is due no later than the notice of detention.
        late.append(Overdue("LIMITED_INFORMATION", events.notice_sent_at, "R-IPR-03"))
    if s is Status.DEEMED_EXCLUDED:
        late.append(Overdue("DEEMED_EXCLUDED", c.expires_at, "R-IPR-11"))
    if events.seized_at and events.seizure_notice_at is None and now > events.seized_at:
        late.append(Overdue("NOTICE_OF_SEIZURE", events.seized_at, "R-IPR-09"))
    for due in authentication_due or []:
        if now > due:
            late.append(Overdue("AUTHENTICATION", due, "COAC-IE-2021-03"))
    return late


@dataclass(frozen=True)
class Turnaround:
    requested_at: datetime
    determined_at: datetime | None
    hours: float | None
    within_target: bool | None
    due_at: datetime = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "due_at", self.requested_at.astimezone(UTC) + AUTHENTICATION_TARGET)


def authentication_turnaround(requested_at: datetime, determined_at: datetime | None) -> Turnaround:
    if determined_at is None:
        return Turnaround(requested_at, None, None, None)
    elapsed = determined_at.astimezone(UTC) - requested_at.astimezone(UTC)
    hours = elapsed.total_seconds() / 3600
    within = elapsed <= AUTHENTICATION_TARGET
    return Turnaround(requested_at, determined_at, round(hours, 2), within)


def recordation_active(status_: str, expires_on: date | None, principal_register: bool, today: date) -> bool:
    """R-IPR-01, § 133.4: only an active recordation of a Principal Register mark, not expired."""
    return status_ == "ACTIVE" and principal_register and (expires_on is None or expires_on >= today)
