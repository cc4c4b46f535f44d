"""Detention mutations: CBP's steps of § 133.21, the importer's answer, the right holder's actions.

Each mutation asks the policy for its action on the detention as the caller sees it now, then runs
one service in one transaction; an invalid step changes nothing and returns a coded error.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from hub.db.ipr_tables import Detention
from hub.db.session import transaction
from hub.db.tables import Recordation
from hub.errors import InvalidInput, NotFound
from hub.graphql.context import HubContext
from hub.graphql.guard import root
from hub.graphql.relay import pk_of, to_global_id
from hub.graphql.resolvers.detentions import build_views
from hub.graphql.types.detentions import DetentionType, detention_type
from hub.graphql.uploads import read_upload
from hub.images import RedactionLabel, Region
from hub.policy.detention_facts import DetentionView, owner_request_subject, recordation_subject
from hub.policy.engine import freeze
from hub.policy.facts import Subject
from hub.services import detention_images, detention_parties, detentions
from hub.services.documents import store_document

Ctx = Info[HubContext, Any]
strawberry.enum(RedactionLabel, description="What a blacked-out region hides (§ 133.21(b)(5)).")


@strawberry.input
class RegionInput:
    x: int
    y: int
    width: int
    height: int
    label: RedactionLabel


@strawberry.input
class RecordDetentionInput:
    case_number: str
    regime: str
    conveyance: str
    port_code: str
    importer_id: strawberry.ID
    manufacturer_name: str
    manufacturer_address: str
    exporter_name: str
    exporter_address: str
    date_of_importation: date
    description: str
    quantity: int
    country_of_origin: str
    presented_at: datetime
    recordation_numbers: list[str]
    entry_number: str | None = None
    declared_value: str | None = None
    quantity_unit: str = "PCS"
    law_enforcement_hold: bool = False


@strawberry.enum
class Finding(enum.Enum):
    SUFFICIENT = "SUFFICIENT"
    INSUFFICIENT = "INSUFFICIENT"



async def _view(ctx: HubContext, detention_id: strawberry.ID) -> DetentionView:
    pk = pk_of(detention_id, "Detention")
    async with ctx.hub.sessions() as session:
        row = await session.get(Detention, pk)
    views = await build_views(ctx, [row]) if row else []
    if not views or not ctx.allowed("ReadDetention", views[0].subject):
        raise NotFound("no such detention", code="UNKNOWN_DETENTION")
    return views[0]


async def _reloaded(ctx: HubContext, pk: str) -> DetentionType:
    async with ctx.hub.sessions() as session:
        row = await session.get(Detention, pk)
    assert row is not None
    return detention_type((await build_views(ctx, [row]))[0])


async def _cbp_step(info: Ctx, detention_id: strawberry.ID, step: str, at: datetime | None, **kw: Any) -> DetentionType:
    ctx = info.context
    view = await _view(ctx, detention_id)
    ctx.require("ManageDetention", view.subject)
    async with transaction(ctx.hub.sessions) as session:
        await detentions.cbp_step(session, view.row.id, step, at or ctx.now, ctx.now, ctx.principal.client_id,
                                  ctx.hub.calendar, **kw)
    return await _reloaded(ctx, view.row.id)


_NEW_CASE = Subject("Detention", freeze({
    "relation": "NONE", "recordationActive": False, "tsaAcknowledged": False, "regime": "COUNTERFEIT_TRADEMARK",
    "leHold": False, "presented": False, "noticeSent": False, "limitedInfoReleased": False, "windowLapsed": False,
    "responseAllowsDisclosure": False, "notCounterfeit": False, "unredactedReleased": False,
    "importerNotified": False, "seized": False}))


@strawberry.type
class DetentionMutations:
    @root("CBP records goods presented for examination under a detention case.")
    async def record_detention(self, info: Ctx, input: RecordDetentionInput) -> DetentionType:
        ctx = info.context
        ctx.require("ManageDetention", _NEW_CASE)
        spec = detentions.NewDetention(
            case_number=input.case_number, regime=input.regime, conveyance=input.conveyance,
            port_code=input.port_code, importer_org_id=pk_of(input.importer_id, "Organization"),
            manufacturer_name=input.manufacturer_name, manufacturer_address=input.manufacturer_address,
            exporter_name=input.exporter_name, exporter_address=input.exporter_address,
            date_of_importation=input.date_of_importation, description=input.description, quantity=input.quantity,
            country_of_origin=input.country_of_origin, presented_at=input.presented_at,
            recordation_numbers=input.recordation_numbers, entry_number=input.entry_number,
            declared_value=input.declared_value, quantity_unit=input.quantity_unit,
            le_hold=input.law_enforcement_hold)
        async with transaction(ctx.hub.sessions) as session:
            row = await detentions.record_detention(session, spec, ctx.now, ctx.principal.client_id,
                                                    ctx.hub.settings.expedited_value_threshold)
        return await _reloaded(ctx, row.id)

    @root("CBP decides to detain (starts the 5-business-day notice clock).")
    async def detain_goods(self, info: Ctx, id: strawberry.ID, at: datetime | None = None) -> DetentionType:
        return await _cbp_step(info, id, "DETAINED", at)

    @root("CBP sends the notice of detention (starts the importer's 7 business days).")
    async def send_notice_of_detention(self, info: Ctx, id: strawberry.ID, at: datetime | None = None
                                       ) -> DetentionType:
        return await _cbp_step(info, id, "NOTICE_SENT", at)

    @root("CBP records its finding on the importer's response.")
    async def record_response_finding(self, info: Ctx, id: strawberry.ID, finding: Finding,
                                      at: datetime | None = None) -> DetentionType:
        return await _cbp_step(info, id, "FINDING_RECORDED", at, finding=finding.value)

    @root("CBP releases the limited importation information to the right holder (§ 133.21(b)(4)).")
    async def release_limited_information(self, info: Ctx, id: strawberry.ID,
                                          at: datetime | None = None) -> DetentionType:
        return await _cbp_step(info, id, "LIMITED_INFO_RELEASED", at)

    @root("CBP releases unredacted images after the importer's window (§ 133.21(b)(3)); notifies the importer.")
    async def release_unredacted_images(self, info: Ctx, id: strawberry.ID,
                                        at: datetime | None = None) -> DetentionType:
        return await _cbp_step(info, id, "UNREDACTED_RELEASED", at)

    @root("CBP seizes the goods, with the notice of seizure's time, description and quantity (§ 133.21(e)).")
    async def seize_goods(self, info: Ctx, id: strawberry.ID, at: datetime | None = None,
                          notice_of_seizure_at: datetime | None = None, description: str | None = None,
                          quantity: int | None = None) -> DetentionType:
        return await _cbp_step(info, id, "SEIZED", at, seizure_notice_at=notice_of_seizure_at,
                               seizure_description=description, seizure_quantity=quantity)

    @root("CBP sends a notice of seizure recorded after the seizure.")
    async def send_notice_of_seizure(self, info: Ctx, id: strawberry.ID,
                                     at: datetime | None = None) -> DetentionType:
        return await _cbp_step(info, id, "SEIZURE_NOTICE_SENT", at)

    @root("CBP releases the goods.")
    async def release_goods(self, info: Ctx, id: strawberry.ID, at: datetime | None = None) -> DetentionType:
        return await _cbp_step(info, id, "RELEASED", at)

    @root("CBP uploads a photo with the regions to black out (GraphQL multipart request).")
    async def upload_detention_image(self, info: Ctx, detention_id: strawberry.ID, file: Upload,
                                     regions: list[RegionInput]) -> DetentionType:
        try:
            return await DetentionMutations._upload_image(info, detention_id, file, regions)
        finally:
            await file.close()  # type: ignore[attr-defined]

    @staticmethod
    async def _upload_image(info: Ctx, detention_id: strawberry.ID, file: Upload,
                            regions: list[RegionInput]) -> DetentionType:
        ctx = info.context
        view = await _view(ctx, detention_id)
        ctx.require("ManageDetention", view.subject)
        settings = ctx.hub.settings
        data = (await read_upload(file, settings.max_image_bytes)).data
        parsed = [Region(r.x, r.y, r.width, r.height, r.label) for r in regions]
        async with transaction(ctx.hub.sessions) as session:
            await detention_images.add_image(session, ctx.hub.store, view.row, data, parsed, ctx.now,
                                             ctx.principal.client_id, max_bytes=settings.max_image_bytes,
                                             max_pixels=settings.max_image_pixels)
        return await _reloaded(ctx, view.row.id)

    @root("CBP asks the owner of a named recordation to authenticate the goods (target 24-48 hours).")
    async def request_authentication(self, info: Ctx, detention_id: strawberry.ID,
                                     recordation_number: str) -> DetentionType:
        ctx = info.context
        view = await _view(ctx, detention_id)
        ctx.require("ManageDetention", view.subject)
        async with transaction(ctx.hub.sessions) as session:
            await detention_parties.request_authentication(session, view.row, recordation_number.strip().upper(),
                                                           ctx.principal.client_id, ctx.now)
        return await _reloaded(ctx, view.row.id)

    @root("The importer, or its broker with a power of attorney, answers the notice of detention.")
    async def respond_to_detention(self, info: Ctx, detention_id: strawberry.ID, statement: str,
                                   documents: list[Upload] | None = None) -> DetentionType:
        try:
            return await DetentionMutations._respond(info, detention_id, statement, documents or [])
        finally:
            # Uploads are closed whatever happens, also when the answer is refused before reading them.
            for upload in documents or []:
                await upload.close()  # type: ignore[attr-defined]

    @staticmethod
    async def _respond(info: Ctx, detention_id: strawberry.ID, statement: str,
                       documents: list[Upload]) -> DetentionType:
        ctx = info.context
        view = await _view(ctx, detention_id)
        ctx.require("RespondToDetention", view.subject, code="NOT_IMPORTER_OR_NOT_NOTIFIED")
        # Check the answer and the step before any document is stored: a refused answer leaves nothing.
        detention_parties.check_response(view.events, statement, ctx.now)
        stored = []
        for upload in documents or []:
            received = await read_upload(upload, ctx.hub.settings.max_image_bytes)
            name, data = received.filename, received.data
            stored.append(await store_document(ctx.hub.store, name, data))
        async with transaction(ctx.hub.sessions) as session:
            await detention_parties.respond(session, view.row.id, ctx.principal.organization_id,
                                            ctx.principal.client_id, statement, stored, ctx.now)
        return await _reloaded(ctx, view.row.id)

    @root("The right holder acknowledges the Trade Secrets Act limited-purpose notice (§ 133.21(c)(1)).")
    async def acknowledge_trade_secrets_notice(self, info: Ctx, detention_id: strawberry.ID) -> DetentionType:
        ctx = info.context
        view = await _view(ctx, detention_id)
        ctx.require("ActAsRightsHolder", view.subject)
        async with transaction(ctx.hub.sessions) as session:
            await detention_parties.acknowledge_trade_secrets_notice(
                session, view.row, ctx.principal.organization_id, ctx.principal.client_id, ctx.now)
        return await _reloaded(ctx, view.row.id)

    @root("The right holder answers an authentication request: COUNTERFEIT, AUTHENTIC or INCONCLUSIVE.")
    async def submit_authentication_determination(self, info: Ctx, request_id: strawberry.ID, determination: str,
                                                  note: str | None = None) -> DetentionType:
        ctx = info.context
        async with ctx.hub.sessions() as session:
            request = await detention_parties.get_request(session, pk_of(request_id, "AuthenticationRequest"))
        view = await _view(ctx, strawberry.ID(to_global_id("Detention", request.detention_id)))
        ctx.require("ActAsRightsHolder", view.subject)
        ctx.require("ReadOwnerRequest", owner_request_subject(request.id, request.owner_org_id,
                                                              ctx.principal.organization_id, view.row.le_hold),
                    code="NOT_ADDRESSEE")
        async with transaction(ctx.hub.sessions) as session:
            fresh = await detention_parties.get_request(session, request.id)
            await detention_parties.submit_determination(session, fresh, determination.strip().upper(), note,
                                                         ctx.principal.client_id, ctx.now)
        return await _reloaded(ctx, view.row.id)

    @root("The right holder asks for a sample, under a sample bond (R-IPR-07).")
    async def request_sample(self, info: Ctx, detention_id: strawberry.ID, kind: str, bond_number: str,
                             bond_amount: str) -> DetentionType:
        ctx = info.context
        view = await _view(ctx, detention_id)
        ctx.require("ActAsRightsHolder", view.subject)
        # A sample is the goods themselves: the owner may ask only for what it may already see.
        needed = {"REDACTED": "ReadRedactedImages", "UNREDACTED": "ReadUnredactedImages",
                  "SEIZED": "ReadPartyIdentities"}.get(kind.strip().upper())
        if needed is None:
            raise InvalidInput("kind is REDACTED, UNREDACTED or SEIZED", code="INVALID_SAMPLE_KIND")
        ctx.require(needed, view.subject, code="SAMPLE_NOT_AVAILABLE_YET")
        async with transaction(ctx.hub.sessions) as session:
            await detention_parties.request_sample(session, view.row, ctx.principal.organization_id,
                                                   kind.strip().upper(), bond_number, bond_amount,
                                                   ctx.principal.client_id, ctx.now)
        return await _reloaded(ctx, view.row.id)

    @root("The right holder uploads a photographic standards guide for one of its recordations.")
    async def upload_photo_guide(self, info: Ctx, recordation_number: str, title: str, file: Upload) -> str:
        try:
            return await DetentionMutations._upload_guide(info, recordation_number, title, file)
        finally:
            await file.close()  # type: ignore[attr-defined]

    @staticmethod
    async def _upload_guide(info: Ctx, recordation_number: str, title: str, file: Upload) -> str:
        ctx = info.context
        async with ctx.hub.sessions() as session:
            recordation = await session.get(Recordation, recordation_number.strip().upper())
        if recordation is None:
            raise NotFound("no such recordation", code="UNKNOWN_RECORDATION")
        ctx.require("ManagePhotoGuides", recordation_subject(recordation, ctx.principal.organization_id),
                    code="RECORDATION_OF_ANOTHER_OWNER")
        detention_parties.check_guide_title(title)
        received = await read_upload(file, ctx.hub.settings.max_image_bytes)
        name, data = received.filename, received.data
        document = await store_document(ctx.hub.store, name, data)
        async with transaction(ctx.hub.sessions) as session:
            guide = await detention_parties.add_photo_guide(session, recordation, title, document, ctx.now)
        return to_global_id("PhotoGuide", guide.id)
