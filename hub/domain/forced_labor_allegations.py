"""Allegations of forced labor by outside parties (19 CFR 12.42(b)-(d); FACTS §6.1; R-FL-04).

Pure. § 12.42(b): any person may communicate a belief that covered goods are being imported; § 12.42(c): the
communication must contain a full statement of the reasons, a detailed description or a sample of the merchandise,
and all pertinent facts obtainable as to its production abroad; § 12.42(d): a non-conforming one is returned promptly
with detailed written advice of how it does not conform, a conforming one is forwarded to the Commissioner within
10 days.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.errors import InvalidInput

FORWARD_DAYS = 10  # R-FL-04, § 12.42(d): conforming allegations go to the Commissioner within 10 days
MAX_TEXT = 10_000
# A "full statement" is more than a word: below this many characters a field counts as missing (design choice).
MIN_STATEMENT = 20


class AllegationStatus(enum.StrEnum):
    RETURNED = "RETURNED"  # non-conforming: returned with written deficiencies (§ 12.42(d))
    CONFORMING = "CONFORMING"  # awaiting forwarding; due within 10 days
    FORWARDED = "FORWARDED"  # transmitted to the Commissioner


@dataclass(frozen=True)
class AllegationContent:
    reasons: str
    description: str
    sample_provided: bool
    production_facts: str
    merchandise: str
    country: str


@dataclass(frozen=True)
class Deficiency:
    code: str
    text: str


def _blank(text: str) -> bool:
    return len(text.strip()) < MIN_STATEMENT


def check_form(content: AllegationContent) -> None:
    """What makes a submission no allegation at all (nothing is written): no merchandise named, or over-long text.

    Codes: ALLEGATION_MERCHANDISE_REQUIRED, INVALID_TEXT.
    """
    for name, value in (("reasons", content.reasons), ("description", content.description),
                        ("productionFacts", content.production_facts), ("merchandise", content.merchandise),
                        ("country", content.country)):
        if len(value) > MAX_TEXT:
            raise InvalidInput(f"{name}: at most {MAX_TEXT} characters", code="INVALID_TEXT")
    if not content.merchandise.strip():
        raise InvalidInput("name the merchandise the allegation concerns", code="ALLEGATION_MERCHANDISE_REQUIRED")


def deficiencies(content: AllegationContent) -> list[Deficiency]:
    """R-FL-04, § 12.42(c): the three required elements; each missing one is a written deficiency (§ 12.42(d))."""
    found = []
    if _blank(content.reasons):
        found.append(Deficiency("MISSING_REASONS", "A full statement of the reasons for the belief is required "
                                                   "(19 CFR 12.42(c))."))
    if _blank(content.description) and not content.sample_provided:
        found.append(Deficiency("MISSING_DESCRIPTION_OR_SAMPLE", "A detailed description or a sample of the "
                                                                 "merchandise is required (19 CFR 12.42(c))."))
    if _blank(content.production_facts):
        found.append(Deficiency("MISSING_PRODUCTION_FACTS", "All pertinent facts obtainable as to the production of "
                                                            "the merchandise abroad are required (19 CFR 12.42(c))."))
    return found


def deficiency_letter(found: list[Deficiency], received_at: datetime) -> str:
    """The written advice returned with a non-conforming allegation (§ 12.42(d))."""
    lines = [f"Your allegation received {received_at.date().isoformat()} does not conform to 19 CFR 12.42(c) and is "
             "returned (19 CFR 12.42(d)). To resubmit, supply:"]
    lines += [f"- {d.text}" for d in found]
    return "\n".join(lines)


def forward_due_at(received_at: datetime) -> datetime:
    """R-FL-04, § 12.42(d): 10 calendar days after receipt."""
    return received_at + timedelta(days=FORWARD_DAYS)


def forward_overdue(status: AllegationStatus, received_at: datetime, now: datetime) -> bool:
    return status is AllegationStatus.CONFORMING and now > forward_due_at(received_at)
