"""`hub import entries FILE.csv` (issue 6, item 3 and "Bad input"): valid entries stored whole, every bad row
reported with its row number and stable code, never a partial entry. Runs on SQLite and PostgreSQL (the demo
harness: the real orders list, demo rates, demo importers Acme 12-3456789AB and Harbor 123-45-6789).
"""

from __future__ import annotations

import csv
import itertools
import json
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from hub.db.adcvd_tables import Entry, EntryLine
from hub.db.event_tables import OutboxEvent
from hub.db.tables import Organization
from hub.domain.identifiers import entry_check_digit
from hub.errors import HubError
from hub.events.outbox import ENTRY_EVENTS
from hub.import_cli import run_import_entries
from hub.services.demo_adcvd import ACME_IOR, BROKER_FILER, HARBOR_IOR
from hub.services.demo_adcvd import entry_number as demo_entry_number
from hub.services.entry_import import COLUMNS, EntryImportReport, import_entries
from hub.services.parties import organization_by_ref
from tests.conftest import HubHarness

FILER = "ZQ8"  # a filer the Hub does not know (a filer need not be a member)
# Serials counted up from a random start: unique within the run, and unlike the demo's 91000NN.
_SERIALS = itertools.count(random.randrange(1_000_000, 8_000_000, 1000))


def number(filer: str = FILER) -> str:
    serial = f"{next(_SERIALS):07d}"
    return f"{filer}-{serial}-{entry_check_digit(filer + serial)}"


def row(entry: str, line: int = 1, **fields: str) -> dict[str, str]:
    filer = entry[:3]
    base = {"entry_number": entry, "entry_type": "03", "importer_ior": ACME_IOR, "filer_code": filer,
            "port_code": "2704", "entry_date": "2025-06-02", "line_number": str(line),
            "hts_number": "7307.92.3010", "country_of_origin": "CN", "entered_value": "1000.00",
            "adcvd_case_number": "", "liquidation_date": "", "bond_number": ""}
    return base | fields


def write(tmp_path: Path, rows: Sequence[dict[str, str]], columns: Sequence[str] = COLUMNS,
          name: str = "entries.csv") -> Path:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


async def run(harness: HubHarness, path: Path, batch_lines: int = 2000) -> EntryImportReport:
    async with harness.hub.sessions() as session:
        cbp = (await organization_by_ref(session, "cbp-port-la")).id
    return await import_entries(harness.hub.sessions, path, cbp, "test:import", datetime.now(UTC),
                                batch_lines=batch_lines)


async def stored(harness: HubHarness, *numbers: str) -> tuple[int, int]:
    """(entries, entry lines) stored under these entry numbers."""
    async with harness.hub.sessions() as session:
        entries = (await session.exec(select(func.count()).select_from(Entry)
                                      .where(col(Entry.number).in_(numbers)))).one()
        lines = (await session.exec(select(func.count()).select_from(EntryLine).join(Entry)
                                    .where(col(Entry.number).in_(numbers)))).one()
    return entries, lines


def codes(report: EntryImportReport) -> list[tuple[int, str]]:
    return [(r["row"], r["code"]) for r in report.rejected]


