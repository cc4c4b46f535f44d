"""What the trade does on a detention: the importer's answer, and the right holder's acknowledgement,
authentication determination, sample requests and photographic standards guides.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.bond_tables import Bond
from hub.db.ipr_tables import (
    AuthenticationRequest,
    Detention,
    DetentionEvent,
    DetentionRecordation,
    ImporterResponse,
    OwnerAcknowledgement,
    PhotoGuide,
    SampleRequest,
)
from hub.db.tables import Recordation
from hub.domain import bonds as bond_domain
from hub.domain import detention_workflow as wf
from hub.domain.bond_guides import guide_book
from hub.domain.detentions import Events
from hub.errors import Conflict, InvalidInput, NotFound
from hub.policy.detention_facts import events_of
from hub.services.bonds import status_now
from hub.services.detentions import apply_step, load_for_update
from hub.services.documents import StoredDocument

DETERMINATIONS = ("COUNTERFEIT", "AUTHENTIC", "INCONCLUSIVE")
SAMPLE_KINDS = ("REDACTED", "UNREDACTED", "SEIZED")


def check_response(events: Events, statement: str, now: datetime) -> str:
    """Everything that could refuse an answer, checked before its documents are stored."""
    text = statement.strip()
    if not text or len(text) > 10_000:
        raise InvalidInput("a response states its grounds (1-10,000 characters)", code="INVALID_STATEMENT")
    wf.record_response(events, now, now)
    return text


def check_guide_title(title: str) -> str:
    name = title.strip()
    if not name or len(name) > 200:
        raise InvalidInput("a guide has a title (1-200 characters)", code="INVALID_TITLE")
    return name


async def respond(
    session: AsyncSession, detention_id: str, org_id: str, client_id: str, statement: str,
    documents: Sequence[StoredDocument], now: datetime,
) -> ImporterResponse:
    """§ 133.21(b)(2)(i)(B): the importer shows, within 7 business days, that the mark is not counterfeit."""
    row = await load_for_update(session, detention_id)
    text = check_response(events_of(row), statement, now)
    await apply_step(session, row, "IMPORTER_RESPONDED", now, now, client_id,
                     lambda e: wf.record_response(e, now, now))
    answer = ImporterResponse(detention_id=row.id, submitted_at=now, submitted_by_org_id=org_id,
                              submitted_by_client=client_id, statement=text,
                              documents=[d.as_json() for d in documents])
    session.add(answer)
    await session.flush()
    return answer


async def acknowledge_trade_secrets_notice(
    session: AsyncSession, detention: Detention, owner_org_id: str, client_id: str, now: datetime
) -> OwnerAcknowledgement:
    """§ 133.21(c)(1): the owner acknowledges that disclosed information serves CBP's determination only."""
    existing = await session.get(OwnerAcknowledgement, (detention.id, owner_org_id))
    if existing is not None:
        return existing
    ack = OwnerAcknowledgement(detention_id=detention.id, owner_org_id=owner_org_id, acknowledged_at=now)
    session.add(ack)
    session.add(DetentionEvent(detention_id=detention.id, type="TSA_ACKNOWLEDGED", at=now, recorded_at=now,
                               client_id=client_id))
    await session.flush()
    return ack


async def request_authentication(
    session: AsyncSession, detention: Detention, recordation_number: str, client_id: str, now: datetime
) -> AuthenticationRequest:
    named = await session.get(DetentionRecordation, (detention.id, recordation_number))
    recordation = await session.get(Recordation, recordation_number)
    if named is None or recordation is None:
        raise InvalidInput("the recordation is not named on this detention", code="RECORDATION_NOT_ON_CASE")
    request = AuthenticationRequest(detention_id=detention.id, owner_org_id=recordation.owner_org_id,
                                    requested_at=now)
    session.add(request)
    session.add(DetentionEvent(detention_id=detention.id, type="AUTHENTICATION_REQUESTED", at=now, recorded_at=now,
                               client_id=client_id, note=recordation_number))
    await session.flush()
    return request


