"""Bond mutations: file a bond (or a superseding one), CBP's insufficiency notice, securing an entry.

Each asks the policy about the bond as the caller sees it, then runs one service in one transaction; bad
input changes nothing and returns a coded error (README "Bonds").
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from hub.db.bond_tables import Bond
from hub.db.session import transaction
from hub.errors import NotFound
from hub.graphql.context import HubContext
from hub.graphql.guard import root
from hub.graphql.relay import pk_of
from hub.graphql.resolvers.bonds import nodes_of, ties_of, views_of
from hub.graphql.types.bonds import BondNode
from hub.policy.bond_facts import bond_facts_subject
from hub.services import bonds
from hub.services.bond_views import BondView

Ctx = Info[HubContext, Any]


@strawberry.input
class FileBondInput:
    number: str
    type: str = strawberry.field(description="CONTINUOUS | SINGLE_TRANSACTION")
    activity_code: str
    principal_id: strawberry.ID
    surety_code: str
    amount: str = strawberry.field(description="Decimal string, e.g. \"50000.00\".")
    effective_on: date
    co_surety_code: str | None = None
    terminates_on: date | None = None
    purpose: str = "GENERAL"
    riders: list[str] = strawberry.field(default_factory=list)
    dtf: str | None = strawberry.field(default=None, description=(
        "DTF of the previous 12 months (continuous, R-BOND-02) or of the transaction (single, R-BOND-04)."))
    entered_value: str | None = None
    pga_regulated: bool = False
    adcvd_rate_percent: str | None = None
    adcvd_subject_value: str | None = None
    sites: int = 1
    supersedes_number: str | None = strawberry.field(default=None, description=(
        "The bond this one supersedes (R-BOND-03): it terminates when this one takes effect."))


@strawberry.input
class RecordBondInsufficiencyInput:
    bond_id: strawberry.ID
    reason: str
    noticed_at: datetime | None = None
    required_amount: str | None = None
    dtf: str | None = strawberry.field(default=None, description="CBP's DTF figure for the previous 12 months.")
    note: str | None = None


@strawberry.input
class SecureEntryInput:
    bond_id: strawberry.ID
    entry_number: str
    entry_date: date
    entered_value: str
    dtf: str
    adcvd_bonded: bool = False
    adcvd_open: str = "0.00"



async def _view(ctx: HubContext, bond_id: strawberry.ID) -> BondView:
    pk = pk_of(bond_id, "Bond")
    async with ctx.hub.sessions() as session:
        row = await session.get(Bond, pk)
    views = await views_of(ctx, [row]) if row else []
    if not views or not ctx.allowed("ReadBond", views[0].subject):
        raise NotFound("no such bond", code="UNKNOWN_BOND")
    return views[0]


async def _reloaded(ctx: HubContext, pk: str) -> BondNode:
    async with ctx.hub.sessions() as session:
        row = await session.get(Bond, pk)
    assert row is not None
    return nodes_of(ctx, await views_of(ctx, [row]))[0]


@strawberry.type
class BondMutations:
    @root("A surety (eBond) or a CBP officer (paper Form 301) files a bond; with supersedesNumber, a superseding "
          "bond (R-BOND-03).")
    async def file_bond(self, info: Ctx, input: FileBondInput) -> BondNode:
        ctx = info.context
        principal_pk = pk_of(input.principal_id, "Organization")
        ties = await ties_of(ctx)
        me = ctx.principal.organization_id
        async with ctx.hub.sessions() as session:
            # Who may file is decided before anything else is validated: an error about the principal's other
            # bonds (BOND_OVERLAP, ...) must not answer a caller who may not file for it. Surety codes are public.
            surety = await bonds.surety_by_code(session, input.surety_code)
            co_surety = await bonds.co_surety_by_code(session, input.co_surety_code) if input.co_surety_code else None
        ctx.require("FileBond", bond_facts_subject(ties, principal_pk, surety.id, co_surety.id if co_surety else None,
                                                   me, input.purpose.strip().upper()))
        spec = bonds.NewBond(
            number=input.number, type=input.type, activity_code=input.activity_code,
            principal_org_id=principal_pk, surety_code=input.surety_code,
            amount=input.amount, effective_on=input.effective_on, co_surety_code=input.co_surety_code,
            terminates_on=input.terminates_on, purpose=input.purpose, riders=list(input.riders), dtf=input.dtf,
            entered_value=input.entered_value, pga_regulated=input.pga_regulated,
            adcvd_rate_percent=input.adcvd_rate_percent, adcvd_subject_value=input.adcvd_subject_value,
            sites=input.sites, supersedes_number=input.supersedes_number)
        async with transaction(ctx.hub.sessions) as session:
            prepared = await bonds.prepare_bond(session, spec, ctx.now)
            row = prepared.row
            ctx.require("FileBond", bond_facts_subject(ties, row.principal_org_id, row.surety_org_id,
                                                        row.co_surety_org_id, me, row.purpose))
            if prepared.supersedes is not None:
                # Superseding needs sight of the bond it replaces.
                old = (await views_of(ctx, [prepared.supersedes]))[0]
                if not ctx.allowed("ReadBond", old.subject):
                    raise NotFound("no such bond", code="UNKNOWN_BOND")
            filed = await bonds.file_bond(session, prepared, me, ctx.principal.client_id, ctx.now)
        return await _reloaded(ctx, filed.id)

    @root("CBP records a letter of insufficiency: the bond is INSUFFICIENT 15 days later unless superseded "
          "(R-BOND-03); principal and surety see it at once and get bond.insufficiency_noticed.")
    async def record_bond_insufficiency(self, info: Ctx, input: RecordBondInsufficiencyInput) -> BondNode:
        ctx = info.context
        view = await _view(ctx, input.bond_id)
        ctx.require("RecordBondInsufficiency", view.subject)
        async with transaction(ctx.hub.sessions) as session:
            await bonds.record_insufficiency(session, view.row.id, input.reason, input.noticed_at or ctx.now, ctx.now,
                                             ctx.principal.client_id, input.required_amount, input.dtf, input.note)
        return await _reloaded(ctx, view.row.id)

    @root("The importer, its broker with a power of attorney, or CBP secures an entry with an active bond "
          "(an insufficient bond secures nothing: BOND_INSUFFICIENT).")
    async def secure_entry(self, info: Ctx, input: SecureEntryInput) -> BondNode:
        ctx = info.context
        view = await _view(ctx, input.bond_id)
        ctx.require("SecureEntry", view.subject)
        spec = bonds.NewSecuredEntry(entry_number=input.entry_number, entry_date=input.entry_date,
                                     entered_value=input.entered_value, dtf=input.dtf,
                                     adcvd_bonded=input.adcvd_bonded, adcvd_open=input.adcvd_open)
        async with transaction(ctx.hub.sessions) as session:
            await bonds.secure_entry(session, view.row.id, spec, ctx.now, ctx.principal.client_id)
        return await _reloaded(ctx, view.row.id)
