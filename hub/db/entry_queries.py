"""Queries over entries: keyset pages in the viewer's row scope, and per-case aggregates grouped in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, func
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.adcvd_tables import AdcvdCase, Entry, EntryLine


async def entry_page(session: AsyncSession, scope: ColumnElement[bool], after: str | None, limit: int) -> list[Entry]:
    """Entries in number order after ``after`` (keyset: the unique number is the whole sort key)."""
    query = select(Entry).where(scope)
    if after is not None:
        query = query.where(col(Entry.number) > after)
    return list((await session.exec(query.order_by(col(Entry.number)).limit(limit))).all())


async def case_page(session: AsyncSession, country_code: str | None, after: str | None, limit: int
                    ) -> list[AdcvdCase]:
    query = select(AdcvdCase)
    if country_code is not None:
        query = query.where(col(AdcvdCase.country_code) == country_code)
    if after is not None:
        query = query.where(col(AdcvdCase.number) > after)
    return list((await session.exec(query.order_by(col(AdcvdCase.number)).limit(limit))).all())


@dataclass(frozen=True)
class Aggregate:
    country_of_origin: str
    company_suffix: str | None
    entries: int
    lines: int
    entered_value: Decimal
    deposits: Decimal


async def case_aggregates(session: AsyncSession, case_ids: list[str]) -> dict[str, list[Aggregate]]:
    """Per case, per country of origin and company: counts and sums, never an importer (issue 6, Commerce
    clause). One grouped query for a whole page of cases."""
    query = (core_select(col(EntryLine.case_id), col(EntryLine.country_of_origin), col(EntryLine.company_suffix),
                         func.count(func.distinct(EntryLine.entry_id)), func.count(),
                         func.coalesce(func.sum(EntryLine.entered_value), 0),
                         func.coalesce(func.sum(EntryLine.deposit_amount), 0))
             .where(col(EntryLine.case_id).in_(case_ids))
             .group_by(col(EntryLine.case_id), col(EntryLine.country_of_origin), col(EntryLine.company_suffix))
             .order_by(col(EntryLine.country_of_origin), col(EntryLine.company_suffix)))
    result = await (await session.connection()).execute(query)
    found: dict[str, list[Aggregate]] = {case_id: [] for case_id in case_ids}
    for case_id, origin, suffix, entries, lines, value, deposits in result.all():
        found[str(case_id)].append(Aggregate(origin, suffix, int(entries), int(lines),
                                        Decimal(str(value)).quantize(Decimal("0.01")),
                                        Decimal(str(deposits)).quantize(Decimal("0.01"))))
    return found
