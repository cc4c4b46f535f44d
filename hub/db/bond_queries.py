"""Batch queries for bonds: a page of bonds costs a fixed handful of statements, whatever its size or depth."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.bond_tables import Bond, BondInsufficiencyNotice, BondSecuredEntry

_CHUNK = 500  # bound on IN (...) lists


class BondOrder(enum.StrEnum):
    NUMBER = "NUMBER"  # bond number ascending
    PRINCIPAL = "PRINCIPAL"  # principal name as on the bond, then number
    AMOUNT_DESC = "AMOUNT_DESC"  # largest bonds first, then number


def _sort_column(order: BondOrder) -> Any:
    return {BondOrder.PRINCIPAL: col(Bond.principal_name), BondOrder.AMOUNT_DESC: col(Bond.amount)}.get(order)


def sort_key(row: Bond, order: BondOrder) -> list[str]:
    """The keyset cursor of a row: the order's column (as a string; Decimal exact) and the unique number."""
    if order is BondOrder.PRINCIPAL:
        return [row.principal_name, row.number]
    if order is BondOrder.AMOUNT_DESC:
        return [str(row.amount), row.number]
    return [row.number]


async def bond_page(
    session: AsyncSession, scope: ColumnElement[bool], order: BondOrder, after: list[str] | None, size: int,
    surety_org_id: str | None = None,
) -> list[Bond]:
    """``size`` rows after the cursor in ``order`` (keyset: a deep page costs what the first does)."""
    query = select(Bond).where(scope)
    if surety_org_id is not None:
        query = query.where(or_(col(Bond.surety_org_id) == surety_org_id, col(Bond.co_surety_org_id) == surety_org_id))
    number = col(Bond.number)
    sort = _sort_column(order)
    if after is not None:
        if sort is None:
            query = query.where(number > after[0])
        elif order is BondOrder.AMOUNT_DESC:
            at = Decimal(after[0])
            query = query.where((sort < at) | ((sort == at) & (number > after[1])))
        else:
            query = query.where((sort > after[0]) | ((sort == after[0]) & (number > after[1])))
    if sort is None:
        query = query.order_by(number)
    elif order is BondOrder.AMOUNT_DESC:
        query = query.order_by(sort.desc(), number)
    else:
        query = query.order_by(sort, number)
    return list((await session.exec(query.limit(size))).all())


async def notices_for(session: AsyncSession, bond_ids: Sequence[str]) -> dict[str, list[BondInsufficiencyNotice]]:
    found: dict[str, list[BondInsufficiencyNotice]] = defaultdict(list)
    for i in range(0, len(bond_ids), _CHUNK):
        rows = (await session.exec(
            select(BondInsufficiencyNotice).where(col(BondInsufficiencyNotice.bond_id).in_(bond_ids[i:i + _CHUNK]))
            .order_by(col(BondInsufficiencyNotice.noticed_at), col(BondInsufficiencyNotice.id)))).all()
        for row in rows:
            found[row.bond_id].append(row)
    return found


@dataclass(frozen=True)
class Exposure:
    """What a bond's secured entries add up to: the surety's view (R-BOND-01) and a DTF basis (R-BOND-02)."""

    entries: int = 0
    open_adcvd: Decimal = Decimal("0.00")
    dtf_last_12_months: Decimal = Decimal("0.00")


async def exposure_for(session: AsyncSession, bond_ids: Sequence[str], since: date) -> dict[str, Exposure]:
    """One grouped query per chunk: entry count, open AD/CVD, and DTF of entries dated after ``since``."""
    entry = BondSecuredEntry
    recent = func.sum(case((col(entry.entry_date) > since, col(entry.dtf)), else_=0))
    found: dict[str, Exposure] = {}
    for i in range(0, len(bond_ids), _CHUNK):
        rows = (await session.exec(
            select(col(entry.bond_id), func.count(), func.sum(col(entry.adcvd_open)), recent)
            .where(col(entry.bond_id).in_(bond_ids[i:i + _CHUNK])).group_by(col(entry.bond_id)))).all()
        for bond_id, count, adcvd, dtf in rows:
            # The sums are typed like their columns (hub.db.money.Money): exact Decimal on every backend
            # (an integer sum of cents on SQLite); None when no entry matched.
            found[bond_id] = Exposure(int(count), _cents(adcvd), _cents(dtf))
    return found


def _cents(value: Decimal | None) -> Decimal:
    if value is None:
        return Decimal("0.00")
    if not isinstance(value, Decimal):
        raise TypeError(f"a money sum came back as {type(value).__name__}, not Decimal")
    return value


async def numbers_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = (await session.exec(select(Bond.id, Bond.number).where(col(Bond.id).in_(wanted)))).all()
    return dict(rows)


async def successors_of(session: AsyncSession, ids: Sequence[str]) -> dict[str, str]:
    """Bond id -> the number of the bond that superseded it."""
    if not ids:
        return {}
    rows = (await session.exec(select(Bond.supersedes_bond_id, Bond.number)
                               .where(col(Bond.supersedes_bond_id).in_(list(ids))))).all()
    return {old: number for old, number in rows if old is not None}


async def secured_entries(session: AsyncSession, bond_ids: Sequence[str], first: int
                          ) -> dict[str, list[BondSecuredEntry]]:
    """The ``first`` newest entries of each bond, for a whole page in one query (ROW_NUMBER per bond)."""
    entry = BondSecuredEntry
    rank = func.row_number().over(partition_by=col(entry.bond_id),
                                  order_by=(col(entry.entry_date).desc(), col(entry.entry_number))).label("rank")
    found: dict[str, list[BondSecuredEntry]] = defaultdict(list)
    for i in range(0, len(bond_ids), _CHUNK):
        ranked = select(entry, rank).where(col(entry.bond_id).in_(bond_ids[i:i + _CHUNK])).subquery()
        row = aliased(entry, ranked)
        query = select(row).where(ranked.c.rank <= first).order_by(ranked.c.bond_id, ranked.c.rank)
        for e in (await session.exec(query)).all():
            found[e.bond_id].append(e)
    return found
