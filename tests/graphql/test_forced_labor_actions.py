"""CBP's steps on forced-labor detentions over GraphQL, on SQLite and PostgreSQL (the ``harness`` fixture): no
exclusion (WRO) or seizure (Finding) while the importer's 3-month proof window is open unless submitted proof was
decided insufficient (19 CFR 12.43(a), 12.44(b)-(c)); steps in time order, never in the future; the stored outcome
always the stage's; a detention's entry, when the Hub has it, belongs to the detention's importer. Every refusal has
its code and writes nothing (row counts of the forced-labor tables, fl_metric_cells and the outbox, and the row).
Also: migration 0010's inlined fill equals the cells the writes keep.
"""

from __future__ import annotations

import importlib.util
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import SQLModel, col, select

from hub.db.adcvd_tables import Entry
from hub.db.event_tables import OutboxEvent
from hub.db.forced_labor_tables import (
    ForcedLaborAllegation,
    ForcedLaborDetention,
    ForcedLaborDocument,
    ForcedLaborMetricCell,
    ForcedLaborOrder,
    ForcedLaborOrderStatus,
    ForcedLaborSupplier,
)
from hub.db.tables import Organization, OrgKind
from hub.graphql.relay import from_global_id, to_global_id
from hub.services.demo_adcvd import BROKER_FILER, entry_number
from tests.conftest import HubHarness
from tests.graphql.bond_helpers import count_rows, new_entry_number
from tests.graphql.detention_helpers import (
    ACME,
    COASTLINE,
    HARBOR,
    OFFICER,
    code,
    days_ago,
    gql,
    multipart,
    org_gid,
    pdf,
)

FIELDS = "id authority stage outcome entryNumber proofDueOn"
RECORD = f"""mutation($input: RecordForcedLaborDetentionInput!) {{
  recordForcedLaborDetention(input: $input) {{ {FIELDS} }} }}"""
ACTION = f"""mutation($input: ForcedLaborActionInput!) {{ recordForcedLaborAction(input: $input) {{ {FIELDS} }} }}"""
SUBMIT = f"""mutation($id: ID!, $coo: Upload, $ucs: Upload) {{
  submitAdmissibility(detentionId: $id, supplyChain: [], certificateOfOrigin: $coo,
                      ultimateConsigneeStatement: $ucs) {{ {FIELDS} }} }}"""
