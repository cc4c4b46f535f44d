"""Bulk import of entry lines from CSV: ``hub import entries FILE.csv [--json-report]`` (issue 6, item 3).

One row per line; the rows of one entry are consecutive (as ABI software writes them). The file is read
as a stream and written in batches of whole entries, so memory stays flat however long the file is.
A row that fails validation is reported with its row number, a stable code and a message, and its entry
is rejected whole (the entry's other rows are reported as ENTRY_REJECTED): no partial entry is ever stored.
Rows are written with multi-row INSERTs (SQLAlchemy "insertmanyvalues" on PostgreSQL), one transaction per
batch; if a batch meets a conflict another writer created meanwhile, it is retried entry by entry.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import asyncpg  # type: ignore[import-untyped]  # ships no type information
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db.adcvd_tables import Entry, EntryLine
from hub.db.bond_tables import BondSecuredEntry
from hub.db.event_tables import OutboxEvent
from hub.db.tables import Organization, new_id
from hub.domain import bonds as bond_domain
from hub.domain.identifiers import SURETY_CODE_BOND_WAIVED, normalize_entry_number
from hub.errors import HubError
from hub.events.outbox import BOND_EVENTS, ENTRY_EVENTS
from hub.services.bonds import status_now
from hub.services.entries import (
    Lookups,
    NewEntry,
    NewLine,
    PreparedEntry,
    existing_numbers,
    prepare_entry,
    prepare_line,
)

COLUMNS = ("entry_number", "entry_type", "importer_ior", "filer_code", "port_code", "entry_date", "line_number",
           "hts_number", "country_of_origin", "entered_value", "adcvd_case_number", "liquidation_date",
           "bond_number")
HEADER_FIELDS = ("entry_type", "importer_ior", "filer_code", "port_code", "entry_date", "liquidation_date",
                 "bond_number")
Progress = Callable[[int], None]  # bytes read so far
# Whether the recording organization may record an entry for (importer org id, filer org id): decided by the
# caller with the policy (policies/adcvd.cedar, RecordEntry), never here. None: the caller decided for all.
Authorize = Callable[[str, str | None], bool]


@dataclass
class EntryImportReport:
    accepted: int = 0  # rows (entry lines) stored
    entries: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, row: int, code: str, message: str) -> None:
        self.rejected.append({"row": row, "code": code, "message": message})

    def as_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "rejected": self.rejected}


@dataclass
class _Group:
    number: str  # as written in the file (normalized when valid)
    rows: list[tuple[int, dict[str, str]]]


def _lines(stream: TextIO, progress: Progress | None) -> Iterator[str]:
    # The text layer hides its position while iterating; the byte buffer under it tells how far the file was
    # read (ahead by at most one buffer), which is what a progress bar against the file's size needs.
    raw = getattr(stream, "buffer", None)
    for line in stream:
        if progress is not None and raw is not None:
            progress(raw.tell())
        yield line


def check_encoding(path: Path, chunk: int = 1 << 20) -> None:
    """Refuse a file that is not UTF-8 before anything is written (a stream would fail halfway through)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    with path.open("rb") as raw:
        offset = 0
        while block := raw.read(chunk):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                raise HubError(f"the file is not UTF-8 text (byte {offset + exc.start})",
                               code="INVALID_ENCODING") from None
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise HubError("the file ends inside a UTF-8 character", code="INVALID_ENCODING") from None


def _groups(stream: TextIO, report: EntryImportReport, progress: Progress | None) -> Iterator[_Group]:
    reader = csv.DictReader(_lines(stream, progress))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise HubError(f"the file lacks columns: {', '.join(missing)}", code="MISSING_COLUMNS")
    current: _Group | None = None
    for index, row in enumerate(reader, start=2):  # row 1 is the header
        key = (row.get("entry_number") or "").strip().upper().replace("-", "")
        if current is not None and key == current.number:
            current.rows.append((index, row))
            continue
        if current is not None:
            yield current
        current = _Group(key, [(index, row)])
    if current is not None:
        yield current


