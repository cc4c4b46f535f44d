"""Forced-labor rules in pure code: R-FL-03 clocks (19 CFR 12.43(a) 3 months with month-end edges, 12.44(b) 60 days,
151.16 UFLPA), stages and allowed steps, the public list's parsing (R-FL-01), supplier matching, and R-FL-04
allegation content (12.42(b)-(d))."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from hub.domain import forced_labor as fl
from hub.domain import forced_labor_allegations as al
from hub.domain import forced_labor_orders as orders
from hub.domain.calendar import BusinessCalendar
from hub.errors import InvalidInput
from hub.services.forced_labor_orders import reference_records

CAL = BusinessCalendar()


def at(d: date, hour: int = 12) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


@pytest.mark.parametrize(("imported", "due"), [
    (date(2026, 1, 15), date(2026, 4, 15)),
    (date(2025, 11, 30), date(2026, 2, 28)),  # R-FL-03 / 12.43(a): no Feb 30 -> month's last day
    (date(2023, 11, 30), date(2024, 2, 29)),  # leap year
    (date(2026, 10, 31), date(2027, 1, 31)),  # across the year
    (date(2026, 5, 31), date(2026, 8, 31)),
    (date(2026, 3, 31), date(2026, 6, 30)),  # 30-day month
    (date(2026, 2, 28), date(2026, 5, 28)),  # the same day, not "end of month"
])
def test_r_fl_03_proof_due_three_calendar_months(imported: date, due: date) -> None:
    assert fl.proof_due_on(imported) == due


def test_r_fl_03_window_lapses_the_day_after_the_due_date() -> None:
    ev = fl.Events(fl.Authority.WRO, date(2025, 11, 30), at(date(2025, 12, 1)))
    c = fl.clocks(ev, CAL)
    assert c.proof_due_on == date(2026, 2, 28) and c.window_ends_on == date(2026, 2, 28)
    assert fl.stage(ev, c, datetime(2026, 2, 28, 23, 59, tzinfo=UTC)) is fl.Stage.DETAINED
    assert fl.stage(ev, c, datetime(2026, 3, 1, 0, 0, tzinfo=UTC)) is fl.Stage.PROOF_WINDOW_LAPSED
    fl.submission_open(ev, c, datetime(2026, 2, 28, 23, 0, tzinfo=UTC))
    with pytest.raises(InvalidInput) as err:
        fl.submission_open(ev, c, datetime(2026, 3, 1, 0, 1, tzinfo=UTC))
    assert err.value.code == "SUBMISSION_AFTER_WINDOW"


def test_r_fl_03_exclusion_then_deemed_abandoned_after_60_days() -> None:
    noticed = at(date(2026, 5, 1))
    ev = fl.Events(fl.Authority.WRO, date(2026, 1, 10), at(date(2026, 1, 12)), exclusion_noticed_at=noticed)
    c = fl.clocks(ev, CAL)
    assert c.abandoned_at == noticed + timedelta(days=60)  # 12.44(b)
    assert fl.stage(ev, c, noticed + timedelta(days=60, seconds=-1)) is fl.Stage.EXCLUDED
    assert fl.stage(ev, c, noticed + timedelta(days=60)) is fl.Stage.DEEMED_ABANDONED
    assert fl.outcome(fl.Stage.DEEMED_ABANDONED) is fl.Outcome.EXCLUDED


@pytest.mark.parametrize("field", ["exported_at", "protested_at"])
def test_r_fl_03_export_or_protest_within_60_days_prevents_abandonment(field: str) -> None:
    noticed = at(date(2026, 5, 1))
    base = dict(authority=fl.Authority.WRO, imported_on=date(2026, 1, 10), presented_at=at(date(2026, 1, 12)),
                exclusion_noticed_at=noticed)
    ev = fl.Events(**base, **{field: noticed + timedelta(days=59)})  # type: ignore[arg-type]
    c = fl.clocks(ev, CAL)
    expected = fl.Stage.EXPORTED if field == "exported_at" else fl.Stage.PROTESTED
    assert fl.stage(ev, c, noticed + timedelta(days=90)) is expected
    late = fl.Events(**base, **{field: noticed + timedelta(days=61)})  # type: ignore[arg-type]
    assert fl.stage(late, fl.clocks(late, CAL), noticed + timedelta(days=90)) is fl.Stage.DEEMED_ABANDONED


def test_r_fl_03_uflpa_runs_on_the_151_16_clock() -> None:
    presented = at(date(2026, 11, 20))  # a Friday; Thanksgiving was Nov 26, 2026
    ev = fl.Events(fl.Authority.UFLPA, date(2026, 11, 19), presented)
    c = fl.clocks(ev, CAL)
    assert c.proof_due_on is None
    assert c.uflpa_decision_due_on == date(2026, 11, 30)  # 5 business days: 23, 24, 25, 27, 30
    assert c.uflpa_deemed_excluded_at == presented + timedelta(days=30)
    assert fl.stage(ev, c, presented + timedelta(days=29)) is fl.Stage.DETAINED
    assert fl.stage(ev, c, presented + timedelta(days=30)) is fl.Stage.DEEMED_EXCLUDED


def step_code(ev: fl.Events, action: fl.Action, when: datetime, proof_insufficient: bool = False) -> str | None:
    try:
        fl.check_action(ev, fl.clocks(ev, CAL), action, when, proof_insufficient)
    except InvalidInput as exc:
        return exc.code
    return None


def test_r_fl_03_allowed_steps() -> None:
    wro = fl.Events(fl.Authority.WRO, date(2026, 1, 10), at(date(2026, 1, 12)))
    finding = fl.Events(fl.Authority.FINDING, date(2026, 1, 10), at(date(2026, 1, 12)))
    now = at(date(2026, 4, 11))  # the proof window (due 2026-04-10) has ended: CBP must act (12.44(b))

    def code(ev: fl.Events, action: fl.Action) -> str | None:
        return step_code(ev, action, now)

    assert code(wro, fl.Action.EXCLUDE) is None and code(wro, fl.Action.EXPORT) is None
    assert code(wro, fl.Action.SEIZE) == "INVALID_TRANSITION"  # 12.44(c): seizure follows a Finding
    assert code(finding, fl.Action.SEIZE) is None
    assert code(finding, fl.Action.EXCLUDE) == "INVALID_TRANSITION"
    assert code(wro, fl.Action.PROTEST) == "INVALID_TRANSITION"  # nothing to protest before an exclusion
    seized = fl.Events(fl.Authority.FINDING, date(2026, 1, 10), at(date(2026, 1, 12)), seized_at=at(date(2026, 4, 11)))
    assert code(seized, fl.Action.EXPORT) == "INVALID_TRANSITION"  # 12.44(a): export only before seizure


@pytest.mark.parametrize(("authority", "action"), [(fl.Authority.WRO, fl.Action.EXCLUDE),
                                                   (fl.Authority.FINDING, fl.Action.SEIZE)])
def test_r_fl_03_no_exclusion_or_seizure_while_the_proof_window_is_open(authority: fl.Authority,
                                                                        action: fl.Action) -> None:
    """19 CFR 12.44(b)-(c): exclusion (WRO) or seizure (Finding) only once the 3 months of 12.43(a) are over, or
    earlier when the importer's submitted proof was decided insufficient."""
    ev = fl.Events(authority, date(2026, 1, 10), at(date(2026, 1, 12)))
    assert step_code(ev, action, at(date(2026, 2, 1))) == "PROOF_WINDOW_OPEN"  # day 22 (was allowed)
    assert step_code(ev, action, datetime(2026, 4, 10, 23, 59, tzinfo=UTC)) == "PROOF_WINDOW_OPEN"  # the last day
    assert step_code(ev, action, datetime(2026, 4, 11, 0, 0, tzinfo=UTC)) is None  # the window has ended
    # Release and export stay open throughout the window (12.43(b), 12.44(a)).
    assert step_code(ev, fl.Action.RELEASE, at(date(2026, 2, 1))) is None
    assert step_code(ev, fl.Action.EXPORT, at(date(2026, 2, 1))) is None
    # CBP's decision that proof is insufficient needs proof submitted by then.
    assert step_code(ev, action, at(date(2026, 2, 1)), proof_insufficient=True) == "NO_PROOF_SUBMITTED"
    later = fl.Events(authority, date(2026, 1, 10), at(date(2026, 1, 12)), proof_submitted_at=at(date(2026, 2, 2)))
    assert step_code(later, action, at(date(2026, 2, 1)), proof_insufficient=True) == "NO_PROOF_SUBMITTED"
    proved = fl.Events(authority, date(2026, 1, 10), at(date(2026, 1, 12)), proof_submitted_at=at(date(2026, 1, 25)))
    assert step_code(proved, action, at(date(2026, 2, 1))) == "PROOF_WINDOW_OPEN"  # submitted, but not decided
    assert step_code(proved, action, at(date(2026, 2, 1)), proof_insufficient=True) is None
    assert step_code(proved, fl.Action.RELEASE, at(date(2026, 2, 1)), proof_insufficient=True) == "INVALID_DECISION"


