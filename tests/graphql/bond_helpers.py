"""Helpers shared by the bond API tests: queries, mutations, unique numbers, row counts."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import SQLModel, col, select

from hub.db.bond_tables import Bond, BondInsufficiencyNotice, BondSecuredEntry
from hub.db.event_tables import OutboxEvent
from hub.domain.identifiers import entry_check_digit
from hub.services.demo_bonds import ACME_BOND, HARBOR_BOND, SAMPLE_BOND
from tests.conftest import HubHarness
from tests.graphql.detention_helpers import gql, org_gid

DEMO_BONDS = {ACME_BOND, HARBOR_BOND, SAMPLE_BOND}
SURETY_CODE = "457"
BOND_FIELDS = """
  id number type purpose activityCode status amount requiredAmount shortfall effectiveOn terminatesOn riders
  principal { id name } surety { code name } coSurety { code name } insufficientFrom supersedes supersededBy
  insufficiencyNotices { id noticedAt reason requiredAmount insufficientAt takesEffect supersededAt }
  openExposure securedEntryCount securedEntries { entryNumber entryDate enteredValue dtf adcvdBonded adcvdOpen }
"""
BOND = f"query($number: String!) {{ bond(number: $number) {{ {BOND_FIELDS} }} }}"
PAGE = ("query($first: Int, $after: String, $order: BondOrder! = NUMBER, $surety: String) { "
        "bonds(first: $first, after: $after, orderBy: $order, suretyCode: $surety) { "
        f"edges {{ cursor node {{ {BOND_FIELDS} }} }} pageInfo {{ hasNextPage hasPreviousPage endCursor }} }} }}")
SUFFICIENCY = """query($number: String!) { bondSufficiency(number: $number) {
  bondNumber asOf ruleId basis guideId guideVersion requiredAmount currentAmount shortfall sufficient
  inputs { name value } } }"""
FILE = f"mutation($input: FileBondInput!) {{ fileBond(input: $input) {{ {BOND_FIELDS} }} }}"
NOTICE = ("mutation($input: RecordBondInsufficiencyInput!) { "
          f"recordBondInsufficiency(input: $input) {{ {BOND_FIELDS} }} }}")
SECURE = f"mutation($input: SecureEntryInput!) {{ secureEntry(input: $input) {{ {BOND_FIELDS} }} }}"


def new_number() -> str:
    return uuid.uuid4().hex[:9].upper()


def new_entry_number() -> str:
    base = f"ZZ9{uuid.uuid4().int % 10_000_000:07d}"
    return f"{base[:3]}-{base[3:]}-{entry_check_digit(base)}"


def iso(at: datetime | date) -> str:
    return at.isoformat()


def today() -> date:
    return datetime.now(UTC).date()


def file_input(harness: HubHarness, principal_client: str, **overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "number": new_number(), "type": "SINGLE_TRANSACTION", "activityCode": "1",
        "principalId": org_gid(harness, principal_client), "suretyCode": SURETY_CODE, "amount": "30000.00",
        "effectiveOn": iso(today()), "enteredValue": "10000.00", "dtf": "500.00", "pgaRegulated": True,
    }
    spec.update(overrides)
    return spec


async def file_bond(harness: HubHarness, client_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    return await gql(harness, client_id, FILE, {"input": spec})


async def bond(harness: HubHarness, client_id: str, number: str) -> dict[str, Any] | None:
    body = await gql(harness, client_id, BOND, {"number": number})
    assert "errors" not in body, body
    node: dict[str, Any] | None = body["data"]["bond"]
    return node


async def all_bonds(harness: HubHarness, client_id: str, order: str = "NUMBER", first: int = 50,
                    surety: str | None = None) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        body = await gql(harness, client_id, PAGE, {"first": first, "after": after, "order": order,
                                                    "surety": surety})
        assert "errors" not in body, body
        page = body["data"]["bonds"]
        nodes += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def count_rows(harness: HubHarness, model: type[SQLModel]) -> int:
    async with harness.hub.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def bond_rows(harness: HubHarness) -> tuple[object, ...]:
    """Everything a bond action may write: bonds, notices, secured entries, bond events - counted - and each
    bond's version, termination, amount and DTF and each notice's superseding, so an UPDATE shows too."""
    async with harness.hub.sessions() as session:
        events = int((await session.exec(select(func.count()).select_from(OutboxEvent)
                                         .where(col(OutboxEvent.object_type) == "Bond"))).one())
        bonds = [tuple(r) for r in (await session.exec(
            select(Bond.id, Bond.version, Bond.terminates_on, Bond.amount, Bond.dtf).order_by(col(Bond.id)))).all()]
        notices = [tuple(r) for r in (await session.exec(
            select(BondInsufficiencyNotice.id, BondInsufficiencyNotice.superseded_at,
                   BondInsufficiencyNotice.superseded_by_bond_id).order_by(col(BondInsufficiencyNotice.id)))).all()]
    return (await count_rows(harness, Bond), await count_rows(harness, BondInsufficiencyNotice),
            await count_rows(harness, BondSecuredEntry), events, bonds, notices)


async def bond_events(harness: HubHarness, bond_pk: str) -> list[str]:
    async with harness.hub.sessions() as session:
        rows = (await session.exec(select(OutboxEvent.type).where(col(OutboxEvent.object_id) == bond_pk)
                                   .order_by(col(OutboxEvent.seq)))).all()
    return list(rows)
