"""Public forced-labor metrics identify no importer and no detention (issue 7 item 5; R-FL-02; FACTS §6.4), on SQLite
and PostgreSQL: a cell is published to viewers without ReadForcedLaborMetrics only with at least ``minCell``
detentions of at least three importers, none of them dominant (> 0.8 of the detentions or of the value), for whole
periods only, and a quarter or year only when each of its months passes; failing cells are left out, key and all.
CBP and the labor agency (DOL) keep every cell.

The detentions are new, under orders no other test detains under, of fresh importers, in 2023 (committed once per
backend), so they change no other test's cells.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from hub.db.forced_labor_tables import ForcedLaborDetention, ForcedLaborOrder
from hub.db.session import transaction
from hub.db.tables import Organization, OrgKind
from hub.graphql.relay import to_global_id
from hub.services import forced_labor
from tests.conftest import HubHarness
from tests.graphql.bond_helpers import new_entry_number
from tests.graphql.detention_helpers import ACME, ANALYST, PGAS, SURETY, code, gql

METRICS = """query($period: ForcedLaborPeriod!, $since: Date, $until: Date, $orderId: ID) {
  forcedLaborMetrics(period: $period, since: $since, until: $until, orderId: $orderId) {
    detailed minCell minImporters maxImporterShare
    cells { order { id } period suppressed shipments value released exported excluded seized pending } } }"""
PUBLIC = (PGAS[0], SURETY, ACME)  # Commerce (a PGA that is not the labor agency), a surety, an importer
DETAILED = (ANALYST, PGAS[1])  # CBP and DOL

# Per scenario: the month (2023) and, per detention, (importer index, value). Each scenario has its own order.
GOOD = [(i % 3, "1000.00") for i in range(6)]  # 6 detentions, 3 importers, 2 each
SCENARIOS: dict[str, list[tuple[int, list[tuple[int, str]]]]] = {
    "good": [(2, GOOD)],
    "two_importers": [(2, [(i % 2, "1000.00") for i in range(6)])],
    "dominant_count": [(2, [(0, "1000.00")] * 9 + [(1, "1000.00"), (2, "1000.00")])],  # 9/11 = 0.82
    "dominant_value": [(2, [(0, "90000.00")] * 2 + [(1, "100.00")] * 2 + [(2, "100.00")] * 2)],  # 2 of 6, 99.6 %
    "small": [(2, [(i, "1000.00") for i in range(4)])],  # 4 < minCell, 4 importers
    "hierarchy": [(4, GOOD), (5, [(3, "777.00")])],  # a passing April, a one-detention May: Q2 = April + May
}


@dataclass
class Seeded:
    orders: dict[str, str]  # scenario -> order global id


_SEEDED: dict[str, Seeded] = {}


async def seed(harness: HubHarness) -> Seeded:
    key = str(harness.hub.settings.data_dir)
    if key in _SEEDED:
        return _SEEDED[key]
    hub, now = harness.hub, datetime.now(UTC)
    async with transaction(hub.sessions) as session:
        used = set((await session.exec(select(ForcedLaborDetention.order_id).distinct())).all())
        candidates = (await session.exec(select(ForcedLaborOrder).where(
            col(ForcedLaborOrder.order_type) == "WRO", col(ForcedLaborOrder.status) != "REVOKED",
            col(ForcedLaborOrder.effective_on) <= date(2023, 1, 1)).order_by(
            col(ForcedLaborOrder.effective_on).desc(), col(ForcedLaborOrder.id)))).all()
        free = [o for o in candidates if o.id not in used]
        assert len(free) >= len(SCENARIOS)
        tag = uuid.uuid4().hex[:8]
        importers = [Organization(slug=f"flm-{tag}-{i}", name=f"Metrics Importer {tag} {i}", kind=OrgKind.IMPORTER,
                                  created_at=now) for i in range(4)]
        session.add_all(importers)
        await session.flush()
        orders: dict[str, str] = {}
        for (name, months), order in zip(SCENARIOS.items(), free, strict=False):
            orders[name] = to_global_id("WithholdReleaseOrder", order.id)
            for month, detentions in months:
                for n, (importer, value) in enumerate(detentions):
                    presented = datetime(2023, month, 5 + n, 15, tzinfo=UTC)
                    spec = forced_labor.NewDetention(
                        authority="WRO", order_id=order.id, entry_number=new_entry_number(),
                        importer_org_id=importers[importer].id, port_code="2704", description="metrics test",
                        value=value, imported_on=(presented - timedelta(days=2)).date(), presented_at=presented)
                    row = await forced_labor.prepare_detention(session, spec, hub.calendar, now)
                    await forced_labor.record_detention(session, row, "test", now)
    _SEEDED[key] = Seeded(orders)
    return _SEEDED[key]


async def cells(harness: HubHarness, client: str, period: str, order: str | None = None,
                since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
    body = await gql(harness, client, METRICS, {"period": period, "orderId": order, "since": since, "until": until})
    assert "errors" not in body, body
    found: list[dict[str, Any]] = body["data"]["forcedLaborMetrics"]["cells"]
    return found


async def test_a_cell_of_three_importers_without_dominance_is_public(harness: HubHarness) -> None:
    order = (await seed(harness)).orders["good"]
    body = await gql(harness, PGAS[0], METRICS, {"period": "MONTH", "orderId": order})
    metrics = body["data"]["forcedLaborMetrics"]
    assert not metrics["detailed"]
    assert (metrics["minCell"], metrics["minImporters"], Decimal(metrics["maxImporterShare"])) == \
        (5, 3, Decimal("0.8"))
    expected = {"order": {"id": order}, "period": "2023-02", "suppressed": False, "shipments": 6,
                "value": "6000.00", "released": 0, "exported": 0, "excluded": 0, "seized": 0, "pending": 6}
    assert metrics["cells"] == [expected]
    for client in PUBLIC + DETAILED:  # whole quarters and years: the same figures, for everyone
        assert await cells(harness, client, "MONTH", order) == [expected]
        assert await cells(harness, client, "QUARTER", order) == [{**expected, "period": "2023-Q1"}]
        assert await cells(harness, client, "YEAR", order, "2023-01-01", "2023-12-31") == \
            [{**expected, "period": "2023"}]
    everything = await cells(harness, SURETY, "MONTH")  # without the order filter too
    assert expected in everything and not any(c["suppressed"] for c in everything)


async def test_each_failing_rule_leaves_the_cell_out_for_the_public_only(harness: HubHarness) -> None:
    orders = (await seed(harness)).orders
    every_public = {client: await cells(harness, client, "MONTH") for client in PUBLIC}
    for name, shipments in (("two_importers", 6), ("dominant_count", 11), ("dominant_value", 6), ("small", 4)):
        for client in DETAILED:
            for period, key in (("MONTH", "2023-02"), ("QUARTER", "2023-Q1"), ("YEAR", "2023")):
                got = await cells(harness, client, period, orders[name])
                assert [(c["period"], c["shipments"], c["suppressed"]) for c in got] == [(key, shipments, False)], \
                    (name, client)
        for client in PUBLIC:
            for period in ("MONTH", "QUARTER", "YEAR"):
                assert await cells(harness, client, period, orders[name]) == [], (name, client, period)
            assert not any((c["order"] or {}).get("id") == orders[name] for c in every_public[client]), name


async def test_a_quarter_or_year_with_a_failing_month_is_not_public(harness: HubHarness) -> None:
    order = (await seed(harness)).orders["hierarchy"]
    april = {"order": {"id": order}, "period": "2023-04", "suppressed": False, "shipments": 6, "value": "6000.00",
             "released": 0, "exported": 0, "excluded": 0, "seized": 0, "pending": 6}
    for client in PUBLIC:  # Q2 and 2023 minus April would be May's single detention
        assert await cells(harness, client, "MONTH", order) == [april]
        assert await cells(harness, client, "QUARTER", order) == []
        assert await cells(harness, client, "YEAR", order) == []
    for client in DETAILED:
        months = await cells(harness, client, "MONTH", order)
        assert [(c["period"], c["shipments"], c["value"]) for c in months] == [
            ("2023-04", 6, "6000.00"), ("2023-05", 1, "777.00")]
        quarter = await cells(harness, client, "QUARTER", order)
        assert [(c["period"], c["shipments"], c["value"]) for c in quarter] == [("2023-Q2", 7, "6777.00")]


async def test_a_window_that_cuts_a_period_is_refused_for_the_public(harness: HubHarness) -> None:
    order = (await seed(harness)).orders["good"]
    for client in PUBLIC:
        for period, since, until in (("MONTH", "2023-02-01", "2023-02-27"), ("MONTH", "2023-02-10", "2023-02-10"),
                                     ("MONTH", "2023-02-02", None), ("QUARTER", "2023-02-01", "2023-03-31"),
                                     ("YEAR", None, "2023-06-30"), ("YEAR", "2023-01-01", "2023-12-30")):
            body = await gql(harness, client, METRICS, {"period": period, "since": since, "until": until,
                                                         "orderId": order})
            assert code(body) == "PERIOD_NOT_ALIGNED", (client, period, since, until)
            assert body.get("data") is None and len(body["errors"]) == 1  # the code and nothing else
            message = body["errors"][0]["message"]
            assert "first day of a" in message and "last day of a" in message
    for client in DETAILED:  # CBP and DOL may cut periods
        got = await cells(harness, client, "MONTH", order, "2023-02-10", "2023-02-10")
        assert [(c["period"], c["shipments"]) for c in got] == [("2023-02", 1)]


async def test_differencing_yields_nothing_to_the_public(harness: HubHarness) -> None:
    """The audit's attacks: two windows one day apart, and a wider period minus its published parts."""
    orders = (await seed(harness)).orders
    good = orders["good"]
    # CBP's answers show what the attack would read (the detention of 2023-02-10: 1 shipment, 1000.00) ...
    whole = await cells(harness, ANALYST, "MONTH", good, "2023-02-01", "2023-02-28")
    cut = await cells(harness, ANALYST, "MONTH", good, "2023-02-01", "2023-02-09")
    assert [(c["shipments"], c["value"]) for c in whole + cut] == [(6, "6000.00"), (5, "5000.00")]
    for client in PUBLIC:
        # ... the public gets the whole month, and no shorter window to subtract from it.
        assert [c["shipments"] for c in await cells(harness, client, "MONTH", good, "2023-02-01",
                                                    "2023-02-28")] == [6]
        assert code(await gql(harness, client, METRICS, {"period": "MONTH", "orderId": good,
                                                          "since": "2023-02-01", "until": "2023-02-09"})) == \
            "PERIOD_NOT_ALIGNED"
        # Coarser minus finer: every published quarter and year equals the sum of its published months.
        months = await cells(harness, client, "MONTH", None, "2023-01-01", "2023-12-31")
        for period in ("QUARTER", "YEAR"):
            for cell in await cells(harness, client, period, None, "2023-01-01", "2023-12-31"):
                inside = [m for m in months if m["order"] == cell["order"]
                          and (period == "YEAR" or _quarter(m["period"]) == cell["period"])]
                assert sum(m["shipments"] for m in inside) == cell["shipments"], (client, cell)
                assert sum(Decimal(m["value"]) for m in inside) == Decimal(cell["value"]), (client, cell)
        # Suppressed cells leave no key: no order of a failing scenario appears in any period.
        failing = {orders[n] for n in ("two_importers", "dominant_count", "dominant_value", "small")}
        for period in ("MONTH", "QUARTER", "YEAR"):
            assert not failing & {(c["order"] or {}).get("id") for c in await cells(harness, client, period)}


def _quarter(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) + 2) // 3}"
