"""Objective metrics of forced-labor enforcement (issue 7 item 5; COAC's request for "success" measures), per
WRO/Finding (UFLPA detentions form one group without an order) and per period of detention.

Computed in the database: one GROUP BY over the detentions (counts, value, outcomes, resolutions within the window),
and the median days to resolution by percentile_cont on PostgreSQL, or, on SQLite (which has no percentile), by the
equivalent middle-row average over ROW_NUMBER/COUNT windows. Outcomes follow hub/domain/forced_labor.py: a recorded
disposition, else a UFLPA detention past its 30 days is EXCLUDED (deemed, 19 CFR 151.16), else PENDING.

Who sees what (policies/forced_labor.cedar): CBP and the labor agency every cell (R-FL-METRICS); anyone else only
cells with at least ``min_cell`` detentions of at least two importers (R-FL-METRICS-PUBLIC), the others suppressed,
so no cell tells one importer's shipments (R-FL-02).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, literal_column, select
from sqlalchemy.sql.expression import Select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.forced_labor_tables import ForcedLaborDetention as D
from hub.domain.forced_labor import UFLPA_DEEMED_EXCLUDED_DAYS, Outcome

PENDING = "PENDING"
MIN_IMPORTERS = 2  # a cell of one importer's shipments would identify it, whatever its size


class Period(enum.StrEnum):
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


@dataclass(frozen=True)
class MetricsRow:
    order_id: str | None  # None: UFLPA detentions (no order)
    period: str
    suppressed: bool
    shipments: int | None
    importers: int | None
    value: Decimal | None
    released: int | None
    exported: int | None
    excluded: int | None
    seized: int | None
    pending: int | None
    resolved: int | None
    resolved_within_window: int | None
    median_days_to_resolution: Decimal | None

    @property
    def share_resolved_within_window(self) -> Decimal | None:
        """Of the resolved detentions, the share resolved by the window's end (§ 12.43(a) 3 months; UFLPA 30 days)."""
        if not self.resolved or self.resolved_within_window is None:
            return None
        return (Decimal(self.resolved_within_window) / Decimal(self.resolved)).quantize(Decimal("0.0001"))


def period_expression(dialect: str, period: Period) -> ColumnElement[str]:
    if dialect == "postgresql":
        fmt = {Period.MONTH: "YYYY-MM", Period.QUARTER: 'YYYY-"Q"Q', Period.YEAR: "YYYY"}[period]
        return func.to_char(col(D.detained_on), fmt)
    if period is Period.QUARTER:
        return literal_column("strftime('%Y', fl_detentions.detained_on) || '-Q' || "
                              "((CAST(strftime('%m', fl_detentions.detained_on) AS INTEGER) + 2) / 3)")
    return func.strftime("%Y-%m" if period is Period.MONTH else "%Y", col(D.detained_on))


def _bucket(now: datetime) -> ColumnElement[str]:
    deemed = and_(col(D.deemed_excluded_at).is_not(None), col(D.deemed_excluded_at) <= now)
    return case((col(D.outcome).is_not(None), col(D.outcome)), (deemed, Outcome.EXCLUDED.value), else_=PENDING)


def _days(now: datetime) -> ColumnElement[Any]:
    deemed = and_(col(D.outcome).is_(None), col(D.deemed_excluded_at).is_not(None), col(D.deemed_excluded_at) <= now)
    return case((col(D.outcome).is_not(None), col(D.resolution_days)), (deemed, UFLPA_DEEMED_EXCLUDED_DAYS),
                else_=None)


def _within(now: datetime) -> ColumnElement[Any]:
    deemed = and_(col(D.outcome).is_(None), col(D.deemed_excluded_at).is_not(None), col(D.deemed_excluded_at) <= now)
    return case((and_(col(D.outcome).is_not(None), col(D.resolved_on) <= col(D.window_ends_on)), 1),
                (deemed, 1), else_=0)


def _filtered(query: Select[Any], since: date | None, until: date | None, order_id: str | None) -> Select[Any]:
    if since is not None:
        query = query.where(col(D.detained_on) >= since)
    if until is not None:
        query = query.where(col(D.detained_on) <= until)
    if order_id is not None:
        query = query.where(col(D.order_id) == order_id)
    return query