async def test_valid_multi_line_entries_are_stored_with_deposits(harness: HubHarness, tmp_path: Path) -> None:
    acme, harbor = number(BROKER_FILER), number()
    path = write(tmp_path, [
        row(acme, 1, adcvd_case_number="A-570-067"),  # all-others demo rate 142.72 %
        row(acme, 2, adcvd_case_number="C570068001", entered_value="2500.50"),  # company rate 15.5 %
        row(acme, 3, hts_number="8541.40.6020", country_of_origin="LT", entered_value="40000"),
        row(harbor, 1, importer_ior=HARBOR_IOR, country_of_origin="LT", hts_number="8541.40.6020",
            adcvd_case_number="A-451-988", liquidation_date="2025-12-01"),
    ])
    report = await run(harness, path)
    assert (report.accepted, report.entries, report.rejected) == (4, 2, [])
    assert report.as_json() == {"accepted": 4, "rejected": []}
    assert await stored(harness, acme) == (1, 3)
    assert await stored(harness, harbor) == (1, 1)
    async with harness.hub.sessions() as session:
        rows = {e.number: e for e in (await session.exec(select(Entry).where(
            col(Entry.number).in_([acme, harbor])))).all()}
        coastline = (await session.exec(select(Organization).where(col(Organization.filer_code) == "CZ4"))).one()
        lines = (await session.exec(select(EntryLine).where(col(EntryLine.entry_id) == rows[acme].id)
                                    .order_by(col(EntryLine.line_number)))).all()
        harbor_line = (await session.exec(select(EntryLine).where(
            col(EntryLine.entry_id) == rows[harbor].id))).one()
        events = (await session.exec(select(OutboxEvent).where(
            col(OutboxEvent.object_id).in_([e.id for e in rows.values()])))).all()
    assert rows[acme].filer_org_id == coastline.id and rows[harbor].filer_org_id is None
    assert (rows[acme].source, rows[acme].liquidation_status) == ("IMPORT", "UNLIQUIDATED")
    assert rows[harbor].liquidation_status == "LIQUIDATED"
    assert [ln.deposit_amount for ln in lines] == [Decimal("1427.20"), Decimal("387.58"), None]
    assert all(isinstance(ln.entered_value, Decimal) for ln in lines)
    assert isinstance(lines[0].deposit_amount, Decimal) and lines[0].deposit_rate == Decimal("142.72")
    assert (lines[1].case_number, lines[1].company_suffix) == ("C-570-068", "001")
    assert (harbor_line.case_number, harbor_line.deposit_amount) == ("A-451-988", Decimal("2389.50"))
    # One adcvd.entry_recorded event per accepted entry, written with it.
    assert sorted((e.type, e.object_type, e.object_id) for e in events) == sorted(
        (ENTRY_EVENTS["RECORDED"], "Entry", e.id) for e in rows.values())


def _bad_number(entry: str) -> dict[str, str]:
    return {"entry_number": entry[:-1] + str((int(entry[-1]) + 1) % 10)}


BAD: dict[str, Callable[[str], dict[str, str]]] = {
    "INVALID_CASE_NUMBER": lambda _: {"adcvd_case_number": "C-53-878"},  # as printed in the source's own list
    "UNKNOWN_CASE": lambda _: {"adcvd_case_number": "A-570-999"},
    "ENTRY_CHECK_DIGIT_MISMATCH": _bad_number,
    "INVALID_ENTRY_NUMBER": lambda e: {"entry_number": e[:9]},
    "UNKNOWN_PORT_CODE": lambda _: {"port_code": "9999"},  # 4 digits, not in Schedule D
    "INVALID_AMOUNT": lambda _: {"entered_value": "12,5O0.00"},
    "NEGATIVE_AMOUNT": lambda _: {"entered_value": "-10.00"},
    "UNKNOWN_IMPORTER": lambda _: {"importer_ior": "98-7654321AB"},  # well formed, nobody's
    "FILER_CODE_MISMATCH": lambda _: {"filer_code": "CZ4"},  # the number begins with ZQ8
}


@pytest.mark.parametrize("code", list(BAD))
async def test_each_bad_row_gets_its_code_and_row_number(harness: HubHarness, tmp_path: Path, code: str) -> None:
    good1, bad, good2 = number(), number(), number()
    path = write(tmp_path, [row(good1), row(good1, 2), row(bad, **BAD[code](bad)), row(good2)])
    report = await run(harness, path)
    assert codes(report) == [(4, code)]
    assert report.rejected[0]["message"]
    assert (report.accepted, report.entries) == (3, 2)
    assert await stored(harness, good1, good2) == (2, 3)
    assert await stored(harness, bad) == (0, 0)


async def test_one_bad_row_rejects_its_whole_entry(harness: HubHarness, tmp_path: Path) -> None:
    before, entry, after = number(), number(), number()
    path = write(tmp_path, [
        row(before),
        row(entry, 1), row(entry, 2, entered_value="abc"), row(entry, 3, adcvd_case_number="A-570-067"),
        row(after),
    ])
    report = await run(harness, path)
    assert codes(report) == [(3, "ENTRY_REJECTED"), (4, "INVALID_AMOUNT"), (5, "ENTRY_REJECTED")]
    assert "row 4" in report.rejected[0]["message"]
    assert await stored(harness, entry) == (0, 0)
    assert await stored(harness, before, after) == (2, 2)
    assert report.accepted == 2


