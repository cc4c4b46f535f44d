"""``hub import adcvd-orders FILE`` and ``hub import entries FILE.csv [--json-report]`` (issue 6).

Operator commands like ``hub export bonds``: they write to the store directly, as the organization named by
``--org`` (default: the Hub's CBP organization). Only argparse is imported at module level.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.runtime import Hub
    from hub.settings import Settings

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def add_import_commands(subparsers: Subparsers) -> Subparsers:
    """The ``hub import`` group; returned so other domains add their own ``hub import X`` to it."""
    parser = subparsers.add_parser("import", help="load reference data or bulk data from files")
    commands = parser.add_subparsers(dest="import_command", required=True)
    o = commands.add_parser("adcvd-orders", help="load AD/CVD orders (the USITC/ITA orders list CSV; idempotent)")
    o.add_argument("file", help="CSV with case_number, country, product, order_date, ... (hub/reference/"
                                "adcvd_orders.csv is the shipped copy)")
    o.add_argument("--data-dir", default=None, help="embedded store folder (default ./.hub-data, or HUB_DATA_DIR)")
    o.set_defaults(func=cmd_import_orders)
    r = commands.add_parser("adcvd-rates", help="load company-specific cash deposit rates (ACE number, company, "
                                                 "rate, effective date; idempotent)")
    r.add_argument("file", help="CSV with ace_number, company_name, rate_percent, effective_from[, basis]")
    r.add_argument("--data-dir", default=None, help="embedded store folder (default ./.hub-data, or HUB_DATA_DIR)")
    r.set_defaults(func=cmd_import_rates)
    e = commands.add_parser("entries", help="bulk-load entry lines (one row per line; an entry's rows consecutive)")
    e.add_argument("file")
    e.add_argument("--json-report", action="store_true",
                   help='print {"accepted": N, "rejected": [{"row", "code", "message"}]} on standard output')
    e.add_argument("--org", default=None, help="slug of the organization recording the entries (default: CBP)")
    e.add_argument("--data-dir", default=None, help="embedded store folder (default ./.hub-data, or HUB_DATA_DIR)")
    e.set_defaults(func=cmd_import_entries)
    return commands


def _settings(args: argparse.Namespace) -> Settings:
    from hub.cli import _settings as settings_of

    return settings_of(args)


def _read_rows(command: str, file: str, parse: Callable[[str], list[dict[str, str]]]) -> list[dict[str, str]] | None:
    """The rows of a small reference CSV, or None after telling why on standard error (exit status 2)."""
    from hub.errors import HubError

    path = Path(file)
    try:
        return parse(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        print(f"hub import {command}: cannot read {path}: {exc}", file=sys.stderr)
    except HubError as exc:
        print(f"hub import {command}: {exc.code}: {exc.message}", file=sys.stderr)
    return None


def cmd_import_orders(args: argparse.Namespace) -> int:
    from hub.services.adcvd_cases import read_orders

    rows = _read_rows("adcvd-orders", args.file, read_orders)
    return 2 if rows is None else asyncio.run(run_import_orders(_settings(args), rows))


async def run_import_orders(settings: Settings, rows: list[dict[str, str]]) -> int:
    from datetime import UTC, datetime

    from hub.db.session import transaction
    from hub.runtime import open_hub
    from hub.services.adcvd_cases import import_orders

    hub = await open_hub(settings)
    try:
        async with transaction(hub.sessions) as session:
            report = await import_orders(session, rows, datetime.now(UTC))
    finally:
        await hub.close()
    print(json.dumps(report.as_json(), indent=2))
    print(f"orders: {report.accepted} new, {report.updated} updated, {report.unchanged} unchanged, "
          f"{report.flagged} flagged by the source, {len(report.rejected)} rejected", file=sys.stderr)
    return 0


def cmd_import_rates(args: argparse.Namespace) -> int:
    from hub.services.adcvd_cases import read_rates

    rows = _read_rows("adcvd-rates", args.file, read_rates)
    return 2 if rows is None else asyncio.run(run_import_rates(_settings(args), rows))


async def run_import_rates(settings: Settings, rows: list[dict[str, str]]) -> int:
    from hub.db.session import transaction
    from hub.runtime import open_hub
    from hub.services.adcvd_cases import import_rates

    hub = await open_hub(settings)
    try:
        async with transaction(hub.sessions) as session:
            report = await import_rates(session, rows)
    finally:
        await hub.close()
    print(json.dumps(report.as_json(), indent=2))
    print(f"rates: {report.accepted} new, {report.updated} updated, {report.unchanged} unchanged, "
          f"{len(report.rejected)} rejected", file=sys.stderr)
    return 0


def cmd_import_entries(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"hub import entries: no such file: {path}", file=sys.stderr)
        return 2
    return asyncio.run(run_import_entries(_settings(args), path, path.stat().st_size, args.org, args.json_report))


async def _recorder(hub: Hub, slug: str | None) -> tuple[str, Callable[[str, str | None], bool]]:
    """The recording organization and the policy's answer, per importer, to "may it record this entry?"."""
    from sqlmodel import col, select

    from hub.db.tables import Organization
    from hub.errors import HubError
    from hub.policy.adcvd_facts import EntryTies, entry_subject
    from hub.policy.engine import PrincipalFacts
    from hub.policy.facts import poa_relations
    from hub.services.parties import active_poa_pairs

    async with hub.sessions() as session:
        query = select(Organization)
        query = query.where(col(Organization.slug) == slug) if slug else query.where(
            col(Organization.kind) == "CBP").order_by(col(Organization.created_at))
        found = (await session.exec(query)).first()
        if found is None:
            raise HubError(f"no organization {slug or 'of kind CBP'} in the Hub", code="UNKNOWN_ORGANIZATION")
        ties = EntryTies(found.id, poa_relations(found.id, await active_poa_pairs(session, found.id)))
    # The operator acts for the organization as its officers (CBP) or its trade staff would through GraphQL:
    # the same RecordEntry rule (policies/adcvd.cedar R-AD-RECORD) decides, importer by importer.
    kind = found.kind.value
    principal = PrincipalFacts(kind=kind, roles=frozenset({"officer"} if kind == "CBP" else {"trade"}))

    def authorize(importer_org_id: str, filer_org_id: str | None) -> bool:
        subject = entry_subject(ties, importer_org_id, filer_org_id, ())
        return hub.policy.decide(principal, "RecordEntry", subject.resource_type, subject.facts).allowed

    return found.id, authorize


