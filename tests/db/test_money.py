"""Money is Decimal end to end (issue 5): exact integers on SQLite, native NUMERIC on PostgreSQL, never float."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, col, select

import hub.db.models  # noqa: F401  (every table on the metadata)
from hub.db import bond_queries, migrate
from hub.db.bond_tables import Bond, BondSecuredEntry
from hub.db.money import Money, Rate, exact_columns
from hub.db.session import create_engine, sessionmaker
from hub.db.tables import Organization, OrgKind
from hub.domain.bonds import MAX_MONEY
from tests.conftest import fresh_postgres_database

NOW = datetime(2026, 11, 1, tzinfo=UTC)
MIGRATION_0009 = importlib.import_module("hub.db.migrations.versions.0009_money_types")
MIGRATION_0012 = importlib.import_module("hub.db.migrations.versions.0012_ipr_money")


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'money.sqlite3'}")
        await migrate.upgrade(eng)
        yield eng
        await eng.dispose()
        return
    async with fresh_postgres_database() as url:
        eng = create_engine(url)
        await migrate.upgrade(eng)
        yield eng
        await eng.dispose()


async def _bond(engine: AsyncEngine, amount: Decimal, number: str = "457900001") -> str:
    async with sessionmaker(engine)() as session, session.begin():
        principal = Organization(slug=f"p{number}", name="Principal", kind=OrgKind.IMPORTER, created_at=NOW)
        surety = Organization(slug=f"s{number}", name="Surety", kind=OrgKind.SURETY, created_at=NOW)
        session.add_all([principal, surety])
        await session.flush()
        bond = Bond(number=number, type="CONTINUOUS", activity_code="1", principal_org_id=principal.id,
                    principal_name=principal.name, surety_org_id=surety.id, filed_by_org_id=surety.id,
                    amount=amount, effective_on=date(2026, 1, 1), adcvd_rate_percent=Decimal("25.6201"),
                    filed_at=NOW, filed_by_client="test")
        session.add(bond)
        await session.flush()
        return bond.id


async def test_sqlite_stores_money_as_integer_units(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}")
    try:
        await migrate.upgrade(engine)
        await _bond(engine, Decimal("1250.10"))
        async with engine.connect() as conn:
            row = (await conn.execute(text(
                "SELECT typeof(amount), amount, typeof(adcvd_rate_percent), adcvd_rate_percent FROM bonds"))).one()
        assert tuple(row) == ("integer", 125010, "integer", 256201)
    finally:
        await engine.dispose()


async def test_maximum_amount_round_trips_exactly(engine: AsyncEngine) -> None:
    bond_id = await _bond(engine, MAX_MONEY)
    async with sessionmaker(engine)() as session:
        bond = await session.get(Bond, bond_id)
        assert bond is not None
        assert isinstance(bond.amount, Decimal) and bond.amount == MAX_MONEY and str(bond.amount) == str(MAX_MONEY)
        assert bond.adcvd_rate_percent == Decimal("25.6201")
        # A keyset comparison binds through the same type: exact at the limit.
        found = (await session.exec(select(Bond.id).where(col(Bond.amount) == MAX_MONEY))).all()
        assert found == [bond_id]


async def test_sum_of_many_dimes_is_exact(engine: AsyncEngine) -> None:
    bond_id = await _bond(engine, Decimal("50000.00"))
    async with sessionmaker(engine)() as session, session.begin():
        session.add_all([BondSecuredEntry(
            bond_id=bond_id, entry_number=f"ABC{n:08d}", entry_date=date(2026, 6, 1), entered_value=Decimal("0.10"),
            dtf=Decimal("0.10"), adcvd_open=MAX_MONEY if n < 100 else Decimal("0.10"), secured_at=NOW,
            secured_by_client="test") for n in range(1000)])
    async with sessionmaker(engine)() as session:
        total = (await session.exec(select(func.sum(col(BondSecuredEntry.dtf))))).one()
        # A float sum of 1000 x 0.1 is 99.9999999999986; the column's type converts the SUM back exactly.
        assert isinstance(total, Decimal) and total == Decimal("100.00") and str(total) == "100.00"
        exposure = (await bond_queries.exposure_for(session, [bond_id], date(2026, 1, 1)))[bond_id]
        # 100 x the largest amount plus 900 dimes: a float sum is off by cents (99999999999998.88 + ...).
        assert (exposure.entries, exposure.open_adcvd, exposure.dtf_last_12_months) == (
            1000, MAX_MONEY * 100 + Decimal("90.00"), Decimal("100.00"))


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgres"])
def test_binding_a_float_raises(dialect: object) -> None:
    for kind in (Money(), Rate()):
        with pytest.raises(TypeError):
            kind.process_bind_param(0.1, dialect)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            kind.process_bind_param("0.10", dialect)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money().process_bind_param(MAX_MONEY + Decimal("0.01"), dialect)  # type: ignore[arg-type]


async def test_flushing_a_float_amount_writes_nothing(engine: AsyncEngine) -> None:
    with pytest.raises(StatementError) as caught:
        await _bond(engine, 0.1)  # type: ignore[arg-type]
    assert isinstance(caught.value.orig, TypeError)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM bonds"))).scalar_one() == 0


def test_migrations_0009_and_0012_list_every_exact_column() -> None:
    assert set(MIGRATION_0009.COLUMNS) | set(MIGRATION_0012.COLUMNS) == exact_columns(SQLModel.metadata)


async def test_sqlite_rows_stored_as_real_are_converted_by_0009(tmp_path: Path) -> None:
    """Rows written before Money (REAL, or INTEGER dollars when whole) read back exactly after migration 0009."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        await migrate.upgrade(engine, "0008")
        async with engine.begin() as conn:
            for n, kind in enumerate(("IMPORTER", "SURETY")):
                await conn.execute(text("INSERT INTO organizations (id, slug, name, kind, created_at) "
                                        f"VALUES ('o{n}', 'o{n}', 'O', '{kind}', '2026-01-01 00:00:00')"))
            await conn.execute(text(
                "INSERT INTO bonds (id, number, type, purpose, activity_code, principal_org_id, principal_name, "
                "surety_org_id, filed_by_org_id, amount, effective_on, riders, dtf, pga_regulated, "
                "adcvd_rate_percent, sites, filed_at, filed_by_client, version) VALUES ('b', '457900009', "
                "'CONTINUOUS', 'GENERAL', '1', 'o0', 'P', 'o1', 'o1', 100000.0, '2026-01-01', '[]', 2412.5, 0, "
                "25.62, 1, '2026-01-01 00:00:00', 'old', 1)"))
        await migrate.upgrade(engine)
        async with sessionmaker(engine)() as session:
            bond = await session.get(Bond, "b")
            assert bond is not None
            assert (bond.amount, bond.dtf, bond.adcvd_rate_percent, bond.entered_value) == (
                Decimal("100000.00"), Decimal("2412.50"), Decimal("25.6200"), None)
    finally:
        await engine.dispose()