PAGE = f"""query($after: String) {{ forcedLaborDetentions(first: 50, after: $after) {{
  edges {{ node {{ {FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
TABLES: tuple[type[SQLModel], ...] = (ForcedLaborDetention, ForcedLaborDocument, ForcedLaborSupplier,
                                      ForcedLaborAllegation, ForcedLaborOrder, ForcedLaborOrderStatus,
                                      ForcedLaborMetricCell, OutboxEvent)
MIGRATION = Path(__file__).resolve().parents[2] / "hub/db/migrations/versions/0010_forced_labor_metric_cells.py"


async def order_pk(harness: HubHarness, order_type: str, entity_start: str) -> str:
    async with harness.hub.sessions() as session:
        rows = (await session.exec(select(ForcedLaborOrder).where(col(ForcedLaborOrder.order_type) == order_type))
                ).all()
    found = [r for r in rows if r.scope.startswith(entity_start)]
    assert len(found) == 1, found
    return found[0].id


async def detain(harness: HubHarness, authority: str, presented_days_ago: float, importer: str = ACME,
                 entry: str | None = None) -> dict[str, Any]:
    order = {"WRO": ("WRO", "Hoshine Silicon"), "FINDING": ("FINDING", "Top Glove")}.get(authority)
    variables = {"input": {
        "authority": authority, "orderId": to_global_id("WithholdReleaseOrder", await order_pk(harness, *order))
        if order else None, "entryNumber": entry or new_entry_number(), "importerId": org_gid(harness, importer),
        "portCode": "2704", "description": "Test goods", "value": "1000.00",
        "importedOn": days_ago(presented_days_ago + 1).date().isoformat(),
        "presentedAt": days_ago(presented_days_ago).isoformat()}}
    body = await gql(harness, OFFICER, RECORD, variables)
    assert "errors" not in body, body
    node: dict[str, Any] = body["data"]["recordForcedLaborDetention"]
    return node


async def act(harness: HubHarness, detention: dict[str, Any], action: str, at: datetime | None = None,
              **extra: Any) -> dict[str, Any]:
    variables = {"input": {"detentionId": detention["id"], "action": action,
                           "at": at.isoformat() if at else None, **extra}}
    return await gql(harness, OFFICER, ACTION, variables)


async def snapshot(harness: HubHarness, detention: dict[str, Any] | None = None) -> tuple[object, ...]:
    """Row counts of every forced-labor table, the metric cells and the outbox, and the detention row itself."""
    counts = tuple([await count_rows(harness, m) for m in TABLES])
    if detention is None:
        return counts
    async with harness.hub.sessions() as session:
        row = await session.get(ForcedLaborDetention, from_global_id(detention["id"])[1])
        assert row is not None
        cells = sorted(tuple(c) for c in (await session.exec(select(ForcedLaborMetricCell))).all())
    return counts, row.model_dump(), cells


async def submit_proof(harness: HubHarness, detention: dict[str, Any]) -> None:
    status, body = await multipart(harness, COASTLINE, SUBMIT, {"id": detention["id"], "coo": None, "ucs": None},
                                   {"variables.coo": ("coo.pdf", pdf(), "application/pdf"),
                                    "variables.ucs": ("statement.pdf", pdf(), "application/pdf")})
    assert status == 200 and "errors" not in body, body


# --- 19 CFR 12.44(b)-(c): no exclusion or seizure while the proof window is open -----------------------------------

async def test_exclusion_and_seizure_wait_for_the_proof_window(harness: HubHarness) -> None:
    for authority, action in (("WRO", "EXCLUDE"), ("FINDING", "SEIZE")):
        detention = await detain(harness, authority, 20)  # day 21 after importation: the window is open
        before = await snapshot(harness, detention)
        assert code(await act(harness, detention, action)) == "PROOF_WINDOW_OPEN", authority
        assert code(await act(harness, detention, action, proofInsufficient=True)) == "NO_PROOF_SUBMITTED"
        assert code(await act(harness, detention, "RELEASE", proofInsufficient=True)) == "INVALID_DECISION"
        assert await snapshot(harness, detention) == before
        # The importer's broker submits proof; CBP decides it insufficient and may then act before the window ends.
        await submit_proof(harness, detention)
        submitted = await snapshot(harness, detention)
        assert code(await act(harness, detention, action)) == "PROOF_WINDOW_OPEN"  # submitted but not decided
        assert await snapshot(harness, detention) == submitted
        body = await act(harness, detention, action, proofInsufficient=True, note="Tracing stops at tier 1.")
        assert "errors" not in body, body
        node = body["data"]["recordForcedLaborAction"]
        expected = "EXCLUDED" if action == "EXCLUDE" else "SEIZED"
        assert (node["stage"], node["outcome"]) == (expected, expected)
        async with harness.hub.sessions() as session:
            event = (await session.exec(select(OutboxEvent).where(
                col(OutboxEvent.object_id) == from_global_id(detention["id"])[1]).order_by(
                col(OutboxEvent.seq).desc()))).first()
        assert event is not None and event.detail == "PROOF_INSUFFICIENT"
        assert event.type == ("forced_labor.excluded" if action == "EXCLUDE" else "forced_labor.seized")


async def test_exclusion_and_seizure_after_the_window_and_uflpa_unchanged(harness: HubHarness) -> None:
    wro, finding = await detain(harness, "WRO", 100), await detain(harness, "FINDING", 100)
    assert wro["stage"] == finding["stage"] == "PROOF_WINDOW_LAPSED"
    assert (await act(harness, wro, "EXCLUDE"))["data"]["recordForcedLaborAction"]["outcome"] == "EXCLUDED"
    assert (await act(harness, finding, "SEIZE"))["data"]["recordForcedLaborAction"]["outcome"] == "SEIZED"
    uflpa = await detain(harness, "UFLPA", 3)  # 19 CFR 151.16: no 3-month window; exclusion any time
    assert (await act(harness, uflpa, "EXCLUDE"))["data"]["recordForcedLaborAction"]["outcome"] == "EXCLUDED"


# --- steps in time order ---------------------------------------------------------------------------------------------

async def test_back_dated_and_future_steps_write_nothing(harness: HubHarness) -> None:
    finding = await detain(harness, "FINDING", 120)
    assert "errors" not in await act(harness, finding, "SEIZE", days_ago(5))
    before = await snapshot(harness, finding)
    # The audit's case: a RELEASE dated 2 days before the seizure was accepted (API SEIZED, stored RELEASED).
    assert code(await act(harness, finding, "RELEASE", days_ago(7))) == "ACTION_OUT_OF_ORDER"
    assert code(await act(harness, finding, "EXPORT", days_ago(7))) == "ACTION_OUT_OF_ORDER"
    assert await snapshot(harness, finding) == before
    wro = await detain(harness, "WRO", 120)
    assert "errors" not in await act(harness, wro, "EXCLUDE", days_ago(10))
    after_exclusion = await snapshot(harness, wro)
    assert code(await act(harness, wro, "EXPORT", days_ago(11))) == "ACTION_OUT_OF_ORDER"
    assert code(await act(harness, wro, "PROTEST", days_ago(1) + timedelta(days=2))) == "ACTION_IN_FUTURE"
    assert code(await act(harness, wro, "PROTEST", days_ago(121))) == "ACTION_BEFORE_PRESENTATION"
    assert await snapshot(harness, wro) == after_exclusion
    # In order, the same steps are recorded, and the stored outcome follows the stage.
    body = await act(harness, wro, "EXPORT", days_ago(9))
    assert body["data"]["recordForcedLaborAction"]["outcome"] == "EXPORTED", body


async def test_stored_outcome_always_equals_the_stage(harness: HubHarness) -> None:
    """Every detention the officer sees: the API's stage-derived outcome equals fl_detentions.outcome, but for a
    UFLPA deemed exclusion (time-driven: stored None, counted by the metrics from deemed_excluded_at)."""
    seen: dict[str, dict[str, Any]] = {}
    after = None
    while True:
        page = (await gql(harness, OFFICER, PAGE, {"after": after}))["data"]["forcedLaborDetentions"]
        seen.update({from_global_id(e["node"]["id"])[1]: e["node"] for e in page["edges"]})
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    async with harness.hub.sessions() as session:
        stored = {r.id: r.outcome for r in (await session.exec(select(ForcedLaborDetention))).all()}
    assert set(seen) == set(stored) and len(stored) >= 9
    for pk, node in seen.items():
        if node["stage"] == "DEEMED_EXCLUDED" and stored[pk] is None:
            assert node["authority"] == "UFLPA"
            continue
        assert node["outcome"] == stored[pk], node


# --- the entry the detention is linked to ----------------------------------------------------------------------------

async def test_entry_of_another_importer_is_refused(harness: HubHarness) -> None:
    number = entry_number(BROKER_FILER, 1)  # a demo AD/CVD entry filed for Acme (hub/services/demo_adcvd.py)
    async with harness.hub.sessions() as session:
        entry = (await session.exec(select(Entry).where(col(Entry.number) == number))).one()
        owner = await session.get(Organization, entry.importer_org_id)
    assert owner is not None and owner.kind is OrgKind.IMPORTER
    other = HARBOR if harness.demo[ACME]["organization_id"] == owner.id else ACME
    order = to_global_id("WithholdReleaseOrder", await order_pk(harness, "WRO", "Hoshine Silicon"))
    variables = {"input": {"authority": "WRO", "orderId": order, "entryNumber": number.replace("-", ""),
                           "importerId": org_gid(harness, other), "portCode": "2704", "description": "Test goods",
                           "value": "1000.00", "importedOn": days_ago(3).date().isoformat(),
                           "presentedAt": days_ago(2).isoformat()}}
    before = await snapshot(harness)
    assert code(await gql(harness, OFFICER, RECORD, variables)) == "ENTRY_IMPORTER_MISMATCH"
    assert await snapshot(harness) == before
    variables["input"]["importerId"] = to_global_id("Organization", owner.id)
    linked = await gql(harness, OFFICER, RECORD, variables)
    assert linked["data"]["recordForcedLaborDetention"]["entryNumber"] == number  # the entries row's number
    unknown = await detain(harness, "WRO", 2, entry=new_entry_number())  # filed outside the Hub: kept as validated
    assert unknown["stage"] == "DETAINED"


# --- migration 0010: the inlined fill --------------------------------------------------------------------------------

async def test_migration_0010_fill_equals_the_cells_the_writes_keep(harness: HubHarness) -> None:
    """0010 fills fl_metric_cells with its own SQL (no hub import): on the data the writes left, its SELECT gives the
    stored cells (the columns of revision 0010)."""
    spec = importlib.util.spec_from_file_location("migration_0010", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert "import hub" not in MIGRATION.read_text() and "from hub" not in MIGRATION.read_text()
    columns = ("period_kind", "period", "order_key", "shipments", "importers", "value_cents", "released", "exported",
               "excluded", "seized", "pending", "resolved", "resolved_within_window", "median_days_halves")
    async with harness.hub.sessions() as session:
        dialect = session.get_bind().dialect.name
        connection = await session.connection()
        stored = sorted(tuple(r) for r in (await connection.execute(
            text(f"SELECT {', '.join(columns)} FROM fl_metric_cells"))).all())
        filled: list[tuple[Any, ...]] = []
        for period in module.PERIODS:
            filled += [tuple(r) for r in (await connection.execute(text(module.select_sql(dialect, period)))).all()]
    assert stored and sorted(filled) == stored