async def run_import_entries(settings: Settings, path: Path, size: int, org: str | None, json_report: bool) -> int:
    from datetime import UTC, datetime

    from hub.errors import HubError
    from hub.runtime import open_hub
    from hub.services.entry_import import check_encoding, import_entries

    try:
        check_encoding(path)
    except HubError as exc:
        print(f"hub import entries: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    hub = await open_hub(settings)
    try:
        recorder, authorize = await _recorder(hub, org)
        with _progress(size) as advance:
            report = await import_entries(hub.sessions, path, recorder, "cli:hub-import", datetime.now(UTC),
                                          progress=advance, authorize=authorize)
    except HubError as exc:
        print(f"hub import entries: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    finally:
        await hub.close()
    if json_report:
        print(json.dumps(report.as_json(), indent=2))
    print(f"entries: {report.entries} entries ({report.accepted} lines) accepted, {len(report.rejected)} rows "
          "rejected", file=sys.stderr)
    return 0


class _progress:
    """A rich progress bar on a terminal (bytes read of the file's size); silent when standard error is not one."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar: Any = None

    def __enter__(self) -> Any:
        if not sys.stderr.isatty():
            return None
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

        self.bar = Progress("importing", BarColumn(), TaskProgressColumn(), TimeRemainingColumn(), transient=True)
        self.bar.start()
        task = self.bar.add_task("entries", total=self.total)
        return lambda done: self.bar.update(task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
