"""Resolvers for detentions: rows through row scopes, each row reduced to its view and policy subject."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry
from sqlmodel import col, select
from strawberry.types import Info

from hub.db.ipr_tables import Detention
from hub.db.scopes import detentions_visible_to
from hub.domain import detentions as domain
from hub.errors import InvalidInput
from hub.graphql.context import HubContext
from hub.graphql.relay import Connection, check_first, connection, decode_cursor, to_global_id
from hub.graphql.types.detention_parts import (
    AccessEntry,
    AuthenticationRequestType,
    Disclosure,
    DisclosureItem,
    DocumentType,
    ImageType,
    ImageVariantEnum,
    ImporterResponseType,
    OverdueItem,
    PhotoGuideType,
    RecordationOwner,
    RecordationType,
    SampleRequestType,
    TimelineEntry,
)
from hub.graphql.types.detentions import DetentionType, detention_type
from hub.policy.detention_facts import DetentionView, ViewerTies, detention_view, owner_request_subject
from hub.policy.detention_facts import recordation_subject as recordation_policy_subject
from hub.policy.explain import explain

Ctx = Info[HubContext, Any]


async def build_views(ctx: HubContext, rows: Sequence[Detention]) -> list[DetentionView]:
    """Views for a page of rows: a fixed handful of queries, whatever the page size."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    loaders = ctx.loaders.detentions
    links = await loaders.recordation_numbers.load_many(ids)
    owned = await loaders.owned_recordations() if ctx.principal.org_kind == "IP_OWNER" else {}
    acked = await loaders.acknowledged.load_many(ids) if owned else [False] * len(ids)
    ties = ViewerTies(
        org_id=ctx.principal.organization_id,
        poa=await ctx.loaders.poa_relations() if ctx.principal.org_kind == "BROKER" else {},
        owned_recordations=owned,
        acknowledged=frozenset(i for i, a in zip(ids, acked, strict=True) if a),
    )
    return [detention_view(r, ties, numbers, ctx.now, ctx.hub.calendar) for r, numbers in zip(rows, links, strict=True)]


async def detention_by_id(info: Ctx, pk: str) -> DetentionType | None:
    ctx = info.context
    async with ctx.hub.sessions() as session:
        row = await session.get(Detention, pk)
    if row is None:
        return None
    view = (await build_views(ctx, [row]))[0]
    # Absent and not allowed look alike: an id tells nothing about a case one may not see.
    if not ctx.decide("ReadDetention", view.subject).allowed:
        return None
    return detention_type(view)


async def detentions(info: Ctx, first: int | None, after: str | None) -> Connection[DetentionType]:
    ctx = info.context
    size = check_first(first, ctx.hub.settings.page_size_max)
    query = select(Detention).where(detentions_visible_to(ctx.principal, ctx.now))
    if after is not None:
        presented, pk = decode_cursor(after, 2)
        at = datetime.fromisoformat(presented)
        # Newest first; keyset on (presented_at, id) so a deep page costs what the first does.
        query = query.where((col(Detention.presented_at) < at)
                            | ((col(Detention.presented_at) == at) & (col(Detention.id) < pk)))
    query = query.order_by(col(Detention.presented_at).desc(), col(Detention.id).desc()).limit(size + 1)
    async with ctx.hub.sessions() as session:
        rows = list((await session.exec(query)).all())
    views = await build_views(ctx, rows)
    keys = [(r.presented_at.isoformat(), r.id) for r in rows]
    return connection([detention_type(v) for v in views], keys, size, after is not None)


async def recordations_of(info: Ctx, view: DetentionView) -> list[RecordationType]:
    ctx = info.context
    recs = [r for r in await ctx.loaders.detentions.recordation.load_many(list(view.recordation_numbers)) if r]
    owners = await ctx.loaders.organization.load_many([r.owner_org_id for r in recs])
    guides = await ctx.loaders.detentions.guides.load_many([r.number for r in recs])
    out = []
    for rec, owner, rec_guides in zip(recs, owners, guides, strict=True):
        out.append(RecordationType(
            number=rec.number, mark=rec.mark, status=rec.status, expires_on=rec.expires_on,
            owner=RecordationOwner(id=strawberry.ID(to_global_id("Organization", rec.owner_org_id)),
                                   name=owner.name if owner else ""),
            subject=recordation_policy_subject(rec, ctx.principal.organization_id),
            guides=[PhotoGuideType(id=strawberry.ID(to_global_id("PhotoGuide", g.id)), title=g.title,
                                   content_type=g.content_type, size=g.size, uploaded_at=g.uploaded_at,
                                   url=ctx.hub.file_urls.url(ctx.principal.client_id, g.id, "GUIDE", ctx.now))
                    for g in rec_guides],
        ))
    return out


async def images_of(info: Ctx, view: DetentionView) -> list[ImageType]:
    ctx = info.context
    unredacted = ctx.allowed("ReadUnredactedImages", view.subject)
    variant = ImageVariantEnum.UNREDACTED if unredacted else ImageVariantEnum.REDACTED
    urls = ctx.hub.file_urls
    client = ctx.principal.client_id
    return [
        ImageType(id=strawberry.ID(to_global_id("DetentionImage", img.id)), variant=variant,
                  url=urls.url(client, img.id, variant.value, ctx.now),
                  thumbnail_url=urls.url(client, img.id, f"THUMB_{variant.value}", ctx.now),
                  width=img.width, height=img.height, content_type=img.content_type)
        for img in await ctx.loaders.detentions.images.load(view.row.id)
    ]