async def test_sqlite_ipr_declared_values_stored_as_real_are_converted_by_0012(tmp_path: Path) -> None:
    """The IPR money column written before revision 0012 (REAL) reads back exactly afterwards."""
    from hub.db.ipr_tables import Detention

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old-ipr.sqlite3'}")
    try:
        await migrate.upgrade(engine, "0011")
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO organizations (id, slug, name, kind, created_at) "
                                    "VALUES ('o0', 'o0', 'O', 'IMPORTER', '2026-01-01 00:00:00')"))
            await conn.execute(text(
                "INSERT INTO detentions (id, case_number, regime, track, conveyance, port_code, importer_org_id, "
                "importer_name, importer_address, manufacturer_name, manufacturer_address, exporter_name, "
                "exporter_address, date_of_importation, description, quantity, quantity_unit, country_of_origin, "
                "le_hold, presented_at, created_at, version, declared_value) VALUES ('d', 'C-1', 'TRADEMARK', "
                "'STANDARD', 'CARGO', '2704', 'o0', 'I', 'A', 'M', 'A', 'E', 'A', '2026-01-01', 'goods', 1, 'PCS', "
                "'CN', 0, '2026-01-02 00:00:00', '2026-01-02 00:00:00', 1, 2412.5)"))
        await migrate.upgrade(engine)
        async with sessionmaker(engine)() as session:
            row = await session.get(Detention, "d")
            assert row is not None and row.declared_value == Decimal("2412.50")
        async with engine.connect() as conn:
            kind = (await conn.execute(text("SELECT typeof(declared_value) FROM detentions"))).scalar_one()
            assert kind == "integer"
    finally:
        await engine.dispose()
