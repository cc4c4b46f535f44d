"""bond_clock.scan (R-BOND-03): ``bond.insufficient`` once for a notice whose 15 days ran out, never for a notice
a superseding bond stopped in time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlmodel import col, select

from hub.db import migrate
from hub.db.bond_tables import Bond, BondInsufficiencyNotice
from hub.db.event_tables import OutboxEvent
from hub.db.session import create_engine, sessionmaker
from hub.db.tables import Organization, OrgKind
from hub.services import bond_clock

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


async def test_scan_emits_nothing_for_a_superseded_notice(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'clock.sqlite3'}")
    try:
        await migrate.upgrade(engine)
        sessions = sessionmaker(engine)
        async with sessions() as session, session.begin():
            principal = Organization(slug="p", name="P", kind=OrgKind.IMPORTER, created_at=NOW)
            surety = Organization(slug="s", name="S", kind=OrgKind.SURETY, created_at=NOW)
            session.add_all([principal, surety])
            await session.flush()
            bonds = [Bond(number=f"45790000{n}", type="CONTINUOUS", activity_code=code, principal_org_id=principal.id,
                          principal_name="P", surety_org_id=surety.id, filed_by_org_id=surety.id,
                          amount=Decimal("50000.00"), effective_on=date(2026, 1, 1), filed_at=NOW,
                          filed_by_client="t") for n, code in enumerate(("1", "2"))]
            session.add_all(bonds)
            await session.flush()
            noticed = NOW - timedelta(days=20)
            # Superseded 10 days after the notice (within the 15): it never takes effect.
            session.add(BondInsufficiencyNotice(
                bond_id=bonds[0].id, noticed_at=noticed, reason="OTHER", recorded_at=noticed, recorded_by_client="t",
                superseded_at=noticed + timedelta(days=10), superseded_by_bond_id=bonds[1].id))
            # The control: the same notice on the other bond, never superseded.
            session.add(BondInsufficiencyNotice(bond_id=bonds[1].id, noticed_at=noticed, reason="OTHER",
                                                recorded_at=noticed, recorded_by_client="t"))
        assert await bond_clock.scan(sessions, NOW) == 1
        assert await bond_clock.scan(sessions, NOW + timedelta(days=30)) == 0
        async with sessions() as session:
            emitted = (await session.exec(select(OutboxEvent.object_id).where(
                col(OutboxEvent.type) == bond_clock.INSUFFICIENT))).all()
        assert list(emitted) == [bonds[1].id]
    finally:
        await engine.dispose()
