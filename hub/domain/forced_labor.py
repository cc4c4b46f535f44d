"""Forced-labor detentions (19 U.S.C. 1307; 19 CFR 12.42-12.45; UFLPA; FACTS §6, §10.4 R-FL-03): event times in,
clocks, stage and outcome out.

Pure: every function takes the detention's recorded event times and one ``now``. A WRO or Finding detention runs on
the importer's 3-calendar-month proof window (§ 12.43(a)) and, once CBP notifies an exclusion, the 60-day abandonment
clock (§ 12.44(b)); a UFLPA detention runs on the 19 CFR 151.16 clock instead (FACTS §6.5). Nothing here is stored
as a status: it is computed from the times, so a window lapses without anything writing to the row.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hub.domain.calendar import BusinessCalendar, add_calendar_months
from hub.errors import InvalidInput

# R-FL-03, 19 CFR 12.43(a): proof of admissibility "within 3 months after the date the article was imported".
PROOF_MONTHS = 3
# R-FL-03, 19 CFR 12.44(b): excluded goods are deemed abandoned 60 days after the exclusion notice unless exported
# or protested (19 U.S.C. 1514).
ABANDONMENT_DAYS = 60
# R-FL-03, 19 CFR 151.16(b) (FACTS §6.5): decide within 5 business days of presentation ...
UFLPA_DECISION_BUSINESS_DAYS = 5
# ... and goods not released within 30 days of presentation are deemed excluded (19 U.S.C. 1499(c)(5)(A)).
UFLPA_DEEMED_EXCLUDED_DAYS = 30


class Authority(enum.StrEnum):
    """Under what a shipment is held."""

    WRO = "WRO"  # § 12.42(e): withhold release order
    FINDING = "FINDING"  # § 12.42(f)-(g): published Finding; failing proof -> seizure (§ 12.44(c))
    UFLPA = "UFLPA"  # Pub. L. 117-78 rebuttable presumption; 19 CFR 151.16 clock


class Outcome(enum.StrEnum):
    """The disposition a detention ends in (the metric buckets; "pending" is None)."""

    RELEASED = "RELEASED"  # § 12.43(b): admissibility proven, the port releases
    EXPORTED = "EXPORTED"  # § 12.44(a): exported before seizure or deemed abandonment
    EXCLUDED = "EXCLUDED"  # § 12.44(b) exclusion notice; UFLPA deemed exclusion (151.16)
    SEIZED = "SEIZED"  # § 12.44(c): Finding goods without proof are seized and forfeited


class Stage(enum.StrEnum):
    DETAINED = "DETAINED"  # the proof window (or the UFLPA 30 days) is running
    PROOF_WINDOW_LAPSED = "PROOF_WINDOW_LAPSED"  # 3 months passed without a decision: CBP must act (§ 12.44(b))
    EXCLUDED = "EXCLUDED"  # exclusion notice sent; the 60 days run
    PROTESTED = "PROTESTED"  # exclusion protested in time: no deemed abandonment (§ 12.44(b), 19 U.S.C. 1514)
    DEEMED_ABANDONED = "DEEMED_ABANDONED"  # 60 days after the exclusion notice, neither exported nor protested
    DEEMED_EXCLUDED = "DEEMED_EXCLUDED"  # UFLPA: not released within 30 days of presentation
    RELEASED = "RELEASED"
    EXPORTED = "EXPORTED"
    SEIZED = "SEIZED"


class Action(enum.StrEnum):
    """What CBP records on a detention (the importer's proof is a submission, hub/services/forced_labor_submissions)."""

    RELEASE = "RELEASE"
    EXCLUDE = "EXCLUDE"
    SEIZE = "SEIZE"
    EXPORT = "EXPORT"
    PROTEST = "PROTEST"


FINAL_STAGES = frozenset({Stage.RELEASED, Stage.EXPORTED, Stage.SEIZED, Stage.DEEMED_ABANDONED})


@dataclass(frozen=True)
class Events:
    authority: Authority
    imported_on: date
    presented_at: datetime
    released_at: datetime | None = None
    exclusion_noticed_at: datetime | None = None
    protested_at: datetime | None = None
    exported_at: datetime | None = None
    seized_at: datetime | None = None
    # The latest admissibility submission (§ 12.43(a); fl_documents), if any: not a disposition, but a recorded
    # event CBP's later steps cannot precede, and what a decision that the proof is insufficient decides on.
    proof_submitted_at: datetime | None = None

    def latest(self) -> datetime:
        """The latest recorded event (presentation at the earliest)."""
        return max(t for t in (self.presented_at, self.released_at, self.exclusion_noticed_at, self.protested_at,
                               self.exported_at, self.seized_at, self.proof_submitted_at) if t is not None)


@dataclass(frozen=True)
class Clocks:
    proof_due_on: date | None  # WRO/Finding: imported_on + 3 calendar months (§ 12.43(a))
    abandoned_at: datetime | None  # exclusion notice + 60 days (§ 12.44(b))
    uflpa_decision_due_on: date | None  # presentation + 5 business days (151.16(b))
    uflpa_deemed_excluded_at: datetime | None  # presentation + 30 days (151.16; 1499(c)(5)(A))
    window_ends_on: date  # the window metrics measure "resolved within" against


def proof_due_on(imported_on: date) -> date:
    """R-FL-03, § 12.43(a): the same day 3 calendar months later, clamped to the month's end (Nov 30 -> Feb 28/29).

    hub.domain.calendar.add_calendar_months is the well-defined month arithmetic (same as dateutil's relativedelta
    with months=3): the period never spills into the following month.
    """
    return add_calendar_months(imported_on, PROOF_MONTHS)


def clocks(ev: Events, calendar: BusinessCalendar) -> Clocks:
    abandoned = ev.exclusion_noticed_at + timedelta(days=ABANDONMENT_DAYS) if ev.exclusion_noticed_at else None
    if ev.authority is Authority.UFLPA:
        deemed = ev.presented_at + timedelta(days=UFLPA_DEEMED_EXCLUDED_DAYS)
        return Clocks(None, abandoned, calendar.add_business_days(ev.presented_at, UFLPA_DECISION_BUSINESS_DAYS),
                      deemed, deemed.date())
    due = proof_due_on(ev.imported_on)
    return Clocks(due, abandoned, None, None, due)


def _before(at: datetime | None, limit: datetime | None) -> bool:
    return at is not None and (limit is None or at < limit)


def stage(ev: Events, c: Clocks, now: datetime) -> Stage:
    """Where the detention stands at ``now``; events recorded after ``now`` have not happened yet."""
    def happened(at: datetime | None) -> bool:
        return at is not None and at <= now

    if happened(ev.seized_at):
        return Stage.SEIZED
    if happened(ev.released_at):
        return Stage.RELEASED
    if happened(ev.exported_at) and (c.abandoned_at is None or _before(ev.exported_at, c.abandoned_at)):
        return Stage.EXPORTED
    if happened(ev.exclusion_noticed_at):
        if happened(ev.protested_at) and _before(ev.protested_at, c.abandoned_at):
            return Stage.PROTESTED
        if c.abandoned_at is not None and now >= c.abandoned_at:
            return Stage.DEEMED_ABANDONED
        return Stage.EXCLUDED
    if c.uflpa_deemed_excluded_at is not None and now >= c.uflpa_deemed_excluded_at:
        return Stage.DEEMED_EXCLUDED
    if c.proof_due_on is not None and now.date() > c.proof_due_on:
        return Stage.PROOF_WINDOW_LAPSED
    return Stage.DETAINED


def outcome(s: Stage) -> Outcome | None:
    """The metric bucket of a stage: excluded covers the notice, its protest, abandonment and UFLPA deemed exclusion."""
    return {
        Stage.RELEASED: Outcome.RELEASED, Stage.EXPORTED: Outcome.EXPORTED, Stage.SEIZED: Outcome.SEIZED,
        Stage.EXCLUDED: Outcome.EXCLUDED, Stage.PROTESTED: Outcome.EXCLUDED, Stage.DEEMED_ABANDONED: Outcome.EXCLUDED,
        Stage.DEEMED_EXCLUDED: Outcome.EXCLUDED,
    }.get(s)


def submission_open(ev: Events, c: Clocks, at: datetime) -> None:
    """R-FL-03, § 12.43(a): proof is accepted until the window's last day, and only while CBP has not decided.

    Codes: SUBMISSION_AFTER_WINDOW, DETENTION_CLOSED. (CBP's practice of a 30-day extension, FACTS §6.2, is not in
    the regulation and not modelled.)
    """
    s = stage(ev, c, at)
    if s is Stage.PROOF_WINDOW_LAPSED or s is Stage.DEEMED_EXCLUDED or at.date() > c.window_ends_on:
        raise InvalidInput(f"the proof window ended on {c.window_ends_on} (19 CFR 12.43(a), R-FL-03)",
                           code="SUBMISSION_AFTER_WINDOW")
    if s is not Stage.DETAINED:
        raise InvalidInput(f"the detention is {s.value}: nothing more to prove", code="DETENTION_CLOSED")


def check_action_time(ev: Events, at: datetime, now: datetime) -> None:
    """When a step may be dated: not after ``now``, not before presentation, not before the latest recorded event.

    Events are recorded in the order they happen: a step back-dated before a later one would make the stage computed
    from the times (the latest disposition wins only if it is also the latest in time) disagree with the step just
    recorded and with the stored outcome. There is no clock-skew allowance: a step dated after ``now`` would not
    yet have happened at ``now`` (``stage``) and the stored outcome would run ahead of the stage.
    Codes: ACTION_IN_FUTURE, ACTION_BEFORE_PRESENTATION, ACTION_OUT_OF_ORDER.
    """
    if at > now:
        raise InvalidInput("a step cannot be dated in the future", code="ACTION_IN_FUTURE")
    if at < ev.presented_at:
        raise InvalidInput("a step cannot precede presentation", code="ACTION_BEFORE_PRESENTATION")
    latest = ev.latest()
    if at < latest:
        raise InvalidInput(f"a step cannot be dated before the detention's latest recorded event, {latest.isoformat()}"
                           " (events are recorded in the order they happen)", code="ACTION_OUT_OF_ORDER")


def check_action(ev: Events, c: Clocks, action: Action, at: datetime, proof_insufficient: bool = False) -> None:
    """Which of CBP's recorded steps the law allows at ``at`` (R-FL-03).

    ``proof_insufficient``: CBP's decision, recorded with an EXCLUDE (WRO) or SEIZE (Finding), that the proof the
    importer submitted does not establish admissibility (a RELEASE is the decision that it does, § 12.43(b)).
    Codes: INVALID_TRANSITION, INVALID_DECISION, NO_PROOF_SUBMITTED, PROOF_WINDOW_OPEN.
    """
    s = stage(ev, c, at)

    def refuse(why: str) -> InvalidInput:
        return InvalidInput(f"cannot {action.value} a detention that is {s.value}: {why}", code="INVALID_TRANSITION")

    open_ = s in (Stage.DETAINED, Stage.PROOF_WINDOW_LAPSED)
    if action is Action.RELEASE and not (open_ or s in (Stage.PROTESTED, Stage.DEEMED_EXCLUDED)):
        raise refuse("only a detention still held (or a protested exclusion) is released")
    if action is Action.EXCLUDE:
        if ev.authority is Authority.FINDING:
            raise refuse("goods under a Finding are seized, not excluded (19 CFR 12.44(c))")
        if not open_:
            raise refuse("exclusion follows a detention still held (19 CFR 12.44(b))")
    if action is Action.SEIZE:
        if ev.authority is not Authority.FINDING:
            raise refuse("seizure and forfeiture follow a Finding (19 CFR 12.44(c))")
        if not open_:
            raise refuse("only a detention still held is seized")
    if action is Action.EXPORT and not (open_ or s in (Stage.EXCLUDED, Stage.PROTESTED, Stage.DEEMED_EXCLUDED)):
        # § 12.44(a): export any time before seizure or deemed abandonment.
        raise refuse("export is allowed only before seizure or deemed abandonment (19 CFR 12.44(a))")
    if action is Action.PROTEST and s is not Stage.EXCLUDED:
        raise refuse("a protest answers an exclusion notice within its 60 days (19 CFR 12.44(b))")
    decides_on_proof = action in (Action.EXCLUDE, Action.SEIZE) and ev.authority is not Authority.UFLPA
    if proof_insufficient and not decides_on_proof:
        raise InvalidInput("a decision that the proof is insufficient goes with a WRO exclusion or a Finding seizure "
                           "(19 CFR 12.44(b), (c))", code="INVALID_DECISION")
    submitted = ev.proof_submitted_at is not None and ev.proof_submitted_at <= at
    if proof_insufficient and not submitted:
        raise InvalidInput("no proof of admissibility was submitted to find insufficient", code="NO_PROOF_SUBMITTED")
    # 19 CFR 12.44(b): "If the importer does not export the merchandise within 3 months after the date of
    # importation, the port director shall ascertain whether the proof has been furnished within the time provided
    # in § 12.43 ... if none or insufficient, [the port] notifies the importer in writing that the goods are
    # excluded" (FACTS §6.3); under a Finding, failing that proof -> seizure and forfeiture (12.44(c)). So neither
    # comes while the importer's 3-month window (12.43(a)) is open, unless the importer has already submitted its
    # proof and CBP has decided it insufficient. UFLPA detentions run on 19 CFR 151.16 instead: no proof window, CBP
    # may exclude at any time and the goods are deemed excluded after 30 days (FACTS §6.5), so they are not held
    # back here.
    if decides_on_proof and c.proof_due_on is not None and at.date() <= c.proof_due_on and \
            not (proof_insufficient and submitted):
        raise InvalidInput(f"cannot {action.value} before the importer's proof window ends on {c.proof_due_on} "
                           "(19 CFR 12.43(a), 12.44(b)-(c)), unless submitted proof was decided insufficient",
                           code="PROOF_WINDOW_OPEN")


def recorded_outcome(ev: Events, c: Clocks, at: datetime) -> Outcome | None:
    """The outcome stored with the detention after a step at ``at`` (``fl_detentions.outcome``): the outcome of the
    stage the recorded events give at ``at``. With steps in time order (``check_action_time``) it stays the outcome
    of the stage at any later ``now``, but for a UFLPA deemed exclusion, which no step records (the metrics count it
    from ``deemed_excluded_at``)."""
    return outcome(stage(ev, c, at))


def resolution_days(presented_at: datetime, resolved_at: datetime) -> int:
    """Whole calendar days from presentation to the first disposition (the metric's "days to resolution")."""
    return max(0, (resolved_at.date() - presented_at.date()).days)
