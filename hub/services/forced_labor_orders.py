"""Loading the public list of WROs and Findings (``hub import wro FILE`` and the demo; R-FL-01).

Idempotent: an order is found by its stable key (hub.domain.forced_labor_orders.order_key), updated when the list
says something new about it, and its status history gains only the statuses it does not have yet. One transaction:
a file with one bad row changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.forced_labor_tables import ForcedLaborOrder, ForcedLaborOrderStatus
from hub.domain.forced_labor_orders import OrderRecord, entity_names, parse_csv

REFERENCE_FILE = "cbp_wro_findings.csv"  # hub/reference/, copied byte for byte from /work/shared/data (S-WRO-1..10)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def reference_records() -> list[OrderRecord]:
    return parse_csv(files("hub.reference").joinpath(REFERENCE_FILE).read_text(encoding="utf-8"))


def _fields(record: OrderRecord) -> dict[str, object]:
    return {
        "order_type": record.order_type.value, "effective_on": record.effective_on,
        "date_precision": record.date_precision, "country": record.country, "scope": record.scope,
        "entity": record.entity, "merchandise": record.merchandise, "industry": record.industry,
        "status": record.status.value, "status_in_source": record.status_in_source,
        "status_verified": record.status_verified, "status_note": record.status_note,
        "source_ref": record.source_ref, "citation": record.citation,
        "data_quality_flag": record.data_quality_flag,
        "names": list(entity_names(record.entity)) if record.entity else [],
    }


async def import_orders(session: AsyncSession, records: list[OrderRecord], now: datetime) -> ImportResult:
    existing = {o.key: o for o in (await session.exec(select(ForcedLaborOrder))).all()}
    history = {(h.order_id, h.status) for h in (await session.exec(select(ForcedLaborOrderStatus))).all()}
    created = updated = unchanged = 0
    for record in records:
        fields = _fields(record)
        order = existing.get(record.key)
        if order is None:
            order = ForcedLaborOrder(key=record.key, imported_at=now, **fields)  # type: ignore[arg-type]
            existing[record.key] = order
            created += 1
        elif any(getattr(order, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(order, k, v)
            order.imported_at = now
            updated += 1
        else:
            unchanged += 1
            continue
        session.add(order)
        await session.flush()
        for change in record.history:
            if (order.id, change.status.value) not in history:
                history.add((order.id, change.status.value))
                session.add(ForcedLaborOrderStatus(order_id=order.id, status=change.status.value,
                                                   effective_on=change.effective_on, note=change.note[:300]))
    await session.flush()
    return ImportResult(created, updated, unchanged)


async def history_for(session: AsyncSession, order_ids: list[str]) -> dict[str, list[ForcedLaborOrderStatus]]:
    found: dict[str, list[ForcedLaborOrderStatus]] = {}
    if not order_ids:
        return found
    rows = (await session.exec(select(ForcedLaborOrderStatus)
                               .where(col(ForcedLaborOrderStatus.order_id).in_(order_ids)))).all()
    for row in sorted(rows, key=lambda r: (r.effective_on is None, r.effective_on, r.status)):
        found.setdefault(row.order_id, []).append(row)
    return found
