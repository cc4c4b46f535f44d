"""CBP bonds (19 CFR Part 113; FACTS §3, §10.2): amounts required, insufficiency clock, status.

Pure: money is ``Decimal`` end to end (a float is refused with TypeError, never converted), every clock takes
one ``now``, and every number a guide sets comes from hub/reference/bond_guides.json (hub.domain.bond_guides).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from hub.domain.bond_guides import Guide, GuideBook, Step
from hub.errors import InvalidInput

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
MAX_MONEY = Decimal("999999999999.99")  # Numeric(14, 2) in hub/db/bond_tables.py
# R-BOND-03 (FACTS §3 "Insufficiency letter practice"): the bond becomes insufficient 15 days after the
# letter unless a higher bond is filed first. Calendar days, counted to the instant like R-IPR-11.
INSUFFICIENCY_DAYS = 15


class BondType(enum.StrEnum):
    CONTINUOUS = "CONTINUOUS"
    SINGLE_TRANSACTION = "SINGLE_TRANSACTION"


class Purpose(enum.StrEnum):
    GENERAL = "GENERAL"
    IPR_SAMPLE = "IPR_SAMPLE"  # an IP owner's sample bond, § 113.70 conditions (R-IPR-07; § 133.21(b)(5))


class BondStatus(enum.StrEnum):
    PENDING = "PENDING"  # filed, not yet effective (e.g. a superseding bond dated ahead)
    ACTIVE = "ACTIVE"
    INSUFFICIENT = "INSUFFICIENT"
    TERMINATED = "TERMINATED"


class InsufficiencyReason(enum.StrEnum):
    # FACTS §3 "Insufficiency": the grounds CBP's notices cite.
    AMOUNT_BELOW_REQUIRED = "AMOUNT_BELOW_REQUIRED"
    UNPAID_DEBTS = "UNPAID_DEBTS"
    DEMAND_NOT_MET = "DEMAND_NOT_MET"
    INVALID_ADDRESS = "INVALID_ADDRESS"
    INVALID_IMPORTER_NUMBER = "INVALID_IMPORTER_NUMBER"
    MISSING_RIDER = "MISSING_RIDER"
    OTHER = "OTHER"


def _decimal(value: Decimal | int, name: str) -> Decimal:
    if isinstance(value, float):  # bool is an int: harmless; float is the one thing money must never be
        raise TypeError(f"{name} must be a Decimal, not float")
    return value if isinstance(value, Decimal) else Decimal(value)


def parse_money(text: str, name: str = "amount", *, positive: bool = False) -> Decimal:
    """A decimal string with at most 2 decimals, e.g. "1250.00". Codes: INVALID_AMOUNT, NEGATIVE_AMOUNT."""
    if not isinstance(text, str):
        raise TypeError(f"{name} is a decimal string")
    try:
        amount = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise InvalidInput(f"{name} is a decimal string, e.g. \"50000.00\"", code="INVALID_AMOUNT") from None
    if not amount.is_finite() or amount != amount.quantize(CENT) or abs(amount) > MAX_MONEY:
        raise InvalidInput(f"{name}: at most 2 decimals and {MAX_MONEY}", code="INVALID_AMOUNT")
    if amount < 0 or (positive and amount == 0):
        raise InvalidInput(f"{name} must be {'positive' if positive else 'zero or more'}", code="NEGATIVE_AMOUNT")
    return amount.quantize(CENT)


def parse_rate_percent(text: str) -> Decimal:
    """An AD/CVD rate in percent (Commerce publishes e.g. "25.62"); rates above 100% exist."""
    try:
        rate = Decimal(text.strip().rstrip("%"))
    except InvalidOperation:
        raise InvalidInput("the AD/CVD rate is a percentage string, e.g. \"40\"", code="INVALID_RATE") from None
    if not rate.is_finite() or rate < 0 or rate > Decimal("9999.9999") or rate != rate.quantize(Decimal("0.0001")):
        raise InvalidInput("the AD/CVD rate is 0-9999.9999 percent", code="INVALID_RATE")
    return rate


def validate_bond_number(text: str, book: GuideBook) -> str:
    """The Hub's bond-number format (FACTS gives none): the pattern in bond_guides.json, INVALID_BOND_NUMBER."""
    number = text.strip().upper()
    if not book.bond_number_pattern.fullmatch(number):
        raise InvalidInput(f"bond numbers match {book.bond_number_pattern.pattern} (e.g. {book.bond_number_example})",
                           code="INVALID_BOND_NUMBER")
    return number