def test_r_fl_03_uflpa_detentions_keep_the_151_16_clock() -> None:
    """UFLPA: no 3-month proof window; CBP may exclude at any time (151.16), and no proof decision goes with it."""
    ev = fl.Events(fl.Authority.UFLPA, date(2026, 1, 10), at(date(2026, 1, 12)))
    assert step_code(ev, fl.Action.EXCLUDE, at(date(2026, 1, 14))) is None
    assert step_code(ev, fl.Action.EXCLUDE, at(date(2026, 1, 14)), proof_insufficient=True) == "INVALID_DECISION"
    assert step_code(ev, fl.Action.SEIZE, at(date(2026, 1, 14))) == "INVALID_TRANSITION"


def test_r_fl_03_steps_are_dated_in_order_and_not_in_the_future() -> None:
    presented, seized = at(date(2026, 1, 12)), at(date(2026, 4, 20))
    ev = fl.Events(fl.Authority.FINDING, date(2026, 1, 10), presented, seized_at=seized)
    now = at(date(2026, 5, 1))

    def code(when: datetime, events: fl.Events = ev) -> str | None:
        try:
            fl.check_action_time(events, when, now)
        except InvalidInput as exc:
            return exc.code
        return None

    # The audit's case: SEIZE, then a RELEASE dated 2 days before the seizure (the stage said SEIZED, the stored
    # outcome RELEASED).
    assert code(seized - timedelta(days=2)) == "ACTION_OUT_OF_ORDER"
    assert code(seized) is None and code(now) is None  # the same instant as the latest event is in order
    assert code(now + timedelta(seconds=1)) == "ACTION_IN_FUTURE"
    assert code(presented - timedelta(seconds=1)) == "ACTION_BEFORE_PRESENTATION"
    submitted = fl.Events(fl.Authority.WRO, date(2026, 1, 10), presented, proof_submitted_at=at(date(2026, 2, 1)))
    assert code(at(date(2026, 1, 30)), submitted) == "ACTION_OUT_OF_ORDER"  # not before the importer's submission
    assert submitted.latest() == at(date(2026, 2, 1)) and fl.Events(fl.Authority.WRO, date(2026, 1, 10),
                                                                    presented).latest() == presented


