"""GET /files/{token}: detention images and photographic standards guides, streamed after a fresh decision.

The URL is a capability for one client, one object and one variant, for at most 5 minutes; the caller
must also send a bearer token of that client. At fetch the policy is asked again at the fetch's own
``now`` (the detention may have changed stage since the URL was minted), the disclosure is logged, and
the bytes stream with Range and ETag support, never held whole in memory.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from hub.audit.log import Disclosure, record
from hub.auth.bearer import authenticate, coded_error
from hub.auth.principal import Principal
from hub.db import detention_queries as queries
from hub.db.audit_tables import DisclosureChannel
from hub.db.ipr_tables import Detention, DetentionImage, PhotoGuide
from hub.db.session import transaction
from hub.db.tables import Recordation
from hub.errors import HubError, NotFound
from hub.logs import request_id
from hub.policy.detention_facts import ViewerTies, detention_view, recordation_subject
from hub.policy.engine import Decision
from hub.policy.facts import poa_relations, principal_facts
from hub.runtime import Hub
from hub.services.parties import active_poa_pairs

log = logging.getLogger("hub.files")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_VARIANTS = {
    "REDACTED": ("redacted_key", "redacted_digest", "ReadRedactedImages"),
    "UNREDACTED": ("original_key", "original_digest", "ReadUnredactedImages"),
    "THUMB_REDACTED": ("thumb_redacted_key", None, "ReadRedactedImages"),
    "THUMB_UNREDACTED": ("thumb_original_key", None, "ReadUnredactedImages"),
}


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    log.info("file fetch refused", extra={"event": "files.refused", "code": code})
    return coded_error(status, code, message, headers)


async def fetch(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    now = datetime.now(UTC)
    try:
        grant = hub.file_urls.verify(request.path_params["token"], now)
    except HubError as exc:
        return _error(403, exc.code, exc.message)
    principal = authenticate(hub.validator, request, now)
    if isinstance(principal, Response):
        return principal
    if principal.client_id != grant.client_id:
        return _error(403, "FILE_URL_NOT_YOURS", "this URL was made for another client")
    try:
        key, etag, content_type, decision, object_id = await _decide(
            hub, principal, grant.variant, grant.object_id, now)
    except HubError as exc:
        return _error(exc.http_status, exc.code, exc.message)
    if not decision.allowed:
        return _error(403, "DISCLOSURE_NOT_ALLOWED_NOW", f"not allowed now ({', '.join(decision.rule_ids)})")
    info = await hub.store.stat(key)
    tag = f'"{etag or info.etag}"'
    headers = {"ETag": tag, "Accept-Ranges": "bytes", "Cache-Control": "private, no-store",
               "X-Content-Type-Options": "nosniff"}
    if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    start, end, status = 0, info.size - 1, 200
    match = _RANGE.fullmatch(request.headers.get("range", "").strip())
    if match and (match.group(1) or match.group(2)) and request.headers.get("if-range", tag) == tag:
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last), info.size - 1) if last else info.size - 1
        else:
            start = max(0, info.size - int(last))
        if start > end or start >= info.size:
            return _error(416, "RANGE_NOT_SATISFIABLE", "range outside the file",
                          {"Content-Range": f"bytes */{info.size}"})
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
    # The disclosure is logged before the first byte leaves (DESIGN.md "Audit").
    async with transaction(hub.sessions) as session:
        await record(session, [Disclosure(
            client_id=principal.client_id, organization_id=principal.organization_id,
            object_type="Detention" if grant.variant != "GUIDE" else "PhotoGuide", object_id=object_id,
            item=f"file:{grant.variant}:{grant.object_id}", rule_ids=decision.rule_ids,
            policy_version=decision.policy_version, channel=DisclosureChannel.IMAGE_FETCH, at=now,
            request_id=request_id.get())])
    stream = await hub.store.get(key, start=start, end=end)
    headers["Content-Length"] = str(end - start + 1)

    async def body() -> AsyncIterator[bytes]:
        async with stream:
            async for chunk in stream:
                yield chunk

    return StreamingResponse(body(), status_code=status, headers=headers, media_type=content_type)


async def _decide(
    hub: Hub, principal: Principal, variant: str, object_id: str, now: datetime
) -> tuple[str, str | None, str, Decision, str]:
    viewer = principal_facts(principal)
    async with hub.sessions() as session:
        if variant == "GUIDE":
            guide = await session.get(PhotoGuide, object_id)
            recordation = await session.get(Recordation, guide.recordation_number) if guide else None
            if guide is None or recordation is None:
                raise NotFound("no such file", code="UNKNOWN_FILE")
            subject = recordation_subject(recordation, principal.organization_id)
            decision = hub.policy.decide(viewer, "ReadPhotoGuides", subject.resource_type, subject.facts)
            return guide.object_key, guide.digest, guide.content_type, decision, guide.id
        if variant not in _VARIANTS:
            raise NotFound("no such file", code="UNKNOWN_FILE")
        image = await session.get(DetentionImage, object_id)
        detention = await session.get(Detention, image.detention_id) if image else None
        if image is None or detention is None:
            raise NotFound("no such file", code="UNKNOWN_FILE")
        ties = ViewerTies(
            org_id=principal.organization_id,
            poa=poa_relations(principal.organization_id, await active_poa_pairs(session, principal.organization_id)),
            owned_recordations=await queries.owned_recordations(session, principal.organization_id),
            acknowledged=frozenset(await queries.acknowledged(session, principal.organization_id, [detention.id])),
        )
        numbers = (await queries.recordation_numbers(session, [detention.id]))[detention.id]
    view = detention_view(detention, ties, numbers, now, hub.calendar)
    key_attr, digest_attr, action = _VARIANTS[variant]
    decision = hub.policy.decide(viewer, action, "Detention", view.subject.facts)
    content_type = image.content_type if digest_attr else "image/jpeg"
    digest = getattr(image, digest_attr) if digest_attr else None
    return getattr(image, key_attr), digest, content_type, decision, detention.id


routes = [Route("/files/{token}", fetch, methods=["GET"])]
