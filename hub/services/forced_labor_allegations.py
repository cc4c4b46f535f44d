"""Allegations (19 CFR 12.42(b)-(d); R-FL-04): any authenticated party submits; the Hub checks the required content,
returns a non-conforming one with its deficiencies in writing (stored with it, so the submitter can read them later),
and tracks the 10-day forwarding deadline of a conforming one until a CBP officer forwards it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.forced_labor_tables import ForcedLaborAllegation
from hub.domain import forced_labor_allegations as domain
from hub.errors import InvalidInput, NotFound


async def submit_allegation(session: AsyncSession, content: domain.AllegationContent, org_id: str, client_id: str,
                            now: datetime) -> ForcedLaborAllegation:
    """Codes (nothing written): ALLEGATION_MERCHANDISE_REQUIRED, INVALID_TEXT. Deficiencies (written, RETURNED):
    MISSING_REASONS, MISSING_DESCRIPTION_OR_SAMPLE, MISSING_PRODUCTION_FACTS."""
    domain.check_form(content)
    found = domain.deficiencies(content)
    status = domain.AllegationStatus.RETURNED if found else domain.AllegationStatus.CONFORMING
    row = ForcedLaborAllegation(
        submitter_org_id=org_id, submitter_client=client_id, received_at=now,
        merchandise=content.merchandise.strip(), country=content.country.strip(), reasons=content.reasons.strip(),
        description=content.description.strip(), sample_provided=content.sample_provided,
        production_facts=content.production_facts.strip(), status=status.value, deficiencies=[d.code for d in found],
        deficiency_letter=domain.deficiency_letter(found, now) if found else None,
        forward_due_at=None if found else domain.forward_due_at(now))
    session.add(row)
    await session.flush()
    return row


async def forward_allegation(session: AsyncSession, allegation_id: str, now: datetime) -> ForcedLaborAllegation:
    """R-FL-04: the port director transmits a conforming allegation to the Commissioner. Code: NOT_CONFORMING."""
    row = (await session.exec(select(ForcedLaborAllegation).where(ForcedLaborAllegation.id == allegation_id)
                              .with_for_update())).first()
    if row is None:
        raise NotFound("no such allegation", code="UNKNOWN_ALLEGATION")
    if row.status != domain.AllegationStatus.CONFORMING.value:
        raise InvalidInput(f"only a conforming allegation is forwarded (it is {row.status})", code="NOT_CONFORMING")
    row.status = domain.AllegationStatus.FORWARDED.value
    row.forwarded_at = now
    session.add(row)
    await session.flush()
    return row