def _date(text: str | None, name: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HubError(f"{name} is a date YYYY-MM-DD", code="INVALID_DATE") from None


def _line_number(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise HubError("line_number is a whole number", code="INVALID_LINE_NUMBER") from None


class _Importer:
    def __init__(self, session: AsyncSession, report: EntryImportReport, recorded_by: str, client_id: str,
                 now: datetime, authorize: Authorize | None = None) -> None:
        self.lookups = Lookups(session)
        self.authorize = authorize
        self.report, self.recorded_by, self.client_id, self.now = report, recorded_by, client_id, now
        self.bond_state: dict[str, bond_domain.BondStatus] = {}
        self.surety_codes: dict[str, str | None] = {}
        self.seen: set[str] = set()

    def _reject_group(self, group: _Group, failed_row: int, code: str, message: str) -> None:
        for index, _ in group.rows:
            if index == failed_row:
                self.report.reject(index, code, message)
            else:
                self.report.reject(index, "ENTRY_REJECTED",
                                   f"rejected with its entry: row {failed_row} failed ({code})")

    async def prepare(self, group: _Group) -> PreparedEntry | None:
        """The entry's rows, or None with every row reported. A valid entry is validated once, by
        ``prepare_entry``; only an invalid one is gone through row by row, to name the row that failed."""
        try:
            prepared = await self._prepare_whole(group)
        except HubError:
            return await self._prepare_by_row(group)
        self.seen.add(prepared.entry.number)
        return prepared

    def _specs(self, group: _Group) -> tuple[date, list[NewLine]]:
        head = group.rows[0][1]
        entry_date = _date(head["entry_date"], "entry_date")
        if entry_date is None:
            raise HubError("entry_date is required", code="INVALID_DATE")
        lines = []
        for _, row in group.rows:
            if any((row.get(f) or "").strip() != (head.get(f) or "").strip() for f in HEADER_FIELDS):
                raise HubError("the entry's header fields differ from its first row",
                               code="INCONSISTENT_ENTRY_HEADER")
            lines.append(NewLine(_line_number(row["line_number"]), row["hts_number"], row["country_of_origin"],
                                 row["entered_value"], row.get("adcvd_case_number") or None))
        return entry_date, lines

    async def _prepare_whole(self, group: _Group) -> PreparedEntry:
        # The same checks as _prepare_by_row, in one pass: it raises exactly when _prepare_by_row rejects.
        entry_date, lines = self._specs(group)
        return await self._prepare_entry(group.rows[0][1], entry_date, lines)

    async def _prepare_entry(self, head: dict[str, str], entry_date: date, lines: list[NewLine]) -> PreparedEntry:
        number = normalize_entry_number(head["entry_number"])
        if number in self.seen:
            raise HubError(f"entry {number} appears twice in the file (its rows must be consecutive)",
                           code="DUPLICATE_ENTRY")
        prepared = await prepare_entry(NewEntry(
            entry_number=number, entry_type=head["entry_type"], importer_ior=head["importer_ior"],
            filer_code=head["filer_code"], port_code=head["port_code"], entry_date=entry_date,
            lines=tuple(lines), liquidation_date=_date(head.get("liquidation_date"), "liquidation_date"),
            bond_number=head.get("bond_number") or None), self.lookups, self.recorded_by, self.client_id,
            self.now, source="IMPORT")
        if self.authorize is not None and not self.authorize(prepared.entry.importer_org_id,
                                                             prepared.entry.filer_org_id):
            raise HubError("the recording organization may not record entries for this importer (R-AD-RECORD: "
                           "CBP, or a broker holding the importer's power of attorney)", code="FORBIDDEN")
        if prepared.bond is not None:
            await self._check_bond(prepared)
        return prepared

    async def _prepare_by_row(self, group: _Group) -> PreparedEntry | None:
        first_row, head = group.rows[0]
        lines: list[NewLine] = []
        failed = first_row
        try:
            entry_date = _date(head["entry_date"], "entry_date")
            if entry_date is None:
                raise HubError("entry_date is required", code="INVALID_DATE")
            for index, row in group.rows:
                failed = index
                if any((row.get(f) or "").strip() != (head.get(f) or "").strip() for f in HEADER_FIELDS):
                    raise HubError("the entry's header fields differ from its first row",
                                   code="INCONSISTENT_ENTRY_HEADER")
                spec = NewLine(_line_number(row["line_number"]), row["hts_number"], row["country_of_origin"],
                               row["entered_value"], row.get("adcvd_case_number") or None)
                await prepare_line(spec, entry_date, self.lookups)
                lines.append(spec)
            failed = first_row
            prepared = await self._prepare_entry(head, entry_date, lines)
        except HubError as exc:
            self._reject_group(group, failed, exc.code, exc.message)
            # A later group with this number is a duplicate too: stored on its own it would be a part of a
            # rejected entry.
            with contextlib.suppress(HubError):
                self.seen.add(normalize_entry_number(head["entry_number"]))
            return None
        self.seen.add(prepared.entry.number)
        return prepared

    async def _check_bond(self, prepared: PreparedEntry) -> None:
        # The bond rules of hub.services.bonds.secure_entry, checked once per bond for the whole file.
        bond, entry_date = prepared.bond, prepared.entry.entry_date
        assert bond is not None
        if bond.id not in self.bond_state:
            self.bond_state[bond.id] = await status_now(self.lookups.session, bond, self.now)
            surety = await self.lookups.session.get(Organization, bond.surety_org_id)
            self.surety_codes[bond.id] = surety.surety_code if surety else None
        state = self.bond_state[bond.id]
        if bond.purpose == bond_domain.Purpose.IPR_SAMPLE.value:
            raise HubError("a sample bond secures samples, not entries (§ 113.70)", code="NOT_AN_ENTRY_BOND")
        if state is bond_domain.BondStatus.INSUFFICIENT:
            raise HubError(f"bond {bond.number} is insufficient (R-BOND-03)", code="BOND_INSUFFICIENT")
        if state is not bond_domain.BondStatus.ACTIVE:
            raise HubError(f"bond {bond.number} is {state.value}", code="BOND_NOT_ACTIVE")
        if bond.type != bond_domain.BondType.CONTINUOUS.value:
            raise HubError("the import links entries to continuous bonds only; record single-transaction bonds' "
                           "entries one by one", code="SINGLE_TRANSACTION_BOND_IN_IMPORT")
        if not (bond.effective_on <= entry_date and (bond.terminates_on is None or entry_date < bond.terminates_on)):
            raise HubError("the entry date is outside the bond's term", code="ENTRY_OUTSIDE_BOND_TERM")
        code = self.surety_codes[bond.id]
        if prepared.adcvd_bonded and (code is None or code == SURETY_CODE_BOND_WAIVED):
            # R-BOND-05: bonded AD/CVD needs a surety code on the AD/CVD line data.
            raise HubError("bonded AD/CVD needs the bond's surety code", code="ADCVD_SURETY_REQUIRED")
        prepared.bond_surety_code = code


# A unique key taken meanwhile: SQLAlchemy's error for INSERTs, asyncpg's own for COPY.
_CONFLICTS = (IntegrityError, asyncpg.exceptions.IntegrityConstraintViolationError)


def _row(model: SQLModel) -> dict[str, Any]:
    # Every row of one executemany must carry the same keys: a nullable column is sent even when None (a line
    # without a case next to one with a case); only a None in a NOT NULL column (the outbox's autoincrement
    # ``seq``) is left to the database.
    return {c.name: getattr(model, c.name) for c in model.__table__.columns  # type: ignore[attr-defined]
            if getattr(model, c.name) is not None or c.nullable}


def _rows_of(prepared: list[PreparedEntry], now: datetime, client_id: str
             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    entries, lines, secured, events = [], [], [], []
    # One event per entry; the model is built once (its defaults), the rows differ by id and object only.
    event = _row(OutboxEvent(type=ENTRY_EVENTS["RECORDED"], object_type="Entry", object_id="", occurred_at=now,
                             recorded_at=now))
    # As hub.services.bonds.secure_entry emits for each entry it secures: the surety hears of its exposure.
    secured_event = event | {"type": BOND_EVENTS["ENTRY_SECURED"], "object_type": "Bond"}
    for p in prepared:
        entries.append(p.entry.values())
        lines += [ln.values() for ln in p.lines]
        if p.bond is not None:
            open_adcvd = p.deposits if p.entry.liquidation_date is None else Decimal("0.00")
            secured.append(_row(BondSecuredEntry(
                bond_id=p.bond.id, entry_number=p.entry.number, entry_date=p.entry.entry_date,
                entered_value=sum((ln.entered_value for ln in p.lines), Decimal("0.00")), dtf=Decimal("0.00"),
                adcvd_bonded=p.adcvd_bonded, adcvd_open=open_adcvd,
                surety_code=p.bond_surety_code if p.adcvd_bonded else None,
                secured_at=now, secured_by_client=client_id)))
            events.append(secured_event | {"id": new_id(), "object_id": p.bond.id})
        events.append(event | {"id": new_id(), "object_id": p.entry.id})
    return entries, lines, secured, events


async def _copy(connection: AsyncConnection, table: str, rows: list[dict[str, Any]]) -> None:
    # PostgreSQL COPY through the driver, inside the session's transaction: the values are what SQLAlchemy
    # would bind (Decimal, date, aware datetime), and every row of one table carries the same keys.
    raw = await connection.get_raw_connection()
    columns = list(rows[0])
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table, records=[tuple(r[c] for c in columns) for r in rows], columns=columns)


async def _write(session: AsyncSession, prepared: list[PreparedEntry], now: datetime, client_id: str) -> None:
    entries, lines, secured, events = _rows_of(prepared, now, client_id)
    connection = await session.connection()
    copy = connection.dialect.name == "postgresql"
    for table, rows in ((Entry, entries), (EntryLine, lines), (BondSecuredEntry, secured), (OutboxEvent, events)):
        if rows and copy:
            await _copy(connection, table.__tablename__, rows)
        elif rows:
            await connection.execute(insert(table), rows)


async def _flush(sessions: async_sessionmaker[AsyncSession], batch: list[tuple[_Group, PreparedEntry]],
                 report: EntryImportReport, now: datetime, client_id: str) -> None:
    if not batch:
        return
    async with sessions() as session:
        taken = await existing_numbers(session, [p.entry.number for _, p in batch])
    fresh = []
    for group, p in batch:
        if p.entry.number in taken:
            # FACTS §5: "duplicate entry numbers are a fatal rejection".
            for index, _ in group.rows:
                report.reject(index, "DUPLICATE_ENTRY", f"entry {p.entry.number} is already recorded")
        else:
            fresh.append((group, p))
    try:
        async with sessions() as session, session.begin():
            await _write(session, [p for _, p in fresh], now, client_id)
    except _CONFLICTS:
        # Another writer took an entry number (or secured one) since we looked: retry one entry at a time.
        for group, p in fresh:
            try:
                async with sessions() as session, session.begin():
                    await _write(session, [p], now, client_id)
            except _CONFLICTS:
                for index, _ in group.rows:
                    report.reject(index, "DUPLICATE_ENTRY", f"entry {p.entry.number} is already recorded")
                continue
            report.accepted += len(p.lines)
            report.entries += 1
        return
    report.accepted += sum(len(p.lines) for _, p in fresh)
    report.entries += len(fresh)


async def import_entries(sessions: async_sessionmaker[AsyncSession], path: Path, recorded_by_org_id: str,
                         client_id: str, now: datetime, progress: Progress | None = None,
                         batch_lines: int = 2000, authorize: Authorize | None = None) -> EntryImportReport:
    """Import ``path``; returns what was accepted and every rejected row. Never leaves a partial entry."""
    report = EntryImportReport()
    check_encoding(path)
    with path.open(encoding="utf-8-sig", newline="") as stream:
        async with sessions() as lookup_session:
            importer = _Importer(lookup_session, report, recorded_by_org_id, client_id, now, authorize)
            await importer.lookups.preload_cases()
            batch: list[tuple[_Group, PreparedEntry]] = []
            pending_lines = 0
            # One batch is written while the next is validated: the database's time overlaps Python's. Each
            # write starts only after the previous one committed, so its duplicate check sees that batch.
            writing: asyncio.Task[None] | None = None
            for group in _groups(stream, report, progress):
                prepared = await importer.prepare(group)
                if prepared is None:
                    continue
                batch.append((group, prepared))
                pending_lines += len(prepared.lines)
                if pending_lines >= batch_lines:
                    if writing is not None:
                        await writing
                    writing = asyncio.create_task(_flush(sessions, batch, report, now, client_id))
                    batch, pending_lines = [], 0
            if writing is not None:
                await writing
            await _flush(sessions, batch, report, now, client_id)
    report.rejected.sort(key=lambda r: r["row"])
    return report