def disclosure_of(info: Ctx, view: DetentionView) -> Disclosure:
    ctx = info.context
    result = explain(lambda action: ctx.decide(action, view.subject), view)

    def lines(items: Any) -> list[DisclosureItem]:
        return [DisclosureItem(item=i.item, rule_ids=list(i.rule_ids), explanation=i.explanation) for i in items]

    return Disclosure(as_of=ctx.now, policy_version=ctx.hub.policy.version,
                      calendar_version=view.clocks.calendar_version, visible=lines(result.visible),
                      withheld=lines(result.withheld), next_disclosure_at=result.next_at,
                      next_disclosure=result.next_text)


async def timeline_of(info: Ctx, view: DetentionView) -> list[TimelineEntry]:
    events = await info.context.loaders.detentions.timeline.load(view.row.id)
    return [TimelineEntry(type=e.type, at=e.at, recorded_at=e.recorded_at, note=e.note) for e in events]


async def responses_of(info: Ctx, view: DetentionView) -> list[ImporterResponseType]:
    answers = await info.context.loaders.detentions.responses.load(view.row.id)
    return [
        ImporterResponseType(
            id=strawberry.ID(to_global_id("ImporterResponse", a.id)), submitted_at=a.submitted_at,
            statement=a.statement,
            documents=[DocumentType(filename=str(d["filename"]), content_type=str(d["content_type"]),
                                    size=int(d["size"]), digest=str(d["digest"])) for d in a.documents],
        )
        for a in answers
    ]


async def authentication_requests_of(info: Ctx, view: DetentionView) -> list[AuthenticationRequestType]:
    ctx = info.context
    out = []
    for r in await ctx.loaders.detentions.authentication.load(view.row.id):
        subject = owner_request_subject(r.id, r.owner_org_id, ctx.principal.organization_id, view.row.le_hold)
        if not ctx.allowed("ReadOwnerRequest", subject):
            continue
        t = domain.authentication_turnaround(r.requested_at, r.determined_at)
        out.append(AuthenticationRequestType(
            id=strawberry.ID(to_global_id("AuthenticationRequest", r.id)), requested_at=r.requested_at,
            due_at=t.due_at, determination=r.determination, determined_at=r.determined_at,
            turnaround_hours=t.hours, within_target=t.within_target,
            owner_id=strawberry.ID(to_global_id("Organization", r.owner_org_id))))
    return out


async def sample_requests_of(info: Ctx, view: DetentionView) -> list[SampleRequestType]:
    ctx = info.context
    out = []
    for s in await ctx.loaders.detentions.samples.load(view.row.id):
        subject = owner_request_subject(s.id, s.owner_org_id, ctx.principal.organization_id, view.row.le_hold)
        if ctx.allowed("ReadOwnerRequest", subject):
            out.append(SampleRequestType(id=strawberry.ID(to_global_id("SampleRequest", s.id)), kind=s.kind,
                                         requested_at=s.requested_at, bond_number=s.bond_number,
                                         bond_amount=f"{s.bond_amount:.2f}", status=s.status))
    return out


async def access_log_of(info: Ctx, view: DetentionView, first: int) -> list[AccessEntry]:
    if not 0 < first <= 1000:
        raise InvalidInput("first must be 1 to 1000", code="INVALID_PAGE_SIZE")
    entries = (await info.context.loaders.detentions.access_log.load(view.row.id))[:first]
    return [AccessEntry(at=e.at, client_id=e.client_id,
                        organization_id=strawberry.ID(to_global_id("Organization", e.organization_id)),
                        item=e.item, rule_ids=[r for r in e.rule_ids.split(",") if r], channel=e.channel)
            for e in entries]


async def _late(ctx: HubContext, view: DetentionView) -> list[domain.Overdue]:
    requests = await ctx.loaders.detentions.authentication.load(view.row.id)
    open_requests = [domain.authentication_turnaround(r.requested_at, None).due_at
                     for r in requests if r.determined_at is None]
    return domain.overdue(view.events, view.clocks, ctx.now, le_hold=view.row.le_hold,
                          authentication_due=open_requests)


async def overdue_of(info: Ctx, view: DetentionView) -> list[OverdueItem]:
    return [OverdueItem(kind=o.kind, due_at=o.due_at, rule_id=o.rule_id) for o in await _late(info.context, view)]


async def overdue_detentions(info: Ctx, first: int | None) -> list[DetentionType]:
    """Open cases with a missed deadline at ``now`` (CBP). Released cases cannot become overdue."""
    ctx = info.context
    size = check_first(first, ctx.hub.settings.page_size_max)
    query = (select(Detention).where(detentions_visible_to(ctx.principal, ctx.now),
                                     col(Detention.released_at).is_(None))
             .order_by(col(Detention.presented_at), col(Detention.id)))
    async with ctx.hub.sessions() as session:
        rows = list((await session.exec(query)).all())
    views = [v for v in await build_views(ctx, rows) if ctx.allowed("ReadOverdue", v.subject)]
    # One query for every case's authentication requests, then the pure overdue check per case.
    await ctx.loaders.detentions.authentication.load_many([v.row.id for v in views])
    found = []
    for view in views:
        if await _late(ctx, view):
            found.append(detention_type(view))
            if len(found) == size:
                break
    return found
