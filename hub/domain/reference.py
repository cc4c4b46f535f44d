"""Packaged reference data (hub/reference/*.csv), parsed once and then served from memory.

Provenance of every file is in hub/reference/SOURCES.md. The files ship as package data so that a deployed Hub
validates against exactly the data it was built with; nothing here touches the network or the database.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files
from types import MappingProxyType

PORT_CODES_FILE = "cbp_port_codes_schedule_d.csv"
HOLIDAYS_FILE = "us_federal_holidays_2019_2027.csv"
AGENCY_CODES_FILE = "pga_agency_codes.csv"

# The holiday file's category for statutory holidays; every other category is an ad hoc closure.
FEDERAL_HOLIDAY_CATEGORY = "federal_holiday"


@dataclass(frozen=True, slots=True)
class PortCode:
    code: str
    name: str
    state: str | None
    district: str
    kind: str


@dataclass(frozen=True, slots=True)
class HolidayRow:
    date: date
    name: str
    date_kind: str
    category: str
    source: str

    @property
    def is_federal_holiday(self) -> bool:
        return self.category == FEDERAL_HOLIDAY_CATEGORY


@dataclass(frozen=True, slots=True)
class AgencyCode:
    code: str
    name: str
    department: str
    pga_message_set: str
    source_ref: str


@cache
def read_bytes(name: str) -> bytes:
    """Raw bytes of a packaged reference file (also what data-version hashes are computed over)."""
    # Anchored on the top-level package so it works whether `hub` is a regular or a namespace package.
    return (files("hub") / "reference" / name).read_bytes()


def sha256_of(name: str) -> str:
    return hashlib.sha256(read_bytes(name)).hexdigest()


def csv_rows(name: str) -> list[dict[str, str]]:
    """The rows of a packaged CSV reference file, as dicts by header."""
    text = read_bytes(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


_rows = csv_rows


@cache
def port_codes() -> Mapping[str, PortCode]:
    ports: dict[str, PortCode] = {}
    for r in _rows(PORT_CODES_FILE):
        # The source lists 0401 twice ("BOSTON, MA", "BOSTON, MASS."); first row wins, so the name is stable.
        ports.setdefault(
            r["port_code"],
            PortCode(
                code=r["port_code"],
                name=r["port_name_as_published"],
                state=r["state"] or None,
                district=r["district_code"],
                kind=r["kind"],
            ),
        )
    return MappingProxyType(ports)


@cache
def holiday_rows() -> tuple[HolidayRow, ...]:
    return tuple(
        HolidayRow(
            date=date.fromisoformat(r["date"]),
            name=r["name"],
            date_kind=r["date_kind"],
            category=r["category"],
            source=r["source"],
        )
        for r in _rows(HOLIDAYS_FILE)
    )


@cache
def closure_rows() -> tuple[HolidayRow, ...]:
    """Executive-order (non-statutory) closures: kept as data because no rule predicts them."""
    return tuple(r for r in holiday_rows() if not r.is_federal_holiday)


@cache
def agency_codes() -> Mapping[str, AgencyCode]:
    agencies = {
        r["agency_code"]: AgencyCode(
            code=r["agency_code"],
            name=r["agency_name"],
            department=r["department"],
            pga_message_set=r["pga_message_set"],
            source_ref=r["source_ref"],
        )
        for r in _rows(AGENCY_CODES_FILE)
    }
    return MappingProxyType(agencies)