def metrics_query(dialect: str, period: Period, now: datetime, since: date | None = None, until: date | None = None,
                  order_id: str | None = None) -> Select[Any]:
    """The whole computation as one statement (the benchmark explains and times it)."""
    key = period_expression(dialect, period).label("period")
    bucket, days = _bucket(now), _days(now)

    def count_of(outcome: str) -> ColumnElement[Any]:
        return func.sum(case((bucket == outcome, 1), else_=0))

    if dialect == "postgresql":
        median: ColumnElement[Any] = func.percentile_cont(0.5).within_group(days.asc())
        query = select(col(D.order_id), key, func.count(), func.count(func.distinct(col(D.importer_org_id))),
                       func.sum(col(D.value)), *(count_of(o.value) for o in Outcome), count_of(PENDING),
                       func.count(days), func.sum(_within(now)), median)
        return _filtered(query, since, until, order_id).group_by(col(D.order_id), key)
    # SQLite: the median is the mean of the middle one or two values of each group, ranked by a window function.
    ranked = _filtered(select(col(D.order_id).label("order_id"), key, days.label("days"),
                              func.row_number().over(partition_by=(col(D.order_id), key), order_by=days).label("rn"),
                              func.count().over(partition_by=(col(D.order_id), key)).label("n"))
                       .where(days.is_not(None)), since, until, order_id).subquery()
    middle = select(ranked.c.order_id, ranked.c.period, func.avg(ranked.c.days).label("median")).where(
        ranked.c.rn.in_([cast((ranked.c.n + 1) / 2, Integer), cast((ranked.c.n + 2) / 2, Integer)])
    ).group_by(ranked.c.order_id, ranked.c.period).subquery()
    totals = _filtered(select(col(D.order_id).label("order_id"), key, func.count().label("shipments"),
                              func.count(func.distinct(col(D.importer_org_id))).label("importers"),
                              func.sum(col(D.value)).label("value"),
                              *(count_of(o.value).label(o.value.lower()) for o in Outcome),
                              count_of(PENDING).label("pending"), func.count(days).label("resolved"),
                              func.sum(_within(now)).label("within")), since, until, order_id
                       ).group_by(col(D.order_id), key).subquery()
    same_order = func.coalesce(totals.c.order_id, "") == func.coalesce(middle.c.order_id, "")
    return select(totals.c.order_id, totals.c.period, totals.c.shipments, totals.c.importers, totals.c.value,
                  *(totals.c[o.value.lower()] for o in Outcome), totals.c.pending, totals.c.resolved,
                  totals.c.within, middle.c.median).select_from(
        totals.outerjoin(middle, and_(same_order, totals.c.period == middle.c.period)))


def _money(value: object) -> Decimal:
    # SQLite sums NUMERIC as floats: back to exact cents through str, never through float arithmetic.
    return Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"))


async def metrics(session: AsyncSession, period: Period, now: datetime, since: date | None = None,
                  until: date | None = None, order_id: str | None = None) -> list[MetricsRow]:
    dialect = session.get_bind().dialect.name
    connection = await session.connection()
    rows = (await connection.execute(metrics_query(dialect, period, now, since, until, order_id))).all()
    out = []
    for r in rows:
        (order, key, shipments, importers, value, released, exported, excluded, seized, pending, resolved, within,
         median) = r
        out.append(MetricsRow(
            order_id=order, period=str(key), suppressed=False, shipments=int(shipments), importers=int(importers),
            value=_money(value), released=int(released), exported=int(exported), excluded=int(excluded),
            seized=int(seized), pending=int(pending), resolved=int(resolved), resolved_within_window=int(within or 0),
            median_days_to_resolution=None if median is None else Decimal(str(median)).quantize(Decimal("0.1"))))
    return sorted(out, key=lambda m: (m.period, m.order_id or ""))


def suppress(rows: list[MetricsRow], min_cell: int) -> list[MetricsRow]:
    """The public view: cells under ``min_cell`` detentions, or of fewer than two importers, keep only their key."""
    out = []
    for row in rows:
        if (row.shipments or 0) >= min_cell and (row.importers or 0) >= MIN_IMPORTERS:
            out.append(replace(row, importers=None))  # the importer count itself is not published
        else:
            out.append(MetricsRow(row.order_id, row.period, True, *([None] * 11)))
    return out
