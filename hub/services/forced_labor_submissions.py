"""Admissibility submissions (19 CFR 12.43(a); R-FL-03): the certificate of origin, the ultimate consignee's
statement, supply-chain tracing documents and a structured supply chain, and the flags the Hub raises on it.

Everything is checked before anything is stored: the window (SUBMISSION_AFTER_WINDOW), each document by its content
(a file named or declared as a PDF must be a PDF: DOCUMENT_TYPE_MISMATCH), and the supply chain. Objects are then
written to the store before any row names them (hub/services/documents.py), and the rows in one transaction.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.forced_labor_tables import ForcedLaborDetention, ForcedLaborDocument, ForcedLaborOrder, ForcedLaborSupplier
from hub.domain import forced_labor as domain
from hub.domain.calendar import BusinessCalendar
from hub.domain.forced_labor_orders import OrderStatus, names_match, normalize_name
from hub.errors import InvalidInput
from hub.events.outbox import FORCED_LABOR_EVENTS, emit
from hub.services.documents import StoredDocument, document_type, store_document
from hub.services.forced_labor import events_of
from hub.storage import ObjectStore

MAX_TIERS = 10
MAX_SUPPLIERS = 200
MAX_TRACING_DOCUMENTS = 20
_BY_EXTENSION = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
                 ".webp": "image/webp"}


class DocumentKind(enum.StrEnum):
    CERTIFICATE_OF_ORIGIN = "CERTIFICATE_OF_ORIGIN"  # § 12.43(a): signed by the foreign seller or owner
    ULTIMATE_CONSIGNEE_STATEMENT = "ULTIMATE_CONSIGNEE_STATEMENT"  # § 12.43(a): tracing efforts and their results
    SUPPLY_CHAIN_TRACING = "SUPPLY_CHAIN_TRACING"


@dataclass(frozen=True)
class Upload:
    kind: DocumentKind
    filename: str
    declared_type: str | None  # the Content-Type the client sent, if any
    data: bytes


@dataclass(frozen=True)
class Supplier:
    tier: int
    entity: str
    country: str
    role: str


def claimed_type(filename: str, declared: str | None) -> str | None:
    """What the upload claims to be: its declared type, else its file extension."""
    if declared and declared.strip() and declared.strip().lower() != "application/octet-stream":
        return declared.split(";")[0].strip().lower()
    return _BY_EXTENSION.get(PurePosixPath(filename.lower()).suffix)


def check_document(upload: Upload) -> str:
    """The content type by content; DOCUMENT_TYPE_MISMATCH when the name or declared type says otherwise."""
    actual = document_type(upload.data) if upload.data else ""
    if not upload.data:
        raise InvalidInput("the document is empty", code="EMPTY_DOCUMENT")
    claim = claimed_type(upload.filename, upload.declared_type)
    if claim is not None and claim != actual:
        raise InvalidInput(f"{upload.kind.value}: the file claims to be {claim} but its content is {actual}",
                           code="DOCUMENT_TYPE_MISMATCH")
    return actual


def check_suppliers(suppliers: list[Supplier]) -> list[Supplier]:
    if len(suppliers) > MAX_SUPPLIERS:
        raise InvalidInput(f"at most {MAX_SUPPLIERS} suppliers", code="INVALID_SUPPLY_CHAIN")
    cleaned = []
    for s in suppliers:
        entity, country, role = s.entity.strip(), s.country.strip(), s.role.strip()
        if not (1 <= s.tier <= MAX_TIERS) or not entity or not country or not role or \
                max(len(entity), len(country), len(role)) > 300:
            raise InvalidInput(f"each supplier has a tier 1-{MAX_TIERS}, an entity, a country and a role",
                               code="INVALID_SUPPLY_CHAIN")
        cleaned.append(Supplier(s.tier, entity, country[:80], role[:80]))
    return cleaned


async def flagging_orders(session: AsyncSession) -> list[ForcedLaborOrder]:
    """Orders a supplier can match: in force (ACTIVE or MODIFIED) and naming an entity."""
    rows = (await session.exec(select(ForcedLaborOrder).where(
        col(ForcedLaborOrder.status).in_([OrderStatus.ACTIVE.value, OrderStatus.MODIFIED.value])))).all()
    return [r for r in rows if r.names]


def match_supplier(entity: str, orders: list[ForcedLaborOrder]) -> ForcedLaborOrder | None:
    """The first (oldest) order one of whose names matches (hub.domain.forced_labor_orders.names_match)."""
    name = normalize_name(entity)
    for order in sorted(orders, key=lambda o: (o.effective_on, o.id)):
        if any(names_match(name, listed) for listed in order.names):
            return order
    return None


async def submit(session: AsyncSession, store: ObjectStore, row: ForcedLaborDetention, uploads: list[Upload],
                 suppliers: list[Supplier], org_id: str, client_id: str, calendar: BusinessCalendar,
                 now: datetime) -> list[ForcedLaborSupplier]:
    events = events_of(row)
    domain.submission_open(events, domain.clocks(events, calendar), now)
    kinds = {u.kind for u in uploads}
    missing = [k.value for k in (DocumentKind.CERTIFICATE_OF_ORIGIN, DocumentKind.ULTIMATE_CONSIGNEE_STATEMENT)
               if k not in kinds and not await _has_document(session, row.id, k)]
    if missing:
        # § 12.43(a): both the certificate and the statement are required (they may come in separate submissions
        # only if one is already on file).
        raise InvalidInput(f"missing {', '.join(missing)} (19 CFR 12.43(a))", code="MISSING_PROOF_DOCUMENT")
    if sum(1 for u in uploads if u.kind is DocumentKind.SUPPLY_CHAIN_TRACING) > MAX_TRACING_DOCUMENTS:
        raise InvalidInput(f"at most {MAX_TRACING_DOCUMENTS} tracing documents", code="TOO_MANY_DOCUMENTS")
    for upload in uploads:
        check_document(upload)
    cleaned = check_suppliers(suppliers)
    stored: list[tuple[Upload, StoredDocument]] = []
    for upload in uploads:  # objects first, rows last: a failure leaves at worst an orphan object
        stored.append((upload, await store_document(store, upload.filename, upload.data)))
    for upload, doc in stored:
        session.add(ForcedLaborDocument(
            detention_id=row.id, kind=upload.kind.value, object_key=doc.key, digest=doc.digest,
            content_type=doc.content_type, size=doc.size, filename=doc.filename, submitted_at=now,
            submitted_by_org_id=org_id, submitted_by_client=client_id))
    orders = await flagging_orders(session) if cleaned else []
    written = []
    for s in cleaned:
        match = match_supplier(s.entity, orders)
        supplier = ForcedLaborSupplier(detention_id=row.id, tier=s.tier, entity=s.entity, country=s.country,
                                       role=s.role, matched_order_id=match.id if match else None, submitted_at=now)
        session.add(supplier)
        written.append(supplier)
    row.version += 1
    session.add(row)
    await session.flush()
    await emit(session, FORCED_LABOR_EVENTS["SUBMITTED"], "ForcedLaborDetention", row.id, now, now)
    return written


async def _has_document(session: AsyncSession, detention_id: str, kind: DocumentKind) -> bool:
    query = select(ForcedLaborDocument.id).where(ForcedLaborDocument.detention_id == detention_id,
                                                 ForcedLaborDocument.kind == kind.value)
    return (await session.exec(query)).first() is not None
