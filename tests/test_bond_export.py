"""`hub export bonds --surety CODE` (issue 5 item 5): the surety view as CSV, on a demo store."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.cli import _prepare, main
from hub.db.session import transaction
from hub.db.tables import OrgKind
from hub.runtime import open_hub
from hub.services import bonds
from hub.services.bond_export import COLUMNS, export_surety_bonds, text_cell
from hub.services.demo_bonds import ACME_BOND, HARBOR_BOND, SAMPLE_BOND
from hub.services.parties import NewOrganization, create_organization
from hub.settings import Settings


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("bond-export")
    asyncio.run(_prepare(Settings(data_dir=data, demo=True)))
    return data


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_export_writes_the_surety_view_as_csv(demo_store: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bonds.csv"
    assert main(["export", "bonds", "--surety", "457", "--data-dir", str(demo_store), "--output", str(out)]) == 0
    assert "exported 3 bonds of surety 457" in capsys.readouterr().err
    text = out.read_text()
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = {r["bond_number"]: r for r in _rows(text)}
    assert list(rows) == sorted(rows) == [ACME_BOND, HARBOR_BOND, SAMPLE_BOND]
    harbor = rows[HARBOR_BOND]
    assert (harbor["amount"], harbor["required_amount"], harbor["shortfall"], harbor["status"]) == (
        "100000.00", "200000.00", "100000.00", "INSUFFICIENT")
    assert harbor["principal_name"] == "Blue Harbor Trading (J. Rivera, sole proprietor)"
    assert harbor["insufficient_from"]
    acme = rows[ACME_BOND]
    assert (acme["status"], acme["open_adcvd_exposure"], acme["secured_entries"], acme["role"]) == (
        "ACTIVE", "16375.00", "3", "SURETY")  # with the AD/CVD demo's entry 1 (hub/services/demo_adcvd.py)
    assert rows[SAMPLE_BOND]["required_amount"] == ""  # CBP sets sample bond amounts; no guide formula


def test_export_to_stdout(demo_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "bonds", "--surety", " 457 ", "--data-dir", str(demo_store)]) == 0
    assert {r["bond_number"] for r in _rows(capsys.readouterr().out)} == {ACME_BOND, HARBOR_BOND, SAMPLE_BOND}


@pytest.mark.parametrize(("code", "error"), [("458", "UNKNOWN_SURETY"), ("45", "INVALID_SURETY_CODE")])
def test_unknown_or_malformed_surety_code_writes_nothing(demo_store: Path, tmp_path: Path, code: str, error: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bonds.csv"
    assert main(["export", "bonds", "--surety", code, "--data-dir", str(demo_store), "--output", str(out)]) == 2
    assert error in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # neither the file nor a partial one


def test_paging_does_not_change_the_export(demo_store: Path) -> None:
    async def export(page_size: int) -> str:
        hub = await open_hub(Settings(data_dir=demo_store, demo=True))
        try:
            out = io.StringIO()
            await export_surety_bonds(hub.sessions, hub.policy, "457", now, out, page_size=page_size)
            return out.getvalue()
        finally:
            await hub.close()

    now = datetime.now(UTC)
    assert asyncio.run(export(1)) == asyncio.run(export(500))


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3",
                                  "@SUM(A1:A2)", "\tTab Imports", "\rReturn Imports"])
def test_text_cells_that_a_spreadsheet_would_evaluate_are_quoted(name: str) -> None:
    assert text_cell(name) == "'" + name
    assert text_cell("Acme Home Goods") == "Acme Home Goods"


def test_export_defuses_formula_principal_names_and_shows_co_surety_role(tmp_path: Path) -> None:
    """A principal named like a formula is exported as text; a bond the surety co-writes has role CO_SURETY."""
    evil = '=HYPERLINK("http://evil.example","Click")'

    async def go() -> str:
        data = tmp_path / "store"
        await _prepare(Settings(data_dir=data, demo=True))
        hub = await open_hub(Settings(data_dir=data, demo=True))
        now = datetime.now(UTC)
        try:
            async with transaction(hub.sessions) as session:
                principal = await create_organization(session, NewOrganization(
                    "formula-importer", evil, OrgKind.IMPORTER, ior_number="12-345678900"), now)
                co = await create_organization(session, NewOrganization(
                    "co-surety", "Second Surety Co.", OrgKind.SURETY, surety_code="Q01"), now)
                prepared = await bonds.prepare_bond(session, bonds.NewBond(
                    number="Q01000001", type="CONTINUOUS", activity_code="1", principal_org_id=principal.id,
                    surety_code="457", co_surety_code="Q01", amount="50000.00", effective_on=now.date()), now)
                await bonds.file_bond(session, prepared, co.id, "test", now)
            out = io.StringIO()
            await export_surety_bonds(hub.sessions, hub.policy, "Q01", now, out)
            return out.getvalue()
        finally:
            await hub.close()

    [row] = _rows(asyncio.run(go()))
    assert (row["bond_number"], row["role"], row["principal_name"]) == ("Q01000001", "CO_SURETY", "'" + evil)