FIELD = {fl.Action.RELEASE: "released_at", fl.Action.EXCLUDE: "exclusion_noticed_at", fl.Action.SEIZE: "seized_at",
         fl.Action.EXPORT: "exported_at", fl.Action.PROTEST: "protested_at"}


@pytest.mark.parametrize("authority", list(fl.Authority))
def test_r_fl_03_recorded_outcome_always_equals_the_stage(authority: fl.Authority) -> None:
    """Every sequence of up to three allowed steps, at days where the clocks differ: the outcome stored after each
    step (recorded_outcome, what fl_detentions.outcome keeps) equals the outcome of the stage at any later instant,
    but for a UFLPA deemed exclusion (time-driven, counted from deemed_excluded_at)."""
    presented = at(date(2026, 1, 12))
    days = (1, 20, 40, 95, 130, 170)  # inside the UFLPA 30 days / proof window, after them, past 60 days after both
    checked = 0

    def walk(ev: fl.Events, after: int, depth: int) -> None:
        nonlocal checked
        for day in (d for d in days if d >= after):
            when = presented + timedelta(days=day)
            for action in fl.Action:
                for insufficient in (False, True):
                    if step_code(ev, action, when, insufficient) is not None:
                        continue
                    new = replace(ev, **{FIELD[action]: when})
                    c = fl.clocks(new, CAL)
                    stored = fl.recorded_outcome(new, c, when)
                    assert stored is not None
                    for later in (0, 1, 29, 31, 61, 400):
                        now = when + timedelta(days=later)
                        assert fl.outcome(fl.stage(new, c, now)) is stored, (new, now)
                    checked += 1
                    if depth > 1:
                        walk(new, day, depth - 1)

    proof = presented + timedelta(days=10)
    walk(fl.Events(authority, date(2026, 1, 10), presented, proof_submitted_at=proof), 10, 3)
    walk(fl.Events(authority, date(2026, 1, 10), presented), 0, 3)
    assert checked >= 20


