"""``hub audit verify`` and ``hub audit list``, added to the ``hub`` parser by hub.cli.

Only argparse is imported at module level: hub.cli builds its parser on every start, and the database
layer is loaded only when an audit command actually runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.db.audit_tables import DisclosureEntry
    from hub.settings import Settings


def add_audit_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = subparsers.add_parser("audit", help="the disclosure audit log")
    commands = audit.add_subparsers(dest="audit_command", required=True)

    v = commands.add_parser("verify", help="recompute the hash chain; exit 1 if any entry was changed")
    v.add_argument("--data-dir", default=None, help="embedded store folder (default ./.hub-data, or HUB_DATA_DIR)")
    v.add_argument("--batch", type=int, default=5000, help="entries read per query")
    v.set_defaults(func=cmd_audit_verify)

    ls = commands.add_parser("list", help="who was given an object's restricted data")
    ls.add_argument("--object-type", required=True, help='e.g. "Detention"')
    ls.add_argument("--object-id", required=True, help="the object's Hub id")
    ls.add_argument("--first", type=int, default=100, help="at most this many entries")
    ls.add_argument("--after-seq", type=int, default=None, help="continue after this entry (paging)")
    ls.add_argument("--json", action="store_true")
    ls.add_argument("--data-dir", default=None)
    ls.set_defaults(func=cmd_audit_list)


def _settings(args: argparse.Namespace) -> Settings:
    # Imported here, not at module level: hub.cli imports this module while it is itself being imported.
    from hub.cli import _settings as hub_settings

    return hub_settings(args)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    return asyncio.run(run_verify(_settings(args), args.batch))


def cmd_audit_list(args: argparse.Namespace) -> int:
    return asyncio.run(
        run_list(_settings(args), args.object_type, args.object_id, args.first, args.after_seq, as_json=args.json)
    )


async def run_verify(settings: Settings, batch: int = 5000) -> int:
    from hub.audit.log import verify
    from hub.runtime import open_hub

    hub = await open_hub(settings)
    try:
        async with hub.sessions() as session:
            result = await verify(session, batch)
    finally:
        await hub.close()
    if result.ok:
        print(f"audit chain OK: {result.entries} entries")
        return 0
    print(f"audit chain BROKEN at seq {result.first_bad_seq}: {result.problem}", file=sys.stderr)
    return 1


async def run_list(
    settings: Settings, object_type: str, object_id: str, first: int = 100, after_seq: int | None = None,
    *, as_json: bool = False,
) -> int:
    from hub.audit.log import accesses
    from hub.runtime import open_hub

    hub = await open_hub(settings)
    try:
        async with hub.sessions() as session:
            entries = await accesses(session, object_type, object_id, first, after_seq)
    finally:
        await hub.close()
    if as_json:
        print(json.dumps([entry_json(e) for e in entries], indent=2))
        return 0
    if not entries:
        print(f"no disclosures recorded for {object_type} {object_id}", file=sys.stderr)
    for e in entries:
        print(f"{e.seq:>8} {entry_json(e)['at']} {e.client_id:28} {e.organization_id:32} {e.channel:11} "
              f"{e.item} [{e.rule_ids} @ {e.policy_version}]")
    return 0


def entry_json(entry: DisclosureEntry) -> dict[str, Any]:
    from hub.audit.chain import utc_iso

    return {
        "seq": entry.seq,
        "at": utc_iso(entry.at),
        "client_id": entry.client_id,
        "organization_id": entry.organization_id,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "item": entry.item,
        "rule_ids": entry.rule_ids.split(",") if entry.rule_ids else [],
        "policy_version": entry.policy_version,
        "channel": entry.channel,
        "request_id": entry.request_id,
        "hash": entry.hash,
    }