async def test_entry_already_recorded_is_a_duplicate(harness: HubHarness, tmp_path: Path) -> None:
    seeded = demo_entry_number(BROKER_FILER, 1)  # the demo seed recorded it through the services
    fresh = number()
    path = write(tmp_path, [row(seeded), row(seeded, 2), row(fresh)])
    report = await run(harness, path)
    assert codes(report) == [(2, "DUPLICATE_ENTRY"), (3, "DUPLICATE_ENTRY")]
    assert await stored(harness, seeded) == (1, 1)  # the seeded entry is untouched
    assert await stored(harness, fresh) == (1, 1)


@pytest.mark.parametrize("batch_lines", [2000, 1])
async def test_entry_repeated_later_in_the_file_is_a_duplicate(harness: HubHarness, tmp_path: Path,
                                                               batch_lines: int) -> None:
    # batch_lines=1: the first occurrence is already committed when the second is read.
    entry, other = number(), number()
    path = write(tmp_path, [row(entry), row(other), row(entry, 2)])
    report = await run(harness, path, batch_lines)
    assert codes(report) == [(4, "DUPLICATE_ENTRY")]
    assert await stored(harness, entry) == (1, 1)  # the first occurrence, as filed
    assert await stored(harness, other) == (1, 1)


async def test_repeat_of_a_rejected_entry_is_not_stored_as_a_part(harness: HubHarness, tmp_path: Path) -> None:
    # The first occurrence fails; its later rows must not be stored as the entry on their own.
    entry, other = number(), number()
    path = write(tmp_path, [row(entry, 1, port_code="9999"), row(other), row(entry, 2)])
    report = await run(harness, path)
    assert codes(report) == [(2, "UNKNOWN_PORT_CODE"), (4, "DUPLICATE_ENTRY")]
    assert await stored(harness, entry) == (0, 0)


async def test_entry_taken_by_another_writer_meanwhile_is_a_duplicate_and_the_rest_lands(
        harness: HubHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The duplicate check runs before each batch is written; another writer may take a number in between. The
    # batch write (COPY on PostgreSQL, INSERT on SQLite) then meets the unique key, rolls back, and is retried
    # entry by entry: the taken entry is reported, the others land, nothing is half-written.
    from hub.services import entry_import

    seeded = demo_entry_number(BROKER_FILER, 1)
    fresh = number()
    monkeypatch.setattr(entry_import, "existing_numbers", _nothing_taken)
    path = write(tmp_path, [row(fresh), row(seeded), row(seeded, 2)])
    report = await run(harness, path)
    assert codes(report) == [(3, "DUPLICATE_ENTRY"), (4, "DUPLICATE_ENTRY")]
    assert await stored(harness, fresh) == (1, 1)
    assert await stored(harness, seeded) == (1, 1)  # untouched
    assert report.accepted == 1


async def _nothing_taken(session: Any, numbers: list[str]) -> set[str]:
    return set()


async def test_missing_column_is_refused_before_anything(harness: HubHarness, tmp_path: Path) -> None:
    entry = number()
    path = write(tmp_path, [row(entry)], columns=[c for c in COLUMNS if c != "port_code"])
    with pytest.raises(HubError) as raised:
        await run(harness, path)
    assert raised.value.code == "MISSING_COLUMNS"
    assert "port_code" in raised.value.message
    assert await stored(harness, entry) == (0, 0)


async def _events(harness: HubHarness) -> int:
    async with harness.hub.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(OutboxEvent).where(
            col(OutboxEvent.type) == ENTRY_EVENTS["RECORDED"]))).one())


async def test_importing_the_same_file_twice_adds_nothing(harness: HubHarness, tmp_path: Path) -> None:
    numbers = [number(), number(BROKER_FILER), number()]
    rows = [row(numbers[0]), row(numbers[0], 2), row(numbers[1]), row(numbers[2]), row(numbers[2], 2)]
    path = write(tmp_path, rows)
    first = await run(harness, path)
    assert (first.accepted, first.entries, first.rejected) == (5, 3, [])
    events = await _events(harness)
    second = await run(harness, path)
    assert (second.accepted, second.entries) == (0, 0)
    assert codes(second) == [(n, "DUPLICATE_ENTRY") for n in range(2, 7)]
    assert await stored(harness, *numbers) == (3, 5)
    assert await _events(harness) == events