def test_r_fl_01_reference_list_parses_with_status_history_and_flags() -> None:
    records = reference_records()
    assert len(records) == 69
    by_status = {s: [r for r in records if r.status is s] for s in orders.OrderStatus}
    revoked = by_status[orders.OrderStatus.REVOKED]
    assert [r.scope for r in revoked] == ["WRP Asia Pacific Sdn. Bhd. (disposable rubber gloves)"]
    assert revoked[0].history[-1] == orders.StatusChange(orders.OrderStatus.REVOKED, date(2020, 3, 23), "Revoked")
    brightway = next(r for r in records if r.scope.startswith("Brightway"))
    assert brightway.status is orders.OrderStatus.MODIFIED and brightway.history[-1].effective_on == date(2024, 10, 11)
    # S-WRO-1 known problems stay as they are and are flagged: the Top Glove 2021 date, stale Supermax, merged Da Wang.
    top_glove = next(r for r in records if r.scope == "Top Glove Corporation Bhd")
    assert top_glove.effective_on == date(2021, 7, 15) and top_glove.data_quality_flag
    assert sum(r.data_quality_flag for r in records) >= 3
    fgv = next(r for r in records if r.scope.startswith("FGV"))
    assert (fgv.effective_on, fgv.date_precision, fgv.status_verified) == (date(2020, 9, 1), "month", False)
    assert len({r.key for r in records}) == len(records)
    turkmen = next(r for r in records if r.country == "Turkmenistan")
    assert turkmen.entity is None and turkmen.merchandise == turkmen.scope


def test_bad_wro_file_is_refused_with_a_code() -> None:
    with pytest.raises(InvalidInput) as err:
        orders.parse_csv("a,b\n1,2\n")
    assert err.value.code == "INVALID_WRO_FILE"
    header = ",".join(orders.COLUMNS)
    with pytest.raises(InvalidInput) as err:
        orders.parse_csv(f"{header}\n2020-01-01,day,X,Y,Z,Decree,Active,,S\n")
    assert err.value.code == "INVALID_WRO_ROW"


@pytest.mark.parametrize(("supplier", "listed", "match"), [
    ("Hoshine Silicon Industry Co., Ltd.", "Hoshine Silicon Industry Co., Ltd.", True),
    ("HOSHINE SILICON INDUSTRY CO LTD", "Hoshine Silicon Industry Co., Ltd.", True),
    ("Hoshine Silicon", "Hoshine Silicon Industry Co., Ltd.", True),
    ("Silicon", "Hoshine Silicon Industry Co., Ltd.", False),  # one word is not enough
    ("Shenyang Dabei Prison", "Shenyang Xinsheng Rubber Factory, a/k/a Shenyang Dabei Prison", True),  # an alias
    ("Acme Silicon Works", "Hoshine Silicon Industry Co., Ltd.", False),
])
def test_supplier_name_matching(supplier: str, listed: str, match: bool) -> None:
    name = orders.normalize_name(supplier)
    assert any(orders.names_match(name, n) for n in orders.entity_names(listed)) is match


def content(**overrides: object) -> al.AllegationContent:
    base: dict[str, object] = dict(reasons="Workers' passports are held and wages withheld for months.",
                                   description="Hand-knotted wool carpets, 2.5 x 3.5 m.", sample_provided=False,
                                   production_facts="Three villages' looms; recruiter fees repaid through labor.",
                                   merchandise="Carpets", country="Nepal")
    base.update(overrides)
    return al.AllegationContent(**base)  # type: ignore[arg-type]


def test_r_fl_04_required_content_and_written_deficiencies() -> None:
    assert al.deficiencies(content()) == []
    assert al.deficiencies(content(description="", sample_provided=True)) == []  # a sample replaces a description
    found = al.deficiencies(content(reasons="", description="", production_facts="short"))
    assert [d.code for d in found] == ["MISSING_REASONS", "MISSING_DESCRIPTION_OR_SAMPLE", "MISSING_PRODUCTION_FACTS"]
    letter = al.deficiency_letter(found, at(date(2026, 3, 2)))
    assert "12.42(d)" in letter and "production" in letter
    with pytest.raises(InvalidInput) as err:
        al.check_form(content(merchandise=" "))
    assert err.value.code == "ALLEGATION_MERCHANDISE_REQUIRED"


def test_r_fl_04_ten_day_forwarding_deadline() -> None:
    received = at(date(2026, 3, 2))
    assert al.forward_due_at(received) == received + timedelta(days=10)
    assert not al.forward_overdue(al.AllegationStatus.CONFORMING, received, received + timedelta(days=10))
    assert al.forward_overdue(al.AllegationStatus.CONFORMING, received, received + timedelta(days=10, seconds=1))
    assert not al.forward_overdue(al.AllegationStatus.FORWARDED, received, received + timedelta(days=30))