async def submit_determination(
    session: AsyncSession, request: AuthenticationRequest, determination: str, note: str | None, client_id: str,
    now: datetime,
) -> AuthenticationRequest:
    if determination not in DETERMINATIONS:
        raise InvalidInput(f"determination is one of {DETERMINATIONS}", code="INVALID_DETERMINATION")
    if request.determination is not None:
        raise Conflict("already determined", code="ALREADY_DETERMINED")
    request.determination = determination
    request.determined_at = now
    request.note = (note or "").strip()[:2000] or None
    session.add(request)
    session.add(DetentionEvent(detention_id=request.detention_id, type="AUTHENTICATION_DETERMINED", at=now,
                               recorded_at=now, client_id=client_id, note=determination))
    await session.flush()
    return request


async def request_sample(
    session: AsyncSession, detention: Detention, owner_org_id: str, kind: str, bond_number: str, bond_amount: str,
    client_id: str, now: datetime,
) -> SampleRequest:
    """R-IPR-07, § 133.21(b)(5), (c)(2), (f): every sample to the owner needs a sample bond."""
    if kind not in SAMPLE_KINDS:
        raise InvalidInput(f"kind is one of {SAMPLE_KINDS}", code="INVALID_SAMPLE_KIND")
    number = bond_domain.validate_bond_number(bond_number, guide_book())
    try:
        amount = Decimal(bond_amount)
    except InvalidOperation:
        raise InvalidInput("bond amount is a decimal string", code="INVALID_AMOUNT") from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput("bond amount is positive with at most 2 decimals", code="INVALID_AMOUNT")
    await check_sample_bond(session, number, owner_org_id, now)
    sample = SampleRequest(detention_id=detention.id, owner_org_id=owner_org_id, kind=kind, requested_at=now,
                           bond_number=number, bond_amount=amount)
    session.add(sample)
    session.add(DetentionEvent(detention_id=detention.id, type="SAMPLE_REQUESTED", at=now, recorded_at=now,
                               client_id=client_id, note=kind))
    await session.flush()
    return sample


async def check_sample_bond(session: AsyncSession, number: str, owner_org_id: str, now: datetime) -> Bond:
    """The bond a sample request names is a filed IPR sample bond (§ 113.70) of the requesting owner, in force now."""
    bond = (await session.exec(select(Bond).where(Bond.number == number))).first()
    if bond is None:
        raise InvalidInput(f"no bond {number} is on file", code="UNKNOWN_BOND")
    if bond.purpose != bond_domain.Purpose.IPR_SAMPLE.value:
        raise InvalidInput(f"bond {number} is not an IPR sample bond (§ 113.70)", code="NOT_A_SAMPLE_BOND")
    if bond.principal_org_id != owner_org_id:
        raise InvalidInput(f"bond {number} is not the requesting owner's sample bond", code="SAMPLE_BOND_NOT_OWNERS")
    state = await status_now(session, bond, now)
    if state is not bond_domain.BondStatus.ACTIVE:
        raise InvalidInput(f"sample bond {number} is {state.value}", code="BOND_NOT_ACTIVE", status=state.value)
    return bond


async def add_photo_guide(
    session: AsyncSession, recordation: Recordation, title: str, document: StoredDocument, now: datetime
) -> PhotoGuide:
    name = check_guide_title(title)
    guide = PhotoGuide(recordation_number=recordation.number, owner_org_id=recordation.owner_org_id, title=name,
                       object_key=document.key, digest=document.digest, content_type=document.content_type,
                       size=document.size, uploaded_at=now)
    session.add(guide)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("guide exists", code="GUIDE_EXISTS") from exc
    return guide


async def guides_for_recordations(session: AsyncSession, numbers: Sequence[str]) -> dict[str, list[PhotoGuide]]:
    grouped: dict[str, list[PhotoGuide]] = {n: [] for n in numbers}
    if numbers:
        rows = await session.exec(select(PhotoGuide).where(col(PhotoGuide.recordation_number).in_(list(numbers)))
                                  .order_by(col(PhotoGuide.uploaded_at)))
        for g in rows.all():
            grouped[g.recordation_number].append(g)
    return grouped


async def get_request(session: AsyncSession, request_id: str) -> AuthenticationRequest:
    request = await session.get(AuthenticationRequest, request_id)
    if request is None:
        raise NotFound("no such authentication request", code="UNKNOWN_REQUEST")
    return request
