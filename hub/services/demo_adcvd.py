"""Demo AD/CVD data: the real orders list, a few company rates, and entries for both demo importers that trip
every check (issue 6, item 6). Idempotent like the other demo seeds.

The orders, case numbers, third-country case (A-451-988) and companion pairs are real (hub/reference). The
company names and cash deposit rates are invented for the demo and say so in their ``basis``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.adcvd_tables import AdcvdCase, AdcvdCompanyRate
from hub.db.session import transaction
from hub.db.tables import DemoSeed, OrgKind
from hub.domain.identifiers import entry_check_digit
from hub.services import entries
from hub.services.adcvd_cases import load_packaged
from hub.services.demo_bonds import ACME_BOND
from hub.services.parties import (
    NewOrganization,
    create_organization,
    grant_power_of_attorney,
    organization_by_ref,
)

ADCVD_SEED = "adcvd"
DEMO_CLIENT = "demo-seed"
DEMO_BASIS = "DEMO rate, invented for the demo; not a published Commerce rate"
BROKER_FILER = "CZ4"  # Coastline Customs Brokerage (hub/services/demo.py), Acme's broker
HARBOR_FILER = "7Y2"  # a filer the Hub does not know: Harbor's entries are filed outside the Hub's members
ACME_IOR, HARBOR_IOR = "12-3456789AB", "123-45-6789"
# A non-resident importer of record: a CBP-assigned number (19 CFR 24.5, YYDDPP-NNNNN), Coastline its broker.
NON_RESIDENT = NewOrganization("kowloon-lighting", "Kowloon Lighting Ltd. (non-resident importer)", OrgKind.IMPORTER,
                               "88 Hung To Rd, Kwun Tong, Hong Kong", ior_number="242704-00017")

# (case, suffix, company, rate percent)
RATES = (
    ("C-570-068", "001", "Demo Forge Co., Ltd.", "15.5000"),
    ("A-570-067", "000", "All others (demo)", "142.7200"),
    ("A-570-979", "000", "PRC-wide entity (demo)", "238.9500"),
    ("A-451-988", "000", "All others (demo)", "238.9500"),
    ("A-357-820", "001", "Demo Biodiesel S.A.", "60.4400"),
    ("C-357-821", "001", "Demo Biodiesel S.A.", "34.2300"),
)


@dataclass(frozen=True)
class DemoEntry:
    serial: int
    filer: str
    ior: str
    entry_type: str
    entry_date: date
    lines: tuple[entries.NewLine, ...]
    liquidation_date: date | None = None
    suspension_lifted_on: date | None = None
    certificate: bool = False
    bond: str | None = None
    checks: tuple[str, ...] = ()  # the finding codes this entry is meant to show


def entry_number(filer: str, serial: int) -> str:
    base = f"{filer}{9100000 + serial:07d}"
    return f"{base[:3]}-{base[3:]}-{entry_check_digit(base)}"


def demo_entries(today: date) -> tuple[DemoEntry, ...]:
    L = entries.NewLine
    return (
        # R-AD-03: CVD company-specific number without its AD companion; suffix 001 is not this manufacturer.
        DemoEntry(1, BROKER_FILER, ACME_IOR, "03", today - timedelta(days=12),
                  (L(1, "7307.92.3010", "CN", "25000.00", "C570068001", "Shanghai Demo Pipe Works"),),
                  bond=ACME_BOND, checks=("COMPANION_CASE_MISSING", "COMPANY_SUFFIX_MISMATCH")),
        # R-AD-02: the China order declared on goods of Lithuanian origin (A-451-988 exists); R-AD-04: type 01;
        # R-AD-05: no reimbursement certificate before liquidation.
        DemoEntry(2, BROKER_FILER, ACME_IOR, "01", today - timedelta(days=40),
                  (L(1, "8541.40.6020", "LT", "60000.00", "A-570-979"),),
                  checks=("CASE_COUNTRY_MISMATCH", "ADCVD_ON_NON_ADCVD_ENTRY_TYPE",
                          "REIMBURSEMENT_CERTIFICATE_MISSING")),
        # CSMS #46031819: entered in the window without the third-country case -> PSC due 2021-05-03.
        DemoEntry(3, BROKER_FILER, ACME_IOR, "01", date(2020, 3, 10),
                  (L(1, "8541.40.6020", "LT", "40000.00"),), checks=("THIRD_COUNTRY_CASE_MISSING",)),
        # The same, already liquidated -> voluntary tender under 19 CFR 141.105.
        DemoEntry(4, HARBOR_FILER, HARBOR_IOR, "01", date(2020, 6, 15),
                  (L(1, "8541.40.6020", "LT", "18000.00"),), liquidation_date=date(2021, 1, 15),
                  checks=("VOLUNTARY_TENDER_REQUIRED",)),
        # R-AD-05: suspension lifted more than 6 months ago and still not liquidated -> deemed liquidated.
        DemoEntry(5, HARBOR_FILER, HARBOR_IOR, "03", date(2023, 1, 10),
                  (L(1, "3826.00.1000", "AR", "52000.00", "A357820001", "Demo Biodiesel S.A."),
                   L(2, "3826.00.1000", "AR", "52000.00", "C357821001", "Demo Biodiesel S.A.")),
                  suspension_lifted_on=date(2023, 6, 1), certificate=True, checks=("DEEMED_LIQUIDATED",)),
        # A clean entry: the third-country case declared as CSMS 18-000421 says, certificate on file.
        DemoEntry(6, HARBOR_FILER, HARBOR_IOR, "03", today - timedelta(days=5),
                  (L(1, "8541.40.6020", "LT", "30000.00", "A-451-988"),), certificate=True),
        # AD/CVD entry of a non-resident importer of record (FACTS §4: rules unconfirmed, flagged for review).
        DemoEntry(7, BROKER_FILER, NON_RESIDENT.ior_number or "", "03", today - timedelta(days=20),
                  (L(1, "3826.00.1000", "AR", "20000.00", "A357820001", "Demo Biodiesel S.A."),
                   L(2, "3826.00.1000", "AR", "20000.00", "C357821001", "Demo Biodiesel S.A.")),
                  certificate=True, checks=("NON_RESIDENT_IMPORTER",)),
    )


async def seed_adcvd(sessions: async_sessionmaker[AsyncSession], now: datetime) -> bool:
    async with sessions() as session:
        if await session.get(DemoSeed, ADCVD_SEED) is not None:
            return False
    try:
        async with transaction(sessions) as session:
            await load_packaged(session, now)
            await _rates(session)
            cbp = await organization_by_ref(session, "cbp-port-la")
            broker = await organization_by_ref(session, "coastline-brokers")
            foreign = await create_organization(session, NON_RESIDENT, now)
            await grant_power_of_attorney(session, broker, foreign, now.date() - timedelta(days=60))
            for spec in demo_entries(now.date()):
                await entries.record_entry(session, entries.NewEntry(
                    entry_number=entry_number(spec.filer, spec.serial), entry_type=spec.entry_type,
                    importer_ior=spec.ior, filer_code=spec.filer, port_code="2704", entry_date=spec.entry_date,
                    lines=spec.lines, liquidation_date=spec.liquidation_date, bond_number=spec.bond,
                    suspension_lifted_on=spec.suspension_lifted_on,
                    reimbursement_certificate_on_file=spec.certificate), cbp.id, DEMO_CLIENT, now)
            session.add(DemoSeed(name=ADCVD_SEED, seeded_at=now, clients_json=json.dumps({})))
    except IntegrityError:
        return False  # another process seeded the same store at the same moment
    return True


async def _rates(session: AsyncSession) -> None:
    cases = {c.number: c for c in (await session.exec(select(AdcvdCase).where(
        col(AdcvdCase.number).in_(sorted({r[0] for r in RATES}))))).all()}
    for number, suffix, company, rate in RATES:
        case = cases[number]
        session.add(AdcvdCompanyRate(case_id=case.id, company_suffix=suffix, company_name=company,
                                     rate_percent=Decimal(rate), effective_from=case.order_date or date(2000, 1, 1),
                                     basis=DEMO_BASIS))
    await session.flush()
