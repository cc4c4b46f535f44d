"""Bond amounts and clocks (hub/domain/bonds.py): FACTS R-BOND-02's table, rounding edges, the guides as
data, single transaction minimums (R-BOND-04), the AD/CVD supplement (R-BOND-05), and R-BOND-03's clock."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from hub.domain import bonds as domain
from hub.domain.bond_guides import guide_book, parse_guide_book
from hub.domain.reference import read_bytes
from hub.errors import ConfigurationError, InvalidInput

D = Decimal
BOOK = guide_book()
GUIDE_2024 = BOOK.guide_for(date(2026, 1, 5))
GUIDE_1991 = BOOK.guide_for(date(2000, 1, 1))
US = timedelta(microseconds=1)


@pytest.mark.parametrize(("dtf", "required"), [
    # FACTS §10.2 R-BOND-02, verbatim.
    ("400000", "50000"), ("550000", "60000"), ("1500000", "200000"), ("4200000", "500000"),
    ("999999", "100000"), ("1000001", "200000"),
    # The worked ranges of FACTS §3: <= $500k -> $50k; $500k-$600k -> $60k; $1M-$2M -> $200k; $4M-$5M -> $500k.
    ("0", "50000"), ("500000", "50000"), ("500000.01", "60000"), ("600000", "60000"), ("1000000", "100000"),
    ("2000000", "200000"), ("4000000.01", "500000"), ("5000000", "500000"),
])
def test_r_bond_02_activity_1_table(dtf: str, required: str) -> None:
    assert domain.continuous_required(GUIDE_2024, "1", D(dtf)).required == D(required)


@pytest.mark.parametrize(("raw", "rounded"), [
    ("100000", "100000"),  # exactly $100,000: still the $10,000 band, and a multiple stays
    ("100000.01", "200000"),  # one cent over: the $100,000 band
    ("99999.99", "100000"), ("90000", "90000"), ("90000.01", "100000"), ("10000", "10000"), ("0.01", "10000"),
    ("200000", "200000"), ("200000.01", "300000"), ("0", "0"),
])
def test_rounding_edges(raw: str, rounded: str) -> None:
    assert domain.round_up(D(raw), GUIDE_2024.rounding) == D(rounded)


def test_rounding_edges_through_dtf() -> None:
    # 10% of DTF lands exactly on $100,000 / one cent above it.
    assert domain.continuous_required(GUIDE_2024, "1", D("1000000.00")).required == D("100000")
    assert domain.continuous_required(GUIDE_2024, "1", D("1000000.10")).required == D("200000")


def test_money_is_decimal_end_to_end() -> None:
    with pytest.raises(TypeError):
        domain.continuous_required(GUIDE_2024, "1", 1500000.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        domain.round_up(100000.01, GUIDE_2024.rounding)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        domain.parse_money(5.0)  # type: ignore[arg-type]
    result = domain.continuous_required(GUIDE_2024, "1", D("1234567.89"))
    assert isinstance(result.required, Decimal)
    assert dict(result.inputs)["rawAmount"] == "123456.789"  # exact: no binary fraction anywhere


def test_the_guides_differ_only_in_data() -> None:
    # 2024 guide: C3 minimum $25,000 -> $50,000; every continuous bond rounded; C4 per activated site.
    assert GUIDE_1991.id == "CBP-DIR-3510-004-1991" and GUIDE_2024.id == "CBP-GUIDE-2024"
    assert domain.continuous_required(GUIDE_1991, "3", None).required == D("25000")
    assert domain.continuous_required(GUIDE_2024, "3", None).required == D("50000")
    assert domain.continuous_required(GUIDE_2024, "4", None, sites=3).required == D("150000")
    assert domain.continuous_required(GUIDE_2024, "2", None).required is None  # no guide value: CBP decides
    assert BOOK.guide_for(date(2024, 2, 11)).id == GUIDE_1991.id
    assert BOOK.guide_for(date(2024, 2, 12)).id == GUIDE_2024.id
    with pytest.raises(InvalidInput) as err:
        BOOK.guide_for(date(1990, 1, 1))
    assert err.value.code == "NO_BOND_GUIDE"


def test_a_new_guide_is_a_data_change() -> None:
    raw = json.loads(read_bytes("bond_guides.json"))
    new = dict(raw["guides"][-1], id="CBP-GUIDE-2030", effective_from="2030-01-01",
               activity={"1": {"minimum": "75000", "dtf_percent": "12.5"}})
    book = parse_guide_book(json.dumps(dict(raw, guides=[*raw["guides"], new])).encode())
    guide = book.guide_for(date(2030, 6, 1))
    assert guide.id == "CBP-GUIDE-2030"
    assert domain.continuous_required(guide, "1", D("1000000")).required == D("200000")  # 125,000 -> 200,000
    assert domain.continuous_required(guide, "1", D("100000")).required == D("75000")
    assert book.guide_for(date(2029, 12, 31)).id == "CBP-GUIDE-2024"


def test_malformed_guides_refuse_to_load() -> None:
    raw = json.loads(read_bytes("bond_guides.json"))
    raw["guides"][0]["activity"]["1"]["minimum"] = 50000  # a JSON number would pass through float
    with pytest.raises(ConfigurationError):
        parse_guide_book(json.dumps(raw).encode())


@pytest.mark.parametrize(("value", "dtf", "pga", "required"), [
    ("10000.00", "500.00", False, "10500.00"),  # R-BOND-04: entered value + DTF
    ("10000.00", "500.00", True, "30000.00"),  # 3 x entered value for PGA-regulated goods
    ("10000.00", "25000.00", True, "35000.00"),  # both floors hold: value + DTF when it is higher
    ("0.00", "0.00", False, "0.00"),
])
def test_r_bond_04_single_transaction(value: str, dtf: str, pga: bool, required: str) -> None:
    assert domain.single_transaction_required(GUIDE_2024, D(value), D(dtf), pga).required == D(required)


def test_r_bond_04_multiplier_is_configurable() -> None:
    raw = json.loads(read_bytes("bond_guides.json"))
    raw["guides"][-1]["single_transaction"]["pga_value_multiplier"] = "2.5"
    guide = parse_guide_book(json.dumps(raw).encode()).guide_for(date(2026, 1, 1))
    assert domain.single_transaction_required(guide, D("1000"), D("0"), True).required == D("2500.00")


def test_r_bond_05_adcvd_supplement() -> None:
    # FACTS §3 example: $1M x 40% -> +$400k; joins the raw amount before rounding.
    assert domain.adcvd_supplement(D("40"), D("1000000")) == D("400000.00")
    req = domain.continuous_required(GUIDE_2024, "1", D("550000"), adcvd_rate_percent=D("40"),
                                     adcvd_subject_value=D("1000000"))
    assert req.required == D("500000") and dict(req.inputs)["adcvdSupplement"] == "400000.00"
    assert domain.adcvd_supplement(D("0.0001"), D("1.00")) == D("0.01")  # rounded up, never under-secured


@pytest.mark.parametrize(("text", "code"), [
    ("abc", "INVALID_AMOUNT"), ("", "INVALID_AMOUNT"), ("NaN", "INVALID_AMOUNT"), ("Infinity", "INVALID_AMOUNT"),
    ("1.005", "INVALID_AMOUNT"), ("1e20", "INVALID_AMOUNT"), ("-0.01", "NEGATIVE_AMOUNT"),
    ("-50000", "NEGATIVE_AMOUNT"),
])
def test_bad_amounts(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        domain.parse_money(text)
    assert err.value.code == code


def test_amounts_parse_exactly() -> None:
    assert domain.parse_money("50,000.5") == D("50000.50")
    with pytest.raises(InvalidInput) as err:
        domain.parse_money("0", positive=True)
    assert err.value.code == "NEGATIVE_AMOUNT"


@pytest.mark.parametrize("number", ["457100001", "SB0000421", " 457c10001 "])
def test_bond_number_format(number: str) -> None:
    assert domain.validate_bond_number(number, BOOK) == number.strip().upper()


@pytest.mark.parametrize("number", ["45710000", "4571000012", "457-10001", "457 10001", "", "ÄÖÜ100001"])
def test_bond_number_wrong_format(number: str) -> None:
    with pytest.raises(InvalidInput) as err:
        domain.validate_bond_number(number, BOOK)
    assert err.value.code == "INVALID_BOND_NUMBER"


NOTICE = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
DUE = NOTICE + timedelta(days=15)
START = date(2025, 6, 1)


@pytest.mark.parametrize(("now", "superseded_at", "expected"), [
    (NOTICE, None, domain.BondStatus.ACTIVE),  # the notice itself changes nothing yet
    (DUE - US, None, domain.BondStatus.ACTIVE),
    (DUE, None, domain.BondStatus.INSUFFICIENT),  # R-BOND-03: notice + 15 days, to the instant
    (DUE + timedelta(days=400), None, domain.BondStatus.INSUFFICIENT),
    (DUE, DUE - US, domain.BondStatus.ACTIVE),  # superseded within the 15 days: never insufficient
    (DUE + timedelta(days=1), NOTICE, domain.BondStatus.ACTIVE),
    (DUE, DUE, domain.BondStatus.INSUFFICIENT),  # superseded at the due instant: too late
])
def test_r_bond_03_insufficiency_clock(now: datetime, superseded_at: datetime | None,
                                       expected: domain.BondStatus) -> None:
    notice = domain.Notice(NOTICE, superseded_at)
    assert domain.insufficient_at(notice) == DUE
    assert domain.status(START, None, [notice], now) is expected


def test_status_dates() -> None:
    now = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert domain.status(date(2026, 3, 2), None, [], now) is domain.BondStatus.PENDING
    assert domain.status(date(2026, 3, 1), None, [], now) is domain.BondStatus.ACTIVE
    assert domain.status(START, date(2026, 3, 2), [], now) is domain.BondStatus.ACTIVE
    assert domain.status(START, date(2026, 3, 1), [], now) is domain.BondStatus.TERMINATED  # [effective, end)
    # A terminated bond stays terminated, insufficient or not.
    assert domain.status(START, date(2026, 3, 1), [domain.Notice(now - timedelta(days=30))], now) \
        is domain.BondStatus.TERMINATED


def test_earliest_effective_notice_counts() -> None:
    first, second = domain.Notice(NOTICE, NOTICE + timedelta(days=1)), domain.Notice(NOTICE + timedelta(days=3))
    assert domain.insufficient_from([first, second]) == NOTICE + timedelta(days=18)
    assert domain.insufficient_from([first]) is None


def test_overlaps_and_twelve_months() -> None:
    assert domain.overlaps(date(2026, 1, 1), None, date(2025, 1, 1), date(2026, 1, 2))
    assert not domain.overlaps(date(2026, 1, 1), None, date(2025, 1, 1), date(2026, 1, 1))  # back to back
    assert not domain.overlaps(date(2025, 1, 1), date(2025, 6, 1), date(2025, 6, 1), None)
    assert domain.twelve_months_before(date(2024, 2, 29)) == date(2023, 2, 28)
    assert domain.twelve_months_before(date(2026, 1, 5)) == date(2025, 1, 5)


def test_r_bond_04_05_single_transaction_adds_the_adcvd_supplement() -> None:
    # value + DTF = 10,500; PGA 3 x value = 30,000 is the floor; + 25.5% x 8,000 = 2,040 of AD/CVD subject goods.
    plain = domain.single_transaction_required(GUIDE_2024, D("10000"), D("500"), False,
                                               adcvd_rate_percent=D("25.5"), adcvd_subject_value=D("8000"))
    pga = domain.single_transaction_required(GUIDE_2024, D("10000"), D("500"), True,
                                             adcvd_rate_percent=D("25.5"), adcvd_subject_value=D("8000"))
    assert (plain.required, pga.required) == (D("12540.00"), D("32040.00"))
    assert dict(plain.inputs)["adcvdSupplement"] == "2040.00" and plain.basis.endswith("AD/CVD supplement")
