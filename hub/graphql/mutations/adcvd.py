"""Recording an entry through GraphQL (issue 6, item 2): CBP, or a broker for importers whose power of attorney
it holds (policies/adcvd.cedar, R-AD-RECORD). One service call in one transaction; bad input changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from sqlmodel import col, select
from strawberry.types import Info

from hub.db.adcvd_tables import Entry
from hub.db.session import transaction
from hub.db.tables import Organization
from hub.domain.identifiers import parse_ior_number, validate_filer_code
from hub.graphql.context import HubContext
from hub.graphql.guard import root
from hub.graphql.resolvers.adcvd import nodes_of, ties_of
from hub.graphql.types.adcvd import EntryNode
from hub.policy.adcvd_facts import entry_subject
from hub.services import entries

Ctx = Info[HubContext, Any]


@strawberry.input
class EntryLineInput:
    line_number: int
    hts_number: str
    country_of_origin: str = strawberry.field(description="ISO 3166 alpha-2 CBP country of origin.")
    entered_value: str = strawberry.field(description="Decimal string, e.g. \"25000.00\".")
    adcvd_case_number: str | None = strawberry.field(default=None, description=(
        "A-CCC-NNN, its ACE form ACCCNNN, or the company-specific ACCCNNNSSS (R-AD-01)."))
    manufacturer: str | None = None


@strawberry.input
class RecordEntryInput:
    entry_number: str
    entry_type: str
    importer_ior: str
    filer_code: str
    port_code: str
    entry_date: date
    lines: list[EntryLineInput]
    liquidation_date: date | None = None
    bond_number: str | None = None
    suspension_lifted_on: date | None = None
    reimbursement_certificate_on_file: bool = False


@strawberry.type
class EntryMutations:
    @root("CBP, or a broker holding the importer's power of attorney, records an entry with its lines; an entry "
          "with a bond number is secured on that bond (R-BOND-03 applies).")
    async def record_entry(self, info: Ctx, input: RecordEntryInput) -> EntryNode:
        ctx = info.context
        ties = await ties_of(ctx)
        async with ctx.hub.sessions() as session:
            # Who may record is decided first: errors about the importer's data must not answer a caller who
            # may not record for it. An IOR number the Hub does not know gives no tie, hence FORBIDDEN unless CBP.
            ior = parse_ior_number(input.importer_ior).value
            importer = (await session.exec(select(Organization).where(col(Organization.ior_number) == ior))).first()
            filer = (await session.exec(select(Organization).where(
                col(Organization.filer_code) == validate_filer_code(input.filer_code)))).first()
        ctx.require("RecordEntry", entry_subject(ties, importer.id if importer else "", filer.id if filer else None,
                                                 ()))
        spec = entries.NewEntry(
            entry_number=input.entry_number, entry_type=input.entry_type, importer_ior=input.importer_ior,
            filer_code=input.filer_code, port_code=input.port_code, entry_date=input.entry_date,
            lines=tuple(entries.NewLine(ln.line_number, ln.hts_number, ln.country_of_origin, ln.entered_value,
                                        ln.adcvd_case_number, ln.manufacturer) for ln in input.lines),
            liquidation_date=input.liquidation_date, bond_number=input.bond_number,
            suspension_lifted_on=input.suspension_lifted_on,
            reimbursement_certificate_on_file=input.reimbursement_certificate_on_file)
        async with transaction(ctx.hub.sessions) as session:
            row = await entries.record_entry(session, spec, ctx.principal.organization_id, ctx.principal.client_id,
                                             ctx.now)
        async with ctx.hub.sessions() as session:
            stored = await session.get(Entry, row.id)
        assert stored is not None
        return (await nodes_of(ctx, [stored]))[0]