async def test_cli_json_report_has_exactly_accepted_and_rejected(harness: HubHarness, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = number(), number()
    path = write(tmp_path, [row(good), row(good, 2), row(bad, adcvd_case_number="C-53-878")])
    assert await run_import_entries(harness.hub.settings, path, path.stat().st_size, None, True) == 0
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert set(report) == {"accepted", "rejected"}
    assert report["accepted"] == 2
    [rejected] = report["rejected"]
    assert set(rejected) == {"row", "code", "message"}
    assert (rejected["row"], rejected["code"]) == (4, "INVALID_CASE_NUMBER") and rejected["message"]
    assert "1 rows rejected" in out.err
    assert await stored(harness, good) == (1, 2)


def _batch_file(tmp_path: Path, name: str, seeded: str) -> tuple[Path, list[str]]:
    """10 entries of 1 to 3 lines, one with a bad row in the middle and one already recorded."""
    numbers = [number() for _ in range(10)]
    numbers[6] = seeded
    rows: list[dict[str, Any]] = []
    for i, n in enumerate(numbers):
        for line in range(1, i % 3 + 2):
            bad = i == 4 and line == 2
            rows.append(row(n, line, entered_value="-1.00" if bad else f"{100 * (i + 1)}.00",
                            adcvd_case_number="A-570-067" if line == 1 and i % 2 else ""))
    return write(tmp_path, rows, name=name), numbers


async def test_batch_boundaries_do_not_change_the_result(harness: HubHarness, tmp_path: Path) -> None:
    seeded = demo_entry_number(BROKER_FILER, 2)
    small_path, small_numbers = _batch_file(tmp_path, "small.csv", seeded)
    default_path, default_numbers = _batch_file(tmp_path, "default.csv", seeded)
    small = await run(harness, small_path, batch_lines=3)
    default = await run(harness, default_path)
    assert (small.accepted, small.entries, codes(small)) == (default.accepted, default.entries, codes(default))
    assert small.entries == 8  # 10 entries: one rejected for its bad row, one already recorded
    assert {c for _, c in codes(small)} == {"NEGATIVE_AMOUNT", "ENTRY_REJECTED", "DUPLICATE_ENTRY"}
    for a, b in zip(small_numbers, default_numbers, strict=True):
        assert await stored(harness, a) == await stored(harness, b)
    assert await stored(harness, small_numbers[4]) == (0, 0)


async def test_bonded_adcvd_entries_are_secured_as_secure_entry_does(harness: HubHarness, tmp_path: Path) -> None:
    """R-BOND-05 and § 113.62: an imported AD/CVD entry secured on a continuous bond carries the bond's surety code
    and tells the surety (bond.entry_secured), exactly as hub.services.bonds.secure_entry does."""
    import uuid
    from datetime import date

    from hub.db.bond_tables import BondSecuredEntry
    from hub.db.session import transaction
    from hub.db.tables import OrgKind
    from hub.services import bonds
    from hub.services.parties import NewOrganization, create_organization

    now = datetime.now(UTC)
    tag = uuid.uuid4().hex[:6]
    # An IRS-style IOR number (R-ID-02: NN-NNNNNNNXX, suffix without O, I, Z), unique per run.
    ior = f"{random.randrange(10, 99)}-{random.randrange(1_000_000, 9_999_999)}{random.choice('ABCDEFGH')}K"
    async with transaction(harness.hub.sessions) as session:
        org = await create_organization(session, NewOrganization(
            f"bonded-{tag}", f"Bonded Importer {tag}", OrgKind.IMPORTER, "1 Test St", ior_number=ior), now)
        prepared = await bonds.prepare_bond(session, bonds.NewBond(
            number=uuid.uuid4().hex[:9].upper(), type="CONTINUOUS", activity_code="1", principal_org_id=org.id,
            surety_code="457", amount="100000.00", effective_on=date(2025, 1, 1), dtf="100000.00"), now)
        bond = await bonds.file_bond(session, prepared, org.id, "test", now)
    entry = number()
    path = write(tmp_path, [row(entry, importer_ior=ior, adcvd_case_number="C570068001", bond_number=bond.number)])
    report = await run(harness, path)
    assert report.rejected == [] and report.accepted == 1
    async with harness.hub.sessions() as session:
        secured = (await session.exec(select(BondSecuredEntry).where(
            col(BondSecuredEntry.entry_number) == entry))).one()
        events = (await session.exec(select(OutboxEvent.type).where(col(OutboxEvent.object_id) == bond.id))).all()
    assert (secured.adcvd_bonded, secured.surety_code, secured.adcvd_open) == (True, "457", Decimal("155.00"))
    assert "bond.entry_secured" in events