def validate_activity_code(text: str, book: GuideBook) -> str:
    code = text.strip().lower()
    if code not in book.activity_codes:
        raise InvalidInput(f"activity codes (CBP Form 301) are {sorted(book.activity_codes)}",
                           code="INVALID_ACTIVITY_CODE")
    return code


# ------------------------------------------------------------------------------------ amounts required --

def round_up(amount: Decimal, steps: Iterable[Step]) -> Decimal:
    """R-BOND-02 rounding: to the next $10,000 while <= $100,000, else to the next $100,000 (steps from data).

    An exact multiple stays (FACTS §3 examples: DTF <= $500k -> $50k).
    """
    amount = _decimal(amount, "amount")
    for step in steps:
        if step.up_to is None or amount <= step.up_to:
            return (amount / step.step).to_integral_value(rounding=ROUND_CEILING) * step.step
    raise ValueError("rounding steps must end with an unbounded step")


def adcvd_supplement(rate_percent: Decimal, subject_value: Decimal) -> Decimal:
    """R-BOND-05 / FACTS §3 (July 9, 2004 amendment to 3510-004): AD/CVD rate x value of subject imports
    in the prior period, e.g. $1M x 40% -> +$400k. Rounded up to the cent: never under-secure."""
    value = _decimal(subject_value, "subject_value") * _decimal(rate_percent, "rate_percent") / HUNDRED
    return value.quantize(CENT, rounding=ROUND_CEILING)


@dataclass(frozen=True)
class Requirement:
    """An amount CBP requires, with the rule and the inputs that produced it (what the sufficiency query shows)."""

    required: Decimal | None  # None: no guide sets an amount for this bond (CBP sets it case by case)
    rule_id: str
    basis: str
    guide_id: str | None
    inputs: tuple[tuple[str, str], ...] = field(default=())


def continuous_required(
    guide: Guide, activity_code: str, dtf_last_12_months: Decimal | None, *, sites: int = 1,
    adcvd_rate_percent: Decimal | None = None, adcvd_subject_value: Decimal | None = None,
) -> Requirement:
    """R-BOND-02: required = max(minimum, roundup(10% x DTF of the previous 12 months [+ AD/CVD supplement]))."""
    rule = guide.activity.get(activity_code)
    if rule is None:
        return Requirement(None, "R-BOND-02", f"{guide.id} sets no amount for activity code {activity_code}", guide.id,
                           (("activityCode", activity_code),))
    inputs: list[tuple[str, str]] = [("activityCode", activity_code), ("minimum", str(rule.minimum))]
    minimum = rule.minimum * (sites if rule.per_site else 1)
    if rule.per_site:
        inputs.append(("sites", str(sites)))
    raw = Decimal(0)
    if rule.dtf_percent is not None:
        # No DTF history yet (a new importer): the minimum applies.
        dtf = _decimal(dtf_last_12_months if dtf_last_12_months is not None else Decimal(0), "dtf")
        raw = dtf * rule.dtf_percent / HUNDRED
        inputs += [("dtfLast12Months", str(dtf) if dtf_last_12_months is not None else "NONE"),
                   ("dtfPercent", str(rule.dtf_percent)), ("dtfPeriod", guide.dtf_period)]
    if adcvd_rate_percent is not None and adcvd_subject_value is not None:
        # Design choice (FACTS gives none): the supplement joins the raw amount before rounding, so the
        # total is itself a valid step amount.
        supplement = adcvd_supplement(adcvd_rate_percent, adcvd_subject_value)
        raw += supplement
        inputs += [("adcvdRatePercent", str(adcvd_rate_percent)), ("adcvdSubjectValue", str(adcvd_subject_value)),
                   ("adcvdSupplement", str(supplement))]
    rounded = round_up(raw, guide.rounding) if guide.rounds(activity_code) else raw.quantize(CENT, ROUND_CEILING)
    required = max(minimum, rounded)
    inputs.append(("rawAmount", str(raw)))
    basis = (f"max({minimum}, roundup({raw}))" if guide.rounds(activity_code) else f"max({minimum}, {raw})")
    return Requirement(required.quantize(CENT), "R-BOND-02", basis, guide.id, tuple(inputs))


