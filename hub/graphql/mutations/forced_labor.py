"""Forced-labor mutations: CBP records a detention and its steps (R-FL-03), the importer or its broker submits proof
of admissibility (19 CFR 12.43(a)), any authenticated party submits an allegation (12.42(b); R-FL-04) and CBP forwards
conforming ones. Each asks the policy first, then runs one service in one transaction; bad input writes nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from hub.db.forced_labor_tables import ForcedLaborDetention
from hub.db.session import transaction
from hub.domain.forced_labor_allegations import AllegationContent
from hub.errors import NotFound
from hub.graphql.context import HubContext
from hub.graphql.guard import root
from hub.graphql.relay import pk_of
from hub.graphql.resolvers.forced_labor import allegation_by_id, detention_by_id, views_of
from hub.graphql.types.forced_labor import AllegationNode, ForcedLaborAuthority, ForcedLaborDetentionNode
from hub.graphql.uploads import read_upload
from hub.policy.forced_labor_facts import DetentionTies, allegation_subject, detention_subject
from hub.services import forced_labor, forced_labor_allegations, forced_labor_submissions
from hub.services.forced_labor_submissions import DocumentKind, Supplier
from hub.services.forced_labor_views import DetentionView

Ctx = Info[HubContext, Any]


@strawberry.input
class RecordForcedLaborDetentionInput:
    authority: ForcedLaborAuthority
    order_id: strawberry.ID | None = strawberry.field(default=None, description="The WRO or Finding; none for UFLPA.")
    entry_number: str
    importer_id: strawberry.ID
    port_code: str
    description: str
    value: str = strawberry.field(description="Decimal string, e.g. \"48250.00\".")
    imported_on: date
    presented_at: datetime | None = None


@strawberry.input
class ForcedLaborActionInput:
    detention_id: strawberry.ID
    action: str = strawberry.field(description="RELEASE | EXCLUDE | SEIZE | EXPORT | PROTEST (R-FL-03)")
    at: datetime | None = None
    note: str | None = None
    proof_insufficient: bool = strawberry.field(default=False, description=(
        "CBP's decision that the importer's submitted proof is insufficient, with an EXCLUDE (WRO) or SEIZE "
        "(Finding): only then may either come before the 3-month proof window ends (19 CFR 12.43(a), 12.44(b)-(c))."))


@strawberry.input
class SupplierInput:
    tier: int
    entity: str
    country: str
    role: str


@strawberry.input
class AllegationInput:
    merchandise: str
    country: str = ""
    reasons: str = ""
    description: str = ""
    sample_provided: bool = False
    production_facts: str = ""



async def _visible(ctx: HubContext, detention_id: strawberry.ID) -> DetentionView:
    pk = pk_of(detention_id, "ForcedLaborDetention")
    async with ctx.hub.sessions() as session:
        row = await session.get(ForcedLaborDetention, pk)
    views = await views_of(ctx, [row]) if row else []
    if not views or not ctx.allowed("ReadForcedLaborDetention", views[0].subject):
        raise NotFound("no such forced-labor detention", code="UNKNOWN_DETENTION")
    return views[0]


async def _reloaded(info: Ctx, pk: str) -> ForcedLaborDetentionNode:
    node = await detention_by_id(info, pk)
    assert node is not None
    return node


async def _read(upload: Upload, kind: DocumentKind, limit: int) -> forced_labor_submissions.Upload:
    received = await read_upload(upload, limit)
    return forced_labor_submissions.Upload(kind, received.filename, received.content_type, received.data)


@strawberry.type
class ForcedLaborMutations:
    @root("A CBP officer records a shipment detained under a WRO, a Finding or UFLPA (19 CFR 12.42(e), (g); "
          "151.16), linked to the order and the entry.")
    async def record_forced_labor_detention(self, info: Ctx, input: RecordForcedLaborDetentionInput
                                            ) -> ForcedLaborDetentionNode:
        ctx = info.context
        importer_pk = pk_of(input.importer_id, "Organization")
        # Who may record is decided before the input is looked at: the answer must not depend on other rows.
        ctx.require("ManageForcedLaborDetention", detention_subject(DetentionTies(ctx.principal.organization_id, {}),
                                                                    importer_pk))
        spec = forced_labor.NewDetention(
            authority=input.authority.value,
            order_id=pk_of(input.order_id, "WithholdReleaseOrder") if input.order_id else None,
            entry_number=input.entry_number, importer_org_id=importer_pk, port_code=input.port_code,
            description=input.description, value=input.value, imported_on=input.imported_on,
            presented_at=input.presented_at or ctx.now)
        async with transaction(ctx.hub.sessions) as session:
            row = await forced_labor.prepare_detention(session, spec, ctx.hub.calendar, ctx.now)
            await forced_labor.record_detention(session, row, ctx.principal.client_id, ctx.now)
        return await _reloaded(info, row.id)

    @root("A CBP officer records a step: RELEASE (12.43(b)), EXCLUDE (12.44(b)), SEIZE (12.44(c), Findings), EXPORT "
          "(12.44(a), before seizure or deemed abandonment) or PROTEST (of an exclusion, within its 60 days).")
    async def record_forced_labor_action(self, info: Ctx, input: ForcedLaborActionInput) -> ForcedLaborDetentionNode:
        ctx = info.context
        view = await _visible(ctx, input.detention_id)
        ctx.require("ManageForcedLaborDetention", view.subject)
        async with transaction(ctx.hub.sessions) as session:
            await forced_labor.record_action(session, view.row.id, input.action, input.at or ctx.now,
                                             ctx.hub.calendar, ctx.now, input.note, input.proof_insufficient)
        return await _reloaded(info, view.row.id)

    @root("The importer of record or its broker submits proof of admissibility within 3 months of importation "
          "(19 CFR 12.43(a)): certificate of origin, ultimate consignee's statement, tracing documents (GraphQL "
          "multipart) and the supply chain; suppliers matching an active WRO/Finding entity are flagged.")
    async def submit_admissibility(
        self, info: Ctx, detention_id: strawberry.ID, supply_chain: list[SupplierInput],
        certificate_of_origin: Upload | None = None, ultimate_consignee_statement: Upload | None = None,
        tracing_documents: list[Upload] | None = None,
    ) -> ForcedLaborDetentionNode:
        ctx = info.context
        files = [(certificate_of_origin, DocumentKind.CERTIFICATE_OF_ORIGIN),
                 (ultimate_consignee_statement, DocumentKind.ULTIMATE_CONSIGNEE_STATEMENT),
                 *((u, DocumentKind.SUPPLY_CHAIN_TRACING) for u in tracing_documents or [])]
        try:
            view = await _visible(ctx, detention_id)
            ctx.require("SubmitAdmissibility", view.subject)
            limit = ctx.hub.settings.max_image_bytes
            uploads = [await _read(u, kind, limit) for u, kind in files if u is not None]
        finally:
            for upload, _ in files:  # closed whatever happens, also when refused before reading
                if upload is not None:
                    await upload.close()  # type: ignore[attr-defined]
        suppliers = [Supplier(s.tier, s.entity, s.country, s.role) for s in supply_chain]
        async with transaction(ctx.hub.sessions) as session:
            row = await forced_labor.load_for_update(session, view.row.id)
            await forced_labor_submissions.submit(session, ctx.hub.store, row, uploads, suppliers,
                                                  ctx.principal.organization_id, ctx.principal.client_id,
                                                  ctx.hub.calendar, ctx.now)
        return await _reloaded(info, view.row.id)

    @root("Any authenticated party submits an allegation (19 CFR 12.42(b)); a non-conforming one is returned with "
          "its deficiencies in writing (12.42(d)), a conforming one must be forwarded within 10 days (R-FL-04).")
    async def submit_forced_labor_allegation(self, info: Ctx, input: AllegationInput) -> AllegationNode:
        ctx = info.context
        ctx.require("SubmitAllegation", allegation_subject(ctx.principal.organization_id, None))
        content = AllegationContent(reasons=input.reasons, description=input.description,
                                    sample_provided=input.sample_provided, production_facts=input.production_facts,
                                    merchandise=input.merchandise, country=input.country)
        async with transaction(ctx.hub.sessions) as session:
            row = await forced_labor_allegations.submit_allegation(
                session, content, ctx.principal.organization_id, ctx.principal.client_id, ctx.now)
        node = await allegation_by_id(info, row.id)
        assert node is not None
        return node

    @root("A CBP officer forwards a conforming allegation to the Commissioner (19 CFR 12.42(d); R-FL-04).")
    async def forward_forced_labor_allegation(self, info: Ctx, allegation_id: strawberry.ID) -> AllegationNode:
        ctx = info.context
        pk = pk_of(allegation_id, "ForcedLaborAllegation")
        found = await allegation_by_id(info, pk)
        if found is None:
            raise NotFound("no such allegation", code="UNKNOWN_ALLEGATION")
        ctx.require("ForwardAllegation", allegation_subject(ctx.principal.organization_id, found.row.submitter_org_id))
        async with transaction(ctx.hub.sessions) as session:
            await forced_labor_allegations.forward_allegation(session, pk, ctx.now)
        node = await allegation_by_id(info, pk)
        assert node is not None
        return node
