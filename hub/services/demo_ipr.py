"""Demo IPR detentions: every stage and edge of § 133.21 for both demo importers and both IP owners.

Event times are set relative to the seeding moment, so a fresh demo always shows an open window, a
lapsed one, a seizure, and so on. The cases run through the same services as real ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.ipr_tables import Detention
from hub.db.session import transaction
from hub.db.tables import DemoSeed, Organization, Recordation
from hub.domain.calendar import BusinessCalendar
from hub.images.demo_photos import DemoProduct, demo_photo
from hub.services import detention_images, detention_parties, detentions
from hub.services.documents import store_document
from hub.services.parties import organization_by_ref
from hub.storage import ObjectStore

IPR_SEED = "ipr"
DEMO_CLIENT = "demo-seed"
# A minimal, valid one-page PDF: the importer's answer and a brand guide in the demo.
_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Count 1/Kids[3 0 R]>>endobj "
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


@dataclass(frozen=True)
class Case:
    number: str
    importer: str
    recordations: tuple[str, ...]
    product: DemoProduct
    presented_days_ago: float
    steps: tuple[tuple[str, float], ...]  # (step, days ago)
    conveyance: str = "CARGO"
    value: str | None = "18500.00"
    le_hold: bool = False
    regime: str = "COUNTERFEIT_TRADEMARK"
    acknowledged_by: str | None = None
    response_days_ago: float | None = None


CASES = (
    Case("DEMO-2704-0001", "acme-home", ("TMK 21-00412",), DemoProduct.APPAREL_TAG, 3,
         (("DETAINED", 2.9), ("NOTICE_SENT", 2), ("LIMITED_INFO_RELEASED", 2))),
    Case("DEMO-2704-0002", "harbor-trading", ("TMK 19-01187",), DemoProduct.HEADPHONES_BOX, 20,
         (("DETAINED", 19.9), ("NOTICE_SENT", 19), ("UNREDACTED_RELEASED", 5)), acknowledged_by="vertex-audio"),
    Case("DEMO-2704-0003", "acme-home", ("TMK 19-01187",), DemoProduct.HEADPHONES_BOX, 18,
         (("DETAINED", 17.9), ("NOTICE_SENT", 17), ("FINDING_RECORDED:INSUFFICIENT", 12)), response_days_ago=15),
    Case("DEMO-2704-0004", "harbor-trading", ("TMK 21-00412",), DemoProduct.APPAREL_TAG, 12,
         (("DETAINED", 11.9), ("NOTICE_SENT", 11), ("FINDING_RECORDED:SUFFICIENT", 8), ("RELEASED", 7)),
         response_days_ago=9),
    Case("DEMO-2704-0005", "acme-home", ("TMK 18-00977",), DemoProduct.SNEAKER_BOX, 28,
         (("DETAINED", 27.9), ("NOTICE_SENT", 27), ("SEIZED", 6))),
    Case("DEMO-2704-0006", "harbor-trading", ("TMK 19-01187",), DemoProduct.HEADPHONES_BOX, 4,
         (("DETAINED", 3.9), ("NOTICE_SENT", 3)), le_hold=True),
    Case("DEMO-2704-0007", "acme-home", ("TMK 21-00412",), DemoProduct.APPAREL_TAG, 1.5,
         (("DETAINED", 1.4),), conveyance="MAIL", value="120.00"),
    Case("DEMO-2704-0008", "harbor-trading", ("TMK 18-00977",), DemoProduct.SNEAKER_BOX, 10,
         (("DETAINED", 9.9),)),
    Case("DEMO-2704-0009", "acme-home", ("TMK 21-00412", "TMK 19-01187"), DemoProduct.HANDBAG_CARD, 36,
         (("DETAINED", 35.9), ("NOTICE_SENT", 35))),
    Case("DEMO-2704-0010", "harbor-trading", ("TMK 21-00412",), DemoProduct.APPAREL_TAG, 6,
         (("DETAINED", 5.9), ("NOTICE_SENT", 5.5)), regime="GRAY_MARKET"),
)

_MAKERS = {
    DemoProduct.APPAREL_TAG: ("Guangzhou Hengda Garment Co., Ltd.", "88 Huangpu Ave, Guangzhou, CN"),
    DemoProduct.HEADPHONES_BOX: ("Shenzhen Yulong Electronics Co.", "12 Keji Rd, Nanshan, Shenzhen, CN"),
    DemoProduct.SNEAKER_BOX: ("Putian Jinxing Footwear Factory", "5 Licheng Rd, Putian, Fujian, CN"),
    DemoProduct.HANDBAG_CARD: ("Yiwu Meilan Leather Goods", "301 Futian Market, Yiwu, Zhejiang, CN"),
}


async def seed_ipr(sessions: async_sessionmaker[AsyncSession], store: ObjectStore, calendar: BusinessCalendar,
                   now: datetime, expedited_threshold: Decimal) -> bool:
    async with sessions() as session:
        if await session.get(DemoSeed, IPR_SEED) is not None:
            return False
    try:
        async with transaction(sessions) as session:
            await _expired_recordation(session)
            for i, case in enumerate(CASES):
                await _seed_case(session, store, calendar, now, expedited_threshold, case, i)
            guide = await store_document(store, "northwind-photo-standards.pdf", _PDF)
            recordation = await session.get(Recordation, "TMK 21-00412")
            assert recordation is not None
            await detention_parties.add_photo_guide(session, recordation, "NORTHWIND label photo standards", guide,
                                                    now)
            session.add(DemoSeed(name=IPR_SEED, seeded_at=now, clients_json=json.dumps({})))
    except IntegrityError:
        return False
    return True


async def _expired_recordation(session: AsyncSession) -> None:
    vertex = await organization_by_ref(session, "vertex-audio")
    session.add(Recordation(number="TMK 12-00345", owner_org_id=vertex.id, mark="VERTEX CLASSIC",
                            uspto_registration="4123456", status="EXPIRED", effective_on=date(2012, 5, 1),
                            expires_on=date(2022, 5, 1)))
    await session.flush()


async def _seed_case(session: AsyncSession, store: ObjectStore, calendar: BusinessCalendar, now: datetime,
                     threshold: Decimal, case: Case, seed: int) -> Detention:
    importer: Organization = await organization_by_ref(session, case.importer)
    maker, address = _MAKERS[case.product]

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    presented = ago(case.presented_days_ago)
    row = await detentions.record_detention(session, detentions.NewDetention(
        case_number=case.number, regime=case.regime, conveyance=case.conveyance, port_code="2704",
        importer_org_id=importer.id, manufacturer_name=maker, manufacturer_address=address,
        exporter_name=f"{maker.split()[0]} Trading Export Co.", exporter_address=address,
        date_of_importation=(presented - timedelta(days=1)).date(), description=f"{case.product.value} goods",
        quantity=120 + seed * 15, country_of_origin="CN", presented_at=presented,
        recordation_numbers=list(case.recordations), declared_value=case.value, le_hold=case.le_hold,
        entry_number=None if case.conveyance == "MAIL" else _entry_number(seed)), now, DEMO_CLIENT, threshold)
    photo = demo_photo(case.product, seed=seed)
    await detention_images.add_image(session, store, row, photo.data, photo.regions, now, DEMO_CLIENT,
                                     max_bytes=20 * 1024 * 1024, max_pixels=50_000_000)
    for step, days in case.steps:
        if step.startswith("FINDING_RECORDED") and case.response_days_ago is not None:
            document = await store_document(store, "commercial-invoice.pdf", _PDF)
            await detention_parties.respond(session, row.id, importer.id, "demo-importer",
                                            "The goods are genuine; invoice from the authorized licensee attached.",
                                            [document], ago(case.response_days_ago))
        name, _, finding = step.partition(":")
        seizure = name == "SEIZED"
        await detentions.cbp_step(
            session, row.id, name, ago(days), now, DEMO_CLIENT, calendar, finding=finding or None,
            seizure_notice_at=ago(days - 0.5) if seizure else None,
            seizure_description=f"counterfeit {case.product.value} goods" if seizure else None,
            seizure_quantity=100 + seed if seizure else None)
    if case.acknowledged_by:
        owner = await organization_by_ref(session, case.acknowledged_by)
        await detention_parties.acknowledge_trade_secrets_notice(session, row, owner.id, DEMO_CLIENT, ago(6))
        request = await detention_parties.request_authentication(session, row, case.recordations[0], DEMO_CLIENT,
                                                                 ago(18))
        await detention_parties.submit_determination(session, request, "COUNTERFEIT", "label font and UPC mismatch",
                                                     DEMO_CLIENT, ago(17))
    if case.number == "DEMO-2704-0001":
        await detention_parties.request_authentication(session, row, case.recordations[0], DEMO_CLIENT, ago(2.5))
    if case.number == "DEMO-2704-0005":
        owner = await organization_by_ref(session, "northwind-brands")
        await detention_parties.request_sample(session, row, owner.id, "SEIZED", "SB0000421", "5000.00",
                                               DEMO_CLIENT, ago(4))
    return row


def _entry_number(seed: int) -> str:
    from hub.domain.identifiers import entry_check_digit

    base = f"CZ4{6110300 + seed:07d}"
    return f"{base[:3]}-{base[3:]}-{entry_check_digit(base)}"