def single_transaction_required(
    guide: Guide, entered_value: Decimal, dtf: Decimal, pga_regulated: bool, *,
    adcvd_rate_percent: Decimal | None = None, adcvd_subject_value: Decimal | None = None,
) -> Requirement:
    """R-BOND-04: >= entered value + DTF; >= multiplier x entered value for PGA-regulated or restricted goods.

    Both floors hold at once (each source says "not less than"), so the larger one applies. Where the bond
    secures AD/CVD instead of a cash deposit (R-BOND-05; FACTS §3: "usually" a single entry bond), the AD/CVD
    supplement (rate x value of the subject goods) is added on top: neither floor covers AD/CVD duties.
    """
    value, duties = _decimal(entered_value, "entered_value"), _decimal(dtf, "dtf")
    required = value + duties
    inputs = [("enteredValue", str(value)), ("transactionDtf", str(duties)), ("pgaRegulated", str(pga_regulated))]
    basis = "entered value + DTF"
    if pga_regulated:
        multiple = guide.pga_value_multiplier * value
        inputs.append(("pgaValueMultiplier", str(guide.pga_value_multiplier)))
        if multiple > required:
            required, basis = multiple, f"{guide.pga_value_multiplier} x entered value (PGA-regulated)"
    if adcvd_rate_percent is not None and adcvd_subject_value is not None:
        supplement = adcvd_supplement(adcvd_rate_percent, adcvd_subject_value)
        required += supplement
        basis += " + AD/CVD supplement"
        inputs += [("adcvdRatePercent", str(adcvd_rate_percent)), ("adcvdSubjectValue", str(adcvd_subject_value)),
                   ("adcvdSupplement", str(supplement))]
    return Requirement(required.quantize(CENT, ROUND_CEILING), "R-BOND-04", basis, guide.id, tuple(inputs))


def shortfall(amount: Decimal, required: Decimal | None) -> Decimal | None:
    if required is None:
        return None
    return max(Decimal("0.00"), _decimal(required, "required") - _decimal(amount, "amount")).quantize(CENT)


# ------------------------------------------------------------------------- insufficiency clock, status --

@dataclass(frozen=True)
class Notice:
    noticed_at: datetime
    superseded_at: datetime | None = None


def insufficient_at(notice: Notice) -> datetime:
    """R-BOND-03: notice + 15 days."""
    return notice.noticed_at + timedelta(days=INSUFFICIENCY_DAYS)


def takes_effect(notice: Notice) -> bool:
    """A superseding bond filed strictly before the 15 days end stops the notice; at or after, it is too late."""
    return notice.superseded_at is None or notice.superseded_at >= insufficient_at(notice)


def insufficient_from(notices: Iterable[Notice]) -> datetime | None:
    """The earliest instant one of the notices renders the bond insufficient (None: none will)."""
    instants = [insufficient_at(n) for n in notices if takes_effect(n)]
    return min(instants) if instants else None


def status(effective_on: date, terminates_on: date | None, notices: Iterable[Notice], now: datetime) -> BondStatus:
    """Terminated from its termination date; insufficient from notice + 15 days (R-BOND-03); pending before
    its effective date. Dates are UTC calendar days; the bond covers [effective_on, terminates_on)."""
    today = now.date()
    if terminates_on is not None and today >= terminates_on:
        return BondStatus.TERMINATED
    start = insufficient_from(notices)
    if start is not None and now >= start:
        return BondStatus.INSUFFICIENT
    if today < effective_on:
        return BondStatus.PENDING
    return BondStatus.ACTIVE


def overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """Half-open ranges [start, end); None = open-ended."""
    return (b_end is None or a_start < b_end) and (a_end is None or b_start < a_end)


def twelve_months_before(today: date) -> date:
    """The start of "the previous 12 months" (R-BOND-02): the same day a year back (29 Feb -> 28 Feb)."""
    try:
        return today.replace(year=today.year - 1)
    except ValueError:
        return today.replace(year=today.year - 1, day=28)
