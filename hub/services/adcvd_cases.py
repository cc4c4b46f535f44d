"""Loading AD/CVD orders as reference data: ``hub import adcvd-orders FILE`` and the demo (FACTS §4).

Idempotent: a case is keyed by its number, a second load of the same file changes nothing, and a corrected
file updates the rows it changed. Rows the source got wrong stay as the source has them, with its
``data_quality_note`` (SOURCES.md S-ADCVD-1); a row whose case number is malformed (the source's ``C-53-878``)
cannot be keyed and is reported, not stored. Companion cases (AD and CVD on one product from one country),
the HTS lists of the ITA API sample and the third-country cases of CSMS 18-000421 are linked after the load.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.adcvd_tables import AdcvdCase
from hub.domain import adcvd
from hub.domain.reference import csv_rows
from hub.errors import HubError

ORDERS_FILE = "adcvd_orders.csv"
HTS_FILE = "adcvd_paper_orders_with_hts.csv"
HTS_SAMPLES_FILE = "hts_samples.csv"
_CASE_IN_TEXT = re.compile(r"\b[AC]-\d{3}-\d{3}\b")
EXAMPLES_FILE = "adcvd_case_number_examples.csv"
REQUIRED = ("case_number", "country", "product")
# The fields a load owns; a second load compares these and leaves equal rows alone.
_FIELDS = ("kind", "country_code", "country", "product", "product_group", "order_date", "continuation_date",
           "itc_investigation", "fr_citation", "fr_link", "active_in_source", "data_quality_note")


@dataclass
class ImportReport:
    accepted: int = 0
    updated: int = 0
    unchanged: int = 0
    flagged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "updated": self.updated, "unchanged": self.unchanged,
                "flagged": self.flagged, "rejected": self.rejected}


def _date(text: str) -> date | None:
    text = (text or "").strip()
    return date.fromisoformat(text) if text else None


def _values(row: dict[str, str], number: adcvd.CaseNumber) -> dict[str, Any]:
    return {
        "kind": "AD" if number.is_antidumping else "CVD",
        "country_code": number.country_code,
        "country": row["country"].strip(),
        "product": row["product"].strip()[:300],
        "product_group": (row.get("product_group") or "").strip() or None,
        "order_date": _date(row.get("order_date", "")),
        "continuation_date": _date(row.get("continuation_date", "")),
        "itc_investigation": (row.get("itc_investigation_no") or "").strip() or None,
        "fr_citation": (row.get("latest_fr_citation_in_source") or "").strip() or None,
        "fr_link": (row.get("fr_link") or "").strip()[:300] or None,
        "active_in_source": (row.get("active_in_source") or "1").strip() != "0",
        "data_quality_note": (row.get("data_quality_note") or "").strip() or None,
    }


def read_orders(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise HubError(f"the orders file lacks columns: {', '.join(missing)}", code="MISSING_COLUMNS")
    return list(reader)


async def import_orders(session: AsyncSession, rows: Iterable[dict[str, str]], now: datetime,
                        source: str = "ITC_ORDERS") -> ImportReport:
    report = ImportReport()
    existing = {c.number: c for c in (await session.exec(select(AdcvdCase))).all()}
    seen: set[str] = set()
    for index, row in enumerate(rows, start=2):  # row 1 is the header
        try:
            number = adcvd.parse_case_number(row.get("case_number", ""))
            values = _values(row, number)
        except (HubError, ValueError) as exc:
            code = exc.code if isinstance(exc, HubError) else "INVALID_DATE"
            report.rejected.append({"row": index, "code": code, "message": str(exc),
                                    "case_number": row.get("case_number", "")})
            continue
        key = str(number)
        if key in seen:
            report.rejected.append({"row": index, "code": "DUPLICATE_CASE", "message": f"{key} repeats in the file",
                                    "case_number": key})
            continue
        seen.add(key)
        report.flagged += values["data_quality_note"] is not None
        case = existing.get(key)
        if case is None:
            session.add(AdcvdCase(number=key, source=source, imported_at=now, **values))
            report.accepted += 1
        elif any(getattr(case, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(case, k, v)
            session.add(case)
            report.updated += 1
        else:
            report.unchanged += 1
    await session.flush()
    await link_reference(session, now)
    return report


async def link_reference(session: AsyncSession, now: datetime) -> None:
    """Companions, packaged HTS lists and third-country cases; each only fills what is missing or wrong."""
    cases = {c.number: c for c in (await session.exec(select(AdcvdCase))).all()}
    by_product: dict[tuple[str, str], dict[str, list[AdcvdCase]]] = defaultdict(lambda: defaultdict(list))
    for c in cases.values():
        if c.third_country_of_id is None:
            by_product[(c.country_code, c.product.casefold())][c.number[0]].append(c)
    for pair in by_product.values():
        if len(pair["A"]) == 1 and len(pair["C"]) == 1:  # ambiguous products are left unpaired
            ad, cvd = pair["A"][0], pair["C"][0]
            for a, b in ((ad, cvd), (cvd, ad)):
                if a.companion_number != b.number:
                    a.companion_number = b.number
                    session.add(a)
    for number, scope in hts_scopes().items():
        found = cases.get(number)
        if found is not None and found.hts_scope != scope:
            found.hts_scope = scope
            session.add(found)
    for row in csv_rows(EXAMPLES_FILE):
        if row["kind"] == "third_country_case":
            await _third_country(session, cases, row, now)
    await session.flush()


def hts_scopes() -> dict[str, list[str]]:
    """HTS numbers listed with each order's scope: the ITA API sample (S-ADCVD-2) and the HTS samples that name
    their case (hts_samples.csv, e.g. 8541.40.6020 for A-570-979/C-570-980). For convenience only: the written
    scope governs (SOURCES.md)."""
    scopes: dict[str, set[str]] = defaultdict(set)
    for row in csv_rows(HTS_FILE):
        scopes[row["case_number"]] |= {adcvd.normalize_hts(h) for h in row["hts_numbers"].split(";") if h.strip()}
    for row in csv_rows(HTS_SAMPLES_FILE):
        for number in _CASE_IN_TEXT.findall(row["context"]):
            scopes[number].add(adcvd.normalize_hts(row["hts_number"]))
    return {number: sorted(hts) for number, hts in scopes.items()}


# CSMS 18-000421's example: A-451-988 is the China solar-cells order (A-570-979) with CBP origin Lithuania.
THIRD_COUNTRY_ORDERS = {"A-451-988": "A-570-979"}


async def _third_country(session: AsyncSession, cases: dict[str, AdcvdCase], row: dict[str, str],
                         now: datetime) -> None:
    number = adcvd.parse_case_number(row["case_number"])
    order = cases.get(THIRD_COUNTRY_ORDERS.get(str(number), ""))
    if order is None or str(number) in cases:
        return
    country = adcvd.commerce_countries().get(number.country_code)
    # FACTS §4: in ACE the third-country case keeps the order's name and description, with a reference to the
    # order country appended.
    session.add(AdcvdCase(
        number=str(number), kind=order.kind, country_code=number.country_code,
        country=country.name if country else number.country_code,
        product=f"{order.product} (order country: {order.country})"[:300], product_group=order.product_group,
        order_date=_date(row["date"]), active_in_source=order.active_in_source, hts_scope=list(order.hts_scope),
        third_country_of_id=order.id, source="CSMS_18_000421", imported_at=now,
        data_quality_note=None))


async def load_packaged(session: AsyncSession, now: datetime) -> ImportReport:
    """The orders list shipped with the Hub (hub/reference/adcvd_orders.csv)."""
    return await import_orders(session, csv_rows(ORDERS_FILE), now)


async def case_numbers(session: AsyncSession) -> set[str]:
    return set((await session.exec(select(col(AdcvdCase.number)))).all())


RATE_COLUMNS = ("ace_number", "company_name", "rate_percent", "effective_from")


async def import_rates(session: AsyncSession, rows: Iterable[dict[str, str]]) -> ImportReport:
    """Company-specific cash deposit rates (``hub import adcvd-rates FILE``): one row per ACE number and date.

    Columns: ace_number (``ACCCNNNSSS``, R-AD-01), company_name, rate_percent, effective_from (YYYY-MM-DD), and an
    optional basis (e.g. the Federal Register notice). A rate for the same company and date is updated in place;
    a new date adds to the case's history (the rate in effect on the date of entry applies, 19 CFR 351.212(c)).
    """
    from hub.db.adcvd_tables import AdcvdCompanyRate
    from hub.domain.bonds import parse_rate_percent

    report = ImportReport()
    cases = {c.number: c for c in (await session.exec(select(AdcvdCase))).all()}
    existing = {(r.case_id, r.company_suffix, r.effective_from): r
                for r in (await session.exec(select(AdcvdCompanyRate))).all()}
    for index, row in enumerate(rows, start=2):
        try:
            declared = adcvd.parse_line_case(row.get("ace_number", ""))
            if declared.company_suffix is None:
                raise HubError("a company rate needs the 10-character ACE number (ACCCNNNSSS)",
                               code="COMPANY_SUFFIX_REQUIRED")
            case = cases.get(str(declared.case))
            if case is None:
                raise HubError(f"no AD/CVD case {declared.case} in the Hub", code="UNKNOWN_CASE")
            rate = parse_rate_percent(row.get("rate_percent", ""))
            on = _date(row.get("effective_from", ""))
            if on is None:
                raise HubError("effective_from is required", code="INVALID_DATE")
            company = (row.get("company_name") or "").strip()
            if not company:
                raise HubError("company_name is required", code="COMPANY_NAME_REQUIRED")
        except (HubError, ValueError) as exc:
            code = exc.code if isinstance(exc, HubError) else "INVALID_DATE"
            report.rejected.append({"row": index, "code": code, "message": str(exc),
                                    "ace_number": row.get("ace_number", "")})
            continue
        basis = (row.get("basis") or "").strip()[:200] or None
        key = (case.id, declared.company_suffix, on)
        found = existing.get(key)
        if found is None:
            existing[key] = AdcvdCompanyRate(case_id=case.id, company_suffix=declared.company_suffix,
                                             company_name=company[:200], rate_percent=rate, effective_from=on,
                                             basis=basis)
            session.add(existing[key])
            report.accepted += 1
        elif (found.company_name, found.rate_percent, found.basis) != (company[:200], rate, basis):
            found.company_name, found.rate_percent, found.basis = company[:200], rate, basis
            session.add(found)
            report.updated += 1
        else:
            report.unchanged += 1
    await session.flush()
    return report


def read_rates(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in RATE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise HubError(f"the rates file lacks columns: {', '.join(missing)}", code="MISSING_COLUMNS")
    return list(reader)
