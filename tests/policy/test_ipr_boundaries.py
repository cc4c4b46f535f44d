"""IPR detention disclosures at each time boundary, end to end: row + viewer ties + frozen now -> facts -> Cedar.

Each test builds a Detention row in memory as it stands at ``now`` (only the events that have happened by
then - CBP cannot record a step still to come), derives the facts with detention_view and asks the real
policies. Rule ids and CFR paragraphs follow FACTS §10.1 and policies/ipr.cedar.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from hub.db.ipr_tables import Detention
from hub.db.tables import Recordation
from hub.domain.calendar import BusinessCalendar
from hub.policy.detention_facts import ViewerTies, detention_view
from hub.policy.engine import DEFAULT_DENY, Decision, PolicyEngine, PrincipalFacts
from hub.policy.facts import poa_relations
from hub.runtime import POLICIES_DIR

ENGINE = PolicyEngine(POLICIES_DIR)
CAL = BusinessCalendar()
US = timedelta(microseconds=1)

T_PRES = datetime(2022, 6, 28, 14, tzinfo=UTC)
T_DET = datetime(2022, 6, 29, 14, tzinfo=UTC)
T_NOD = datetime(2022, 7, 1, 14, tzinfo=UTC)  # Fri: the importer's 7 business days end Wed 07-13 (FACTS §7)
DUE = datetime(2022, 7, 14, 3, 59, 59, 999_999, tzinfo=UTC)  # 2022-07-13 23:59:59.999999 EDT
T_SZ = datetime(2022, 7, 20, 14, tzinfo=UTC)

# CBP releases unredacted images (and tells the importer) the first instant the window has lapsed.
LIFECYCLE: dict[str, Any] = {"detained_at": T_DET, "notice_sent_at": T_NOD, "unredacted_released_at": DUE + US,
             "importer_disclosure_notice_at": DUE + US, "seized_at": T_SZ, "seizure_notice_at": T_SZ}
STAGES = [T_PRES, T_NOD, DUE, DUE + US, T_SZ, T_SZ + timedelta(days=40)]

OWNER_READS = ["ReadDetention", "ReadLimitedInfo", "ReadRedactedImages", "ReadUnredactedImages",
               "ReadPartyIdentities"]
TRADE_READS = [*OWNER_READS, "ReadImporterResponse", "ReadTimeline", "ReadAccessLog"]
ALL_READS = [*TRADE_READS, "ReadOverdue", "ReadEnforcementFlags"]

TMK_A, TMK_B = "TMK 22-00001", "TMK 22-00002"


def recordation(number: str, owner: str, *, status: str = "ACTIVE", expires_on: date | None = None,
                principal_register: bool = True) -> Recordation:
    return Recordation(number=number, owner_org_id=owner, mark="MARK", principal_register=principal_register,
                       status=status, effective_on=date(2020, 1, 1), expires_on=expires_on)


def detention(now: datetime, *, regime: str = "COUNTERFEIT_TRADEMARK", le_hold: bool = False,
              **events: Any) -> Detention:
    """The row as it stands at ``now``: events later than ``now`` have not been recorded yet."""
    recorded = {k: v for k, v in events.items() if not isinstance(v, datetime) or v <= now}
    if "finding_at" not in recorded:
        recorded.pop("finding", None)
    return Detention(
        id="det1", case_number="CASE-0001", regime=regime, track="STANDARD", conveyance="CARGO", port_code="2704",
        importer_org_id="importer", importer_name="Importer Co", importer_address="1 Dock St",
        manufacturer_name="Factory", manufacturer_address="Shenzhen", exporter_name="Exporter",
        exporter_address="Hong Kong", date_of_importation=date(2022, 6, 27), description="headphones",
        quantity=100, country_of_origin="CN", le_hold=le_hold, presented_at=T_PRES, created_at=T_PRES, **recorded)


def owner_ties(*recordations: Recordation, acknowledged: bool = True, org: str = "owner") -> ViewerTies:
    return ViewerTies(org, {}, {r.number: r for r in recordations}, frozenset({"det1"} if acknowledged else ()))


OWNER = owner_ties(recordation(TMK_A, "owner"))
OWNER_NO_TSA = owner_ties(recordation(TMK_A, "owner"), acknowledged=False)
IMPORTER = ViewerTies("importer", poa_relations("importer", [("broker", "importer")]), {}, frozenset())
POA_BROKER = ViewerTies("broker", poa_relations("broker", [("broker", "importer")]), {}, frozenset())
OTHER_BROKER = ViewerTies("broker2", poa_relations("broker2", [("broker2", "other-importer")]), {}, frozenset())
KINDS = {"owner": "IP_OWNER", "owner2": "IP_OWNER", "importer": "IMPORTER", "broker": "BROKER", "broker2": "BROKER",
         "surety": "SURETY", "pga": "PGA", "cbp": "CBP"}
ROLES = {"CBP": frozenset({"officer"}), "PGA": frozenset({"agency"})}


def decide(ties: ViewerTies, row: Detention, now: datetime, action: str, numbers: tuple[str, ...] = (TMK_A,),
           ) -> Decision:
    kind = KINDS[ties.org_id]
    view = detention_view(row, ties, numbers, now, CAL)
    return ENGINE.decide(PrincipalFacts(kind, ROLES.get(kind, frozenset({"trade"}))), action, "Detention",
                         view.subject.facts)


def allowed(ties: ViewerTies, row: Detention, now: datetime, actions: list[str] = TRADE_READS,
            numbers: tuple[str, ...] = (TMK_A,)) -> set[str]:
    return {a for a in actions if decide(ties, row, now, a, numbers).allowed}


# ------------------------------------------------------------- IP owner, counterfeit mark (§ 133.21) --------


def test_r_ipr_04_owner_sees_nothing_one_microsecond_before_presentation() -> None:
    # R-IPR-03/-04, § 133.21(b)(4)-(5): nothing before the goods are presented for examination.
    now = T_PRES - US
    assert allowed(OWNER, detention(now, limited_info_released_at=T_PRES), now) == set()
    assert decide(OWNER, detention(now), now, "ReadDetention").rule_ids == (DEFAULT_DENY,)


def test_r_ipr_04_owner_at_presentation_sees_case_and_redacted_images_only() -> None:
    # R-IPR-04, § 133.21(b)(5): redacted images any time after presentation; R-IPR-03 (b)(4) waits for a
    # CBP release or the notice; R-IPR-06 (b)(3) unredacted only after the 7-business-day process.
    row = detention(T_PRES, **LIFECYCLE)
    assert allowed(OWNER, row, T_PRES) == {"ReadDetention", "ReadRedactedImages"}
    assert decide(OWNER, row, T_PRES, "ReadRedactedImages").rule_ids == ("R-IPR-04",)
    assert decide(OWNER, row, T_PRES, "ReadLimitedInfo").rule_ids == (DEFAULT_DENY,)
    assert decide(OWNER, row, T_PRES, "ReadUnredactedImages").rule_ids == (DEFAULT_DENY,)


def test_r_ipr_03_owner_limited_info_at_the_instant_cbp_releases_it_at_presentation() -> None:
    # R-IPR-03, § 133.21(b)(4): from presentation, once CBP released it.
    row = detention(T_PRES, limited_info_released_at=T_PRES)
    assert decide(OWNER, row, T_PRES, "ReadLimitedInfo").rule_ids == ("R-IPR-03",)


def test_r_ipr_03_owner_limited_info_at_notice_of_detention_even_without_release() -> None:
    # R-IPR-03, § 133.21(b)(4): "in any case" no later than the notice of detention.
    assert not decide(OWNER, detention(T_NOD - US, **LIFECYCLE), T_NOD - US, "ReadLimitedInfo").allowed
    row = detention(T_NOD, **LIFECYCLE)
    assert allowed(OWNER, row, T_NOD) == {"ReadDetention", "ReadRedactedImages", "ReadLimitedInfo"}
    assert decide(OWNER, row, T_NOD, "ReadLimitedInfo").rule_ids == ("R-IPR-03",)


def test_r_ipr_06_owner_no_unredacted_at_the_response_due_instant() -> None:
    # R-IPR-05/-06, § 133.21(b)(2)(i)-(ii): the window is open through its last instant, so CBP cannot have
    # released yet (the release step refuses WINDOW_STILL_OPEN) and the owner, TSA notice acknowledged, waits.
    row = detention(DUE, **LIFECYCLE)
    assert row.unredacted_released_at is None
    assert allowed(OWNER, row, DUE) == {"ReadDetention", "ReadRedactedImages", "ReadLimitedInfo"}


def test_r_ipr_06_owner_unredacted_one_microsecond_after_due_with_release_tsa_and_importer_notice() -> None:
    # R-IPR-06, § 133.21(b)(2)(ii), (b)(3), (c)(1): lapsed without answer + CBP release + importer told + TSA.
    now = DUE + US
    row = detention(now, **LIFECYCLE)
    assert allowed(OWNER, row, now) == {"ReadDetention", "ReadRedactedImages", "ReadLimitedInfo",
                                        "ReadUnredactedImages"}
    assert decide(OWNER, row, now, "ReadUnredactedImages").rule_ids == ("R-IPR-06",)


def test_r_ipr_06_owner_no_unredacted_after_due_without_tsa_acknowledgement() -> None:
    # R-IPR-06, § 133.21(c)(1): the Trade Secrets Act limited-purpose notice must be acknowledged first.
    now = DUE + US
    assert not decide(OWNER_NO_TSA, detention(now, **LIFECYCLE), now, "ReadUnredactedImages").allowed


def test_r_ipr_06_owner_no_unredacted_when_window_lapsed_but_cbp_did_not_release() -> None:
    # FACTS §10 preamble, § 133.21(b)(2)(ii) "may": never a release on a timer alone.
    now = DUE + timedelta(days=2)
    assert not decide(OWNER, detention(now, detained_at=T_DET, notice_sent_at=T_NOD), now,
                      "ReadUnredactedImages").allowed


def test_r_ipr_06_owner_unredacted_after_cbp_finds_the_response_insufficient() -> None:
    # R-IPR-06, § 133.21(b)(2)(ii): an insufficient answer lets CBP proceed after the window.
    events: dict[str, Any] = {**LIFECYCLE, "importer_response_at": T_NOD + timedelta(days=1), "finding": "INSUFFICIENT",
              "finding_at": T_NOD + timedelta(days=2)}
    assert not decide(OWNER, detention(DUE, **events), DUE, "ReadUnredactedImages").allowed
    assert decide(OWNER, detention(DUE + US, **events), DUE + US, "ReadUnredactedImages").allowed


@pytest.mark.parametrize("now", [DUE, DUE + US, DUE + timedelta(days=3)])
def test_r_ipr_06_owner_never_unredacted_when_cbp_finds_the_goods_not_counterfeit(now: datetime) -> None:
    # R-IPR-06, § 133.21(b)(2)(i)(B): the importer showed the goods do not bear a counterfeit mark.
    events: dict[str, Any] = {"detained_at": T_DET, "notice_sent_at": T_NOD,
                              "importer_response_at": T_NOD + timedelta(days=1), "finding": "SUFFICIENT",
                              "finding_at": T_NOD + timedelta(days=2)}
    assert "ReadUnredactedImages" not in allowed(OWNER, detention(now, **events), now)


def test_r_ipr_06_owner_keeps_unredacted_after_a_late_importer_answer() -> None:
    # R-IPR-06, § 133.21(b)(2)(ii): only an answer "within the seven business day period" holds disclosure back;
    # one filed after the window (and before any finding) does not take back what CBP released.
    events: dict[str, Any] = {**LIFECYCLE, "importer_response_at": DUE + timedelta(hours=1)}
    now = DUE + timedelta(hours=2)
    assert decide(OWNER, detention(now, **events), now, "ReadUnredactedImages").rule_ids == ("R-IPR-06",)


def test_r_ipr_06_owner_loses_unredacted_once_cbp_finds_the_goods_not_counterfeit() -> None:
    # R-IPR-06 "If CBP recorded not_counterfeit -> never": even after an earlier (b)(3) release.
    events: dict[str, Any] = {**LIFECYCLE, "importer_response_at": DUE + timedelta(hours=1), "finding": "SUFFICIENT",
              "finding_at": DUE + timedelta(hours=2)}
    now = DUE + timedelta(hours=2)
    assert not decide(OWNER, detention(now, **events), now, "ReadUnredactedImages").allowed


def test_r_ipr_10_owner_no_party_identities_one_microsecond_before_seizure() -> None:
    # R-IPR-10, § 133.21(b)(4) vs (e): names/addresses from entry data never reach the owner before seizure.
    now = T_SZ - US
    decision = decide(OWNER, detention(now, **LIFECYCLE), now, "ReadPartyIdentities")
    assert not decision.allowed and "R-IPR-10" in decision.rule_ids


def test_r_ipr_09_owner_at_seizure_gets_party_identities_and_seized_goods_images() -> None:
    # R-IPR-09, § 133.21(e), (f): comprehensive information and images of the seized goods.
    row = detention(T_SZ, **LIFECYCLE)
    assert allowed(OWNER, row, T_SZ) == set(OWNER_READS)
    assert decide(OWNER, row, T_SZ, "ReadPartyIdentities").rule_ids == ("R-IPR-09",)
    # (f) images of seized goods do not depend on the pre-seizure (b)(3) conditions.
    assert decide(OWNER_NO_TSA, row, T_SZ, "ReadUnredactedImages").allowed


@pytest.mark.parametrize("now", STAGES)
def test_r_ipr_02_owner_sees_nothing_under_law_enforcement_hold_at_any_stage(now: datetime) -> None:
    # R-IPR-02, 19 U.S.C. 1628a(d): no owner disclosure of any kind while the hold is on.
    row = detention(now, le_hold=True, limited_info_released_at=T_PRES, **LIFECYCLE)
    assert allowed(OWNER, row, now) == set()
    for action in OWNER_READS:
        assert "R-IPR-02" in decide(OWNER, row, now, action).rule_ids


@pytest.mark.parametrize("now", STAGES)
def test_r_ipr_01_owner_of_an_expired_recordation_sees_nothing(now: datetime) -> None:
    # R-IPR-01, § 133.4, 19 U.S.C. 1628a(c): only an active recordation opens the case.
    ties = owner_ties(recordation(TMK_A, "owner", status="EXPIRED"))
    assert allowed(ties, detention(now, limited_info_released_at=T_PRES, **LIFECYCLE), now) == set()


def test_r_ipr_01_recordation_counts_through_its_expiry_day_and_not_after() -> None:
    # R-IPR-01, § 133.4: the recordation runs with the registration; the expiry day itself is included.
    today = T_PRES.date()
    on_the_day = owner_ties(recordation(TMK_A, "owner", expires_on=today))
    day_before = owner_ties(recordation(TMK_A, "owner", expires_on=today - timedelta(days=1)))
    row = detention(T_PRES)
    assert decide(on_the_day, row, T_PRES, "ReadDetention").allowed
    assert decide(day_before, row, T_PRES, "ReadDetention").rule_ids == (DEFAULT_DENY,)


def test_r_ipr_01_supplemental_register_mark_opens_nothing() -> None:
    # R-IPR-01, § 133.21(a), (b)(1): only Principal Register marks can be counterfeited/recorded (FACTS §2).
    ties = owner_ties(recordation(TMK_A, "owner", principal_register=False))
    assert allowed(ties, detention(T_SZ, **LIFECYCLE), T_SZ) == set()


def test_r_ipr_01_owner_of_another_recordation_sees_nothing() -> None:
    # R-IPR-01: owner of TMK B cannot see a case on TMK A, even after seizure.
    other = owner_ties(recordation(TMK_B, "owner2"), org="owner2")
    for now in STAGES:
        assert allowed(other, detention(now, **LIFECYCLE), now) == set()
    assert decide(other, detention(T_SZ, **LIFECYCLE), T_SZ, "ReadDetention").rule_ids == (DEFAULT_DENY,)


def test_r_ipr_01_one_active_named_recordation_is_enough() -> None:
    # R-IPR-01: a case naming two of the owner's recordations, one expired, one active.
    ties = owner_ties(recordation(TMK_A, "owner", status="EXPIRED"), recordation(TMK_B, "owner"))
    assert decide(ties, detention(T_PRES), T_PRES, "ReadDetention", (TMK_A, TMK_B)).allowed
    assert not decide(ties, detention(T_PRES), T_PRES, "ReadDetention", (TMK_A,)).allowed


def test_r_ipr_12_gray_market_owner_no_unredacted_before_seizure() -> None:
    # R-IPR-12, § 133.25: no unredacted-image regime, even with every R-IPR-06 condition met.
    now = DUE + US
    row = detention(now, regime="GRAY_MARKET", **LIFECYCLE)
    decision = decide(OWNER, row, now, "ReadUnredactedImages")
    assert not decision.allowed and "R-IPR-12" in decision.rule_ids
    assert decide(OWNER, detention(T_SZ, regime="GRAY_MARKET", **LIFECYCLE), T_SZ, "ReadUnredactedImages").allowed


def test_r_ipr_08_owner_never_reads_the_importers_response_timeline_or_access_log() -> None:
    for now in STAGES:
        assert allowed(OWNER, detention(now, **LIFECYCLE), now, ["ReadImporterResponse", "ReadTimeline",
                                                                 "ReadAccessLog"]) == set()


# -------------------------------------------------------------- importer and its broker (§ 133.21(d)) -----


@pytest.mark.parametrize("ties", [IMPORTER, POA_BROKER], ids=["importer", "poa-broker"])
def test_r_ipr_08_importer_and_poa_broker_see_everything_from_presentation(ties: ViewerTies) -> None:
    # R-IPR-08, § 133.21(d), 19 CFR 141.46: unredacted images from presentation with no other condition.
    assert allowed(ties, detention(T_PRES - US), T_PRES - US) == set()
    # ... but not CBP's own lists: overdue and enforcement flags (R-IPR-CBP, R-IPR-02 hold not revealed).
    assert allowed(ties, detention(T_PRES), T_PRES, ALL_READS) == set(TRADE_READS)
    assert decide(ties, detention(T_PRES), T_PRES, "ReadUnredactedImages").rule_ids == ("R-IPR-08",)
    assert allowed(ties, detention(T_SZ, le_hold=True, **LIFECYCLE), T_SZ) == set(TRADE_READS)


@pytest.mark.parametrize("ties", [
    OTHER_BROKER,
    ViewerTies("broker", poa_relations("broker", []), {}, frozenset()),  # its POA was revoked
], ids=["no-poa", "revoked-poa"])
def test_r_ipr_08_broker_without_power_of_attorney_sees_nothing(ties: ViewerTies) -> None:
    for now in STAGES:
        assert allowed(ties, detention(now, **LIFECYCLE), now) == set()


# ------------------------------------------------------------------------- surety, PGA, CBP ------------


@pytest.mark.parametrize("org", ["surety", "pga"])
@pytest.mark.parametrize("now", STAGES)
def test_r_ipr_14_surety_and_pga_see_nothing(org: str, now: datetime) -> None:
    # R-IPR-14: no basis in Part 133 - explicit forbid, even for an agency that owns the named recordation.
    ties = owner_ties(recordation(TMK_A, org), org=org)
    row = detention(now, limited_info_released_at=T_PRES, **LIFECYCLE)
    assert allowed(ties, row, now, ALL_READS) == set()
    for action in TRADE_READS:
        assert "R-IPR-14" in decide(ties, row, now, action).rule_ids


@pytest.mark.parametrize("now", [T_PRES - US, *STAGES])
def test_r_ipr_cbp_sees_everything_at_every_stage_even_under_hold(now: datetime) -> None:
    # CBP is the custodian of the detention file (FACTS §10.1 preamble).
    cbp = ViewerTies("cbp", {}, {}, frozenset())
    assert allowed(cbp, detention(now, le_hold=True, **LIFECYCLE), now, ALL_READS) == set(ALL_READS)
    assert decide(cbp, detention(now), now, "ReadUnredactedImages").rule_ids == ("R-IPR-CBP",)
