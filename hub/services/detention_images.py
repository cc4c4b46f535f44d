"""Detention photos: process an upload, write every variant to the object store, then the row.

Objects are content-addressed and written first; the row comes last in the caller's transaction. A
crash in between leaves only objects no row names, which ``sweep_orphans`` removes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.ipr_tables import Detention, DetentionEvent, DetentionImage
from hub.errors import InvalidInput
from hub.events.outbox import DETENTION_STEP_EVENTS, emit
from hub.images import ImageVariant, Region, process_upload
from hub.images.keys import parse_object_key
from hub.storage import ObjectStore


async def add_image(
    session: AsyncSession, store: ObjectStore, detention: Detention, data: bytes, regions: Sequence[Region],
    now: datetime, client_id: str, *, max_bytes: int, max_pixels: int,
) -> DetentionImage:
    # Pillow work is CPU-bound: keep it off the event loop so other requests go on.
    processed = await asyncio.to_thread(process_upload, data, regions, max_bytes=max_bytes, max_pixels=max_pixels)
    for obj in processed.objects:
        await store.put(obj.key, obj.data, content_type=obj.content_type, length=obj.size)
    original = processed.variant(ImageVariant.ORIGINAL)
    redacted = processed.variant(ImageVariant.REDACTED)
    row = DetentionImage(
        detention_id=detention.id, content_type=original.content_type, width=processed.width,
        height=processed.height, original_key=original.key, original_digest=original.digest,
        original_size=original.size, redacted_key=redacted.key, redacted_digest=redacted.digest,
        redacted_size=redacted.size, thumb_original_key=processed.variant(ImageVariant.THUMB_ORIGINAL).key,
        thumb_redacted_key=processed.variant(ImageVariant.THUMB_REDACTED).key,
        regions=[{"x": r.x, "y": r.y, "width": r.width, "height": r.height, "label": r.label.value}
                 for r in processed.regions],
        uploaded_at=now, uploaded_by=client_id,
    )
    session.add(row)
    session.add(DetentionEvent(detention_id=detention.id, type="IMAGE_ADDED", at=now, recorded_at=now,
                               client_id=client_id))
    await emit(session, DETENTION_STEP_EVENTS["IMAGE_ADDED"], "Detention", detention.id, now, now)
    return row


async def sweep_orphans(session: AsyncSession, store: ObjectStore) -> int:
    """Delete image objects that no row names (left by a crash between object and row)."""
    named: set[str] = set()
    for row in (await session.exec(select(DetentionImage))).all():
        named.update({row.original_key, row.redacted_key, row.thumb_original_key, row.thumb_redacted_key})
    removed = 0
    async for key in store.list_keys("images/"):
        try:
            parse_object_key(key)
        except InvalidInput:
            continue
        if key not in named:
            await store.delete(key)
            removed += 1
    return removed


async def images_by_detention(session: AsyncSession, detention_ids: Sequence[str]) -> dict[str, list[DetentionImage]]:
    grouped: dict[str, list[DetentionImage]] = {i: [] for i in detention_ids}
    if not detention_ids:
        return grouped
    rows = await session.exec(
        select(DetentionImage).where(col(DetentionImage.detention_id).in_(list(detention_ids)))
        .order_by(col(DetentionImage.uploaded_at), col(DetentionImage.id))
    )
    for row in rows.all():
        grouped[row.detention_id].append(row)
    return grouped
