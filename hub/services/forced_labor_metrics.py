"""Objective metrics of forced-labor enforcement (issue 7 item 5; COAC's request for "success" measures), per
WRO/Finding (UFLPA detentions form one group without an order) and per period of detention.

Computed in the database: one GROUP BY over the detentions (counts, value, outcomes, resolutions within the window),
and the median days to resolution by percentile_cont on PostgreSQL, or, on SQLite (which has no percentile), by the
equivalent middle-row average over ROW_NUMBER/COUNT windows. Outcomes follow hub/domain/forced_labor.py: a recorded
disposition, else a UFLPA detention past its 30 days is EXCLUDED (deemed, 19 CFR 151.16), else PENDING.

That GROUP BY is kept, per month, quarter and year, in fl_metric_cells: every detention write recomputes its three
cells by INSERT ... SELECT in its own transaction (``refresh_cells``), as if every UFLPA deemed exclusion had come.
``metrics`` reads those cells, and recomputes from the detentions only the cells still holding a UFLPA detention
whose deemed exclusion is after ``now`` (at most the last 30 days), or everything when ``since``/``until`` cut a
period. A full GROUP BY costs several times a count(*) however it is written (bench/forced_labor.py); reading the
cells does not. ``rebuild_cells`` recomputes them all (bulk loads; tests check it equals what writes left).

Who sees what (policies/forced_labor.cedar): CBP and the labor agency every cell (R-FL-METRICS); anyone else
(R-FL-METRICS-PUBLIC) only the cells that pass ``Disclosure`` (see there: minimum count, at least three importers,
no dominant importer, whole periods only, a quarter or year only when each of its months passes), so that no published
figure, nor any difference of published figures, tells one importer's shipments or one detention (R-FL-02; "CBP does
not publicize specific detentions", FACTS §6.4). Cells that fail are left out, not returned as suppressed keys.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Insert,
    Integer,
    Numeric,
    and_,
    case,
    cast,
    delete,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.sql.expression import Select, Subquery
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.forced_labor_tables import ForcedLaborDetention as D
from hub.db.forced_labor_tables import ForcedLaborMetricCell as C
from hub.domain.forced_labor import UFLPA_DEEMED_EXCLUDED_DAYS, Outcome

PENDING = "PENDING"


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
    top_importer_shipments: int | None  # the largest importer's detentions in the cell (the dominance rule)
    top_importer_value: Decimal | None  # the largest importer's detained value in the cell

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


def period_key(day: date, period: Period) -> str:
    """The key ``period_expression`` gives ``day`` (2024-03, 2024-Q1, 2024)."""
    if period is Period.MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    if period is Period.QUARTER:
        return f"{day.year:04d}-Q{(day.month + 2) // 3}"
    return f"{day.year:04d}"


def period_bounds(key: str, period: Period) -> tuple[date, date]:
    """The first and last day of the period ``key``."""
    year = int(key[:4])
    if period is Period.YEAR:
        return date(year, 1, 1), date(year, 12, 31)
    first = int(key[6:]) * 3 - 2 if period is Period.QUARTER else int(key[5:7])
    last = first + 2 if period is Period.QUARTER else first
    end = date(year + 1, 1, 1) if last == 12 else date(year, last + 1, 1)
    return date(year, first, 1), end - timedelta(days=1)


def _deemed(now: datetime | None) -> ColumnElement[bool]:
    # now=None: as if every UFLPA deemed exclusion had come (the stored cells; see ForcedLaborMetricCell).
    if now is None:
        return col(D.deemed_excluded_at).is_not(None)
    return and_(col(D.deemed_excluded_at).is_not(None), col(D.deemed_excluded_at) <= now)


def _bucket(now: datetime | None) -> ColumnElement[str]:
    return case((col(D.outcome).is_not(None), col(D.outcome)), (_deemed(now), Outcome.EXCLUDED.value), else_=PENDING)


def _days(now: datetime | None) -> ColumnElement[Any]:
    deemed = and_(col(D.outcome).is_(None), _deemed(now))
    return case((col(D.outcome).is_not(None), col(D.resolution_days)), (deemed, UFLPA_DEEMED_EXCLUDED_DAYS),
                else_=None)


def _within(now: datetime | None) -> ColumnElement[Any]:
    deemed = and_(col(D.outcome).is_(None), _deemed(now))
    return case((and_(col(D.outcome).is_not(None), col(D.resolved_on) <= col(D.window_ends_on)), 1),
                (deemed, 1), else_=0)


def _filtered(query: Select[Any], since: date | None, until: date | None, order_id: str | None,
              order_keys: Collection[str] | None = None) -> Select[Any]:
    if since is not None:
        query = query.where(col(D.detained_on) >= since)
    if until is not None:
        query = query.where(col(D.detained_on) <= until)
    if order_id is not None:
        query = query.where(col(D.order_id) == order_id)
    if order_keys is not None:  # '' stands for UFLPA detentions without an order
        named = sorted(k for k in order_keys if k)
        uflpa = col(D.order_id).is_(None) if "" in order_keys else false()
        query = query.where(or_(col(D.order_id).in_(named), uflpa) if named else uflpa)
    return query


def _tops(dialect: str, period: Period, since: date | None, until: date | None, order_id: str | None,
          order_keys: Collection[str] | None) -> Subquery:
    """Per cell, the largest single importer's detentions and value (each importer's subtotal, then the maximum)."""
    key = period_expression(dialect, period).label("period")
    fields: list[ColumnElement[Any]] = [col(D.order_id).label("order_id"), key, func.count().label("n"),
                                        func.sum(col(D.value)).label("v")]
    each: Select[Any] = select(*fields)
    per = _filtered(each, since, until, order_id, order_keys).group_by(
        col(D.order_id), key, col(D.importer_org_id)).subquery()
    return select(per.c.order_id, per.c.period, func.max(per.c.n).label("top_shipments"),
                  func.max(per.c.v).label("top_value")).group_by(per.c.order_id, per.c.period).subquery()


def metrics_query(dialect: str, period: Period, now: datetime | None, since: date | None = None,
                  until: date | None = None, order_id: str | None = None,
                  order_keys: Collection[str] | None = None) -> Select[Any]:
    """Every cell computed from the detentions themselves in one statement (the reference the stored cells equal)."""
    key = period_expression(dialect, period).label("period")
    tops = _tops(dialect, period, since, until, order_id, order_keys)
    bucket, days = _bucket(now), _days(now)

    def count_of(outcome: str) -> ColumnElement[Any]:
        return func.sum(case((bucket == outcome, 1), else_=0))

    if dialect == "postgresql":
        median: ColumnElement[Any] = func.percentile_cont(0.5).within_group(days.asc())
        grouped = select(col(D.order_id).label("order_id"), key, func.count().label("shipments"),
                       func.count(func.distinct(col(D.importer_org_id))).label("importers"),
                       func.sum(col(D.value)).label("value"),
                       *(count_of(o.value).label(o.value.lower()) for o in Outcome), count_of(PENDING).label("pending"),
                       func.count(days).label("resolved"), func.sum(_within(now)).label("within"),
                       median.label("median"))
        cells = _filtered(grouped, since, until, order_id, order_keys).group_by(col(D.order_id), key).subquery()
        same = func.coalesce(cells.c.order_id, "") == func.coalesce(tops.c.order_id, "")
        return select(*cells.c, tops.c.top_shipments, tops.c.top_value).select_from(
            cells.join(tops, and_(same, cells.c.period == tops.c.period)))
    # SQLite: the median is the mean of the middle one or two values of each group, ranked by a window function.
    ranked = _filtered(select(col(D.order_id).label("order_id"), key, days.label("days"),
                              func.row_number().over(partition_by=(col(D.order_id), key), order_by=days).label("rn"),
                              func.count().over(partition_by=(col(D.order_id), key)).label("n"))
                       .where(days.is_not(None)), since, until, order_id, order_keys).subquery()
    middle = select(ranked.c.order_id, ranked.c.period, func.avg(ranked.c.days).label("median")).where(
        ranked.c.rn.in_([cast((ranked.c.n + 1) / 2, Integer), cast((ranked.c.n + 2) / 2, Integer)])
    ).group_by(ranked.c.order_id, ranked.c.period).subquery()
    totals = _filtered(select(col(D.order_id).label("order_id"), key, func.count().label("shipments"),
                              func.count(func.distinct(col(D.importer_org_id))).label("importers"),
                              func.sum(col(D.value)).label("value"),
                              *(count_of(o.value).label(o.value.lower()) for o in Outcome),
                              count_of(PENDING).label("pending"), func.count(days).label("resolved"),
                              func.sum(_within(now)).label("within")), since, until, order_id, order_keys
                       ).group_by(col(D.order_id), key).subquery()
    same_order = func.coalesce(totals.c.order_id, "") == func.coalesce(middle.c.order_id, "")
    same_top = func.coalesce(totals.c.order_id, "") == func.coalesce(tops.c.order_id, "")
    return select(totals.c.order_id, totals.c.period, totals.c.shipments, totals.c.importers, totals.c.value,
                  *(totals.c[o.value.lower()] for o in Outcome), totals.c.pending, totals.c.resolved,
                  totals.c.within, middle.c.median.label("median"), tops.c.top_shipments, tops.c.top_value).select_from(
        totals.outerjoin(middle, and_(same_order, totals.c.period == middle.c.period))
        .join(tops, and_(same_top, totals.c.period == tops.c.period)))


# --- stored cells -------------------------------------------------------------------------------------------------


def _cents(dialect: str, money: ColumnElement[Any]) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return cast(type_coerce(money, Numeric()) * 100, BigInteger)
    # hub.db.money stores integer cents on SQLite: their sum is already in cents
    return cast(type_coerce(money, BigInteger()), BigInteger)


def cells_from_detentions(dialect: str, period: Period, since: date | None = None, until: date | None = None,
                          order_keys: Collection[str] | None = None) -> Insert:
    """INSERT ... SELECT of stored cells from ``metrics_query``, every UFLPA deemed exclusion counted as come."""
    sub = metrics_query(dialect, period, None, since, until, None, order_keys).subquery()
    source = [literal(period.value), sub.c.period, func.coalesce(sub.c.order_id, ""), sub.c.shipments,
              sub.c.importers, _cents(dialect, sub.c.value), sub.c.released, sub.c.exported, sub.c.excluded,
              sub.c.seized, sub.c.pending, sub.c.resolved, func.coalesce(sub.c.within, 0),
              cast(func.round(sub.c.median * 2), Integer), sub.c.top_shipments, _cents(dialect, sub.c.top_value)]
    names = ["period_kind", "period", "order_key", "shipments", "importers", "value_cents", "released", "exported",
             "excluded", "seized", "pending", "resolved", "resolved_within_window", "median_days_halves",
             "top_importer_shipments", "top_importer_value_cents"]
    return insert(C).from_select(names, select(*source))


async def refresh_cells(session: AsyncSession, order_id: str | None, detained_on: date) -> None:
    """Recompute, in the caller's transaction, the month, quarter and year cells of one detention after its write.

    On PostgreSQL a transaction-scoped advisory lock per order and year serializes the writers of the same cells;
    each statement after it reads the detentions committed before (READ COMMITTED), so no write is lost."""
    dialect = session.get_bind().dialect.name
    connection = await session.connection()
    key = order_id or ""
    if dialect == "postgresql":
        digest = hashlib.sha256(f"fl_metric_cells:{key}:{detained_on.year}".encode()).digest()
        await connection.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], "big", signed=True))))
    for period in Period:
        name = period_key(detained_on, period)
        first, last = period_bounds(name, period)
        await connection.execute(delete(C).where(col(C.period_kind) == period.value, col(C.period) == name,
                                                 col(C.order_key) == key))
        await connection.execute(cells_from_detentions(dialect, period, first, last, [key]))


async def rebuild_cells(session: AsyncSession) -> None:
    """Recompute every stored cell from the detentions (after a bulk load, and in the migration adding the table)."""
    dialect = session.get_bind().dialect.name
    connection = await session.connection()
    await connection.execute(delete(C))
    for period in Period:
        await connection.execute(cells_from_detentions(dialect, period))


def aligned(period: Period, since: date | None, until: date | None) -> bool:
    """Whether ``since`` is the first day of a period and ``until`` the last day of one (None: unbounded)."""
    return ((since is None or period_bounds(period_key(since, period), period)[0] == since)
            and (until is None or period_bounds(period_key(until, period), period)[1] == until))


def _money(value: object) -> Decimal:
    # SQLite sums NUMERIC as floats: back to exact cents through str, never through float arithmetic.
    return Decimal(str(value if value is not None else 0)).quantize(Decimal("0.01"))


def _row(order: str | None, key: object, shipments: int, importers: int, value: Decimal, counts: Sequence[Any],
         resolved: int, within: int | None, median: Decimal | None, top: int, top_value: Decimal) -> MetricsRow:
    released, exported, excluded, seized, pending = (int(c) for c in counts)
    return MetricsRow(
        order_id=order, period=str(key), suppressed=False, shipments=int(shipments), importers=int(importers),
        value=value, released=released, exported=exported, excluded=excluded, seized=seized, pending=pending,
        resolved=int(resolved), resolved_within_window=int(within or 0),
        median_days_to_resolution=None if median is None else median.quantize(Decimal("0.1")),
        top_importer_shipments=int(top), top_importer_value=top_value)


async def computed_metrics(session: AsyncSession, period: Period, now: datetime, since: date | None = None,
                           until: date | None = None, order_id: str | None = None,
                           order_keys: Collection[str] | None = None) -> list[MetricsRow]:
    """The cells computed from the detentions alone (no stored cell read): the from-scratch reference."""
    dialect = session.get_bind().dialect.name
    connection = await session.connection()
    rows = (await connection.execute(metrics_query(dialect, period, now, since, until, order_id, order_keys))).all()
    out = [_row(r[0], r[1], r[2], r[3], _money(r[4]), r[5:10], r[10], r[11],
                None if r[12] is None else Decimal(str(r[12])), r[13], _money(r[14])) for r in rows]
    return sorted(out, key=lambda m: (m.period, m.order_id or ""))


async def metrics(session: AsyncSession, period: Period, now: datetime, since: date | None = None,
                  until: date | None = None, order_id: str | None = None) -> list[MetricsRow]:
    """The cells at ``now``: the stored cells, but those holding a UFLPA detention whose deemed exclusion is still
    ahead of ``now`` are computed from their detentions (and so is everything when ``since``/``until`` cut a
    period)."""
    if not aligned(period, since, until):
        return await computed_metrics(session, period, now, since, until, order_id)
    dialect = session.get_bind().dialect.name
    connection = await session.connection()
    cell: list[ColumnElement[Any]] = [func.coalesce(col(D.order_id), ""), period_expression(dialect, period)]
    undeemed = select(*cell).distinct()
    live_query = _filtered(undeemed.where(col(D.outcome).is_(None), col(D.deemed_excluded_at) > now), since, until,
                           order_id)
    live = {(str(o), str(k)) for o, k in (await connection.execute(live_query)).all()}
    stored = select(C).where(col(C.period_kind) == period.value)
    if since is not None:
        stored = stored.where(col(C.period) >= period_key(since, period))
    if until is not None:
        stored = stored.where(col(C.period) <= period_key(until, period))
    if order_id is not None:
        stored = stored.where(col(C.order_key) == order_id)
    out = [_row(c.order_key or None, c.period, c.shipments, c.importers,
                (Decimal(c.value_cents) / 100).quantize(Decimal("0.01")),
                (c.released, c.exported, c.excluded, c.seized, c.pending), c.resolved, c.resolved_within_window,
                None if c.median_days_halves is None else Decimal(c.median_days_halves) / 2,
                c.top_importer_shipments, (Decimal(c.top_importer_value_cents) / 100).quantize(Decimal("0.01")))
           for c in (await connection.execute(stored)).all() if (c.order_key, c.period) not in live]
    if live:  # whole periods from the first live one: every live cell is complete in what is recomputed
        first = min(period_bounds(k, period)[0] for _, k in live)
        recomputed = await computed_metrics(session, period, now, max(first, since or first), until, order_id,
                                            {o for o, _ in live})
        out += [r for r in recomputed if (r.order_id or "", r.period) in live]
    return sorted(out, key=lambda m: (m.period, m.order_id or ""))


@dataclass(frozen=True)
class Disclosure:
    """What a cell must satisfy to be published to viewers without ReadForcedLaborMetrics (R-FL-METRICS-PUBLIC).

    A published cell is an aggregate of other importers' detentions, so each rule closes one way of reading a
    single importer's (or a single detention's) figures out of it (R-FL-02; FACTS §6.4):

    * ``min_cell`` detentions at least (the issue's configurable minimum count): small cells are single shipments.
    * ``min_importers`` (>= 3) distinct importers: with two, either importer subtracts its own shipments from the
      cell and reads the other's exactly. With three or more, what it reads is a total of at least two others.
    * no single importer above ``max_share`` of the cell's detentions or of its value: the (n, k)-dominance rule of
      statistical agencies with n = 1 (e.g. k = 0.8). A cell of 1 big and 2 token importers passes the first two
      rules, yet anyone, and in particular each token importer after subtracting its own, reads the big one's
      figures to within a few percent. The rule needs each cell's largest importer's count and value, which the
      stored cells keep (``top_importer_shipments``, ``top_importer_value_cents``).
    * whole periods only (``aligned``; enforced by the caller, PERIOD_NOT_ALIGNED): two windows one day apart
      differ by that day's detentions (value, outcome), so the public may only ask for unions of whole cells.
    * a quarter or a year is published only when each of its non-empty months passes (``public_cells``): else the
      quarter minus its published months is the suppressed month. A union of passing months passes every rule
      itself (counts add, distinct importers are at least each month's, the largest importer's share of the union is
      at most the largest monthly share), so every published figure is then a sum of published monthly cells and no
      difference of published figures tells more than those cells do. Cells of different orders are disjoint and no
      total across orders is published.

    Failing cells are left out of the answer entirely: a returned key (order, period) would already tell that a
    detention under that order happened in that period. Residual: figures change as detentions are recorded and
    decided, so comparing answers over time still shows that a cell moved (no importer is named by it)."""

    min_cell: int
    min_importers: int
    max_share: Decimal

    def passes(self, row: MetricsRow) -> bool:
        shipments, value = row.shipments or 0, row.value
        if shipments < self.min_cell or (row.importers or 0) < self.min_importers:
            return False
        if value is None or row.top_importer_shipments is None or row.top_importer_value is None:
            return False
        return (row.top_importer_shipments <= self.max_share * shipments
                and row.top_importer_value <= self.max_share * value)


def public_cells(rows: list[MetricsRow], rule: Disclosure, period: Period,
                 months: list[MetricsRow] | None = None) -> list[MetricsRow]:
    """The public view: only the cells passing ``rule`` (and, for a quarter or year, each of whose months in
    ``months`` passes), without the importer figures the rule read. The others are left out, key and all."""
    blocked = {(m.order_id or "", period_key(period_bounds(m.period, Period.MONTH)[0], period))
               for m in (months or []) if not rule.passes(m)} if period is not Period.MONTH else set()
    return [replace(r, importers=None, top_importer_shipments=None, top_importer_value=None) for r in rows
            if rule.passes(r) and (r.order_id or "", r.period) not in blocked]
