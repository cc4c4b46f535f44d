"""CBP bond-amount guides as data (hub/reference/bond_guides.json): parsed once, served from memory.

A guide is what CBP publishes on how it sets bond amounts (Directive 099 3510-004 of 1991; the 2024 "Guide for
the Public", FACTS §3). Which activity codes have which minimum, which are rounded and how, and the single
transaction multiplier for PGA-regulated goods all live in the file, so a new guide is a data change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import Any

from hub.domain.reference import read_bytes, sha256_of
from hub.errors import ConfigurationError, InvalidInput

GUIDES_FILE = "bond_guides.json"


@dataclass(frozen=True, slots=True)
class Step:
    """Round up to a multiple of ``step`` while the amount is at most ``up_to`` (None: no upper bound)."""

    up_to: Decimal | None
    step: Decimal


@dataclass(frozen=True, slots=True)
class ActivityRule:
    minimum: Decimal
    dtf_percent: Decimal | None  # the DTF formula of R-BOND-02 (activity 1); None: the minimum alone
    per_site: bool  # C4 (FTZ): the minimum applies per activated site (2024 guide)


@dataclass(frozen=True, slots=True)
class Guide:
    id: str
    title: str
    effective_from: date
    source: str
    dtf_period: str
    rounding: tuple[Step, ...]
    rounded_activity_codes: frozenset[str]  # "*" = every continuous bond (2024 guide)
    activity: Mapping[str, ActivityRule]
    pga_value_multiplier: Decimal  # R-BOND-04: 3x entered value for PGA-regulated goods

    def rounds(self, activity_code: str) -> bool:
        return "*" in self.rounded_activity_codes or activity_code in self.rounded_activity_codes


@dataclass(frozen=True, slots=True)
class GuideBook:
    guides: tuple[Guide, ...]  # by effective date, oldest first
    activity_codes: Mapping[str, str]  # code -> name with its CFR section
    ipr_sample_activity_codes: frozenset[str]
    bond_number_pattern: re.Pattern[str]
    bond_number_example: str
    version: str  # sha256 of the file: recorded with every sufficiency result

    def guide_for(self, as_of: date, guide_id: str | None = None) -> Guide:
        """The guide in force on ``as_of`` (the latest effective on or before it), or the one named."""
        if guide_id is not None:
            for guide in self.guides:
                if guide.id == guide_id:
                    return guide
            raise InvalidInput(f"unknown bond guide {guide_id!r}", code="UNKNOWN_BOND_GUIDE")
        in_force = [g for g in self.guides if g.effective_from <= as_of]
        if not in_force:
            raise InvalidInput(f"no bond guide was in force on {as_of}", code="NO_BOND_GUIDE")
        return in_force[-1]


def _money(value: Any, where: str) -> Decimal:
    # Strings only: a JSON number would go through float on its way in, which is exactly what Decimal avoids.
    if not isinstance(value, str):
        raise ConfigurationError(f"{GUIDES_FILE}: {where} must be a decimal string", code="BOND_GUIDES_INVALID")
    return Decimal(value)


def _guide(raw: Mapping[str, Any]) -> Guide:
    gid = str(raw["id"])
    activity = {
        code: ActivityRule(
            minimum=_money(rule["minimum"], f"{gid}.{code}.minimum"),
            dtf_percent=_money(rule["dtf_percent"], f"{gid}.{code}.dtf_percent") if "dtf_percent" in rule else None,
            per_site=bool(rule.get("per_site", False)),
        )
        for code, rule in raw["activity"].items()
    }
    steps = tuple(
        Step(None if s["up_to"] is None else _money(s["up_to"], f"{gid}.rounding"), _money(s["step"], f"{gid}.step"))
        for s in raw["rounding"]
    )
    if not steps or steps[-1].up_to is not None:
        raise ConfigurationError(f"{GUIDES_FILE}: {gid} rounding must end with an unbounded step",
                                 code="BOND_GUIDES_INVALID")
    return Guide(
        id=gid, title=str(raw["title"]), effective_from=date.fromisoformat(raw["effective_from"]),
        source=str(raw["source"]), dtf_period=str(raw["dtf_period"]), rounding=steps,
        rounded_activity_codes=frozenset(raw["rounded_activity_codes"]), activity=MappingProxyType(activity),
        pga_value_multiplier=_money(raw["single_transaction"]["pga_value_multiplier"], f"{gid}.pga_value_multiplier"),
    )


def parse_guide_book(data: bytes) -> GuideBook:
    try:
        raw = json.loads(data)
        guides = tuple(sorted((_guide(g) for g in raw["guides"]), key=lambda g: g.effective_from))
        codes = {code: f"{spec['name']} ({spec['cfr']})" for code, spec in raw["activity_codes"].items()}
        unknown = {c for g in guides for c in g.activity} - codes.keys()
        if unknown:
            raise ConfigurationError(f"{GUIDES_FILE}: guides name unknown activity codes {sorted(unknown)}",
                                     code="BOND_GUIDES_INVALID")
        return GuideBook(
            guides=guides, activity_codes=MappingProxyType(codes),
            ipr_sample_activity_codes=frozenset(raw["ipr_sample_activity_codes"]),
            bond_number_pattern=re.compile(raw["bond_number"]["pattern"], re.ASCII),
            bond_number_example=str(raw["bond_number"]["example"]),
            version="",
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise ConfigurationError(f"{GUIDES_FILE} is malformed: {exc!r}", code="BOND_GUIDES_INVALID") from exc


@cache
def guide_book() -> GuideBook:
    book = parse_guide_book(read_bytes(GUIDES_FILE))
    return GuideBook(book.guides, book.activity_codes, book.ipr_sample_activity_codes, book.bond_number_pattern,
                     book.bond_number_example, f"bond-guides-{sha256_of(GUIDES_FILE)[:12]}")
