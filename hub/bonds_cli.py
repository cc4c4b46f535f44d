"""``hub export bonds --surety CODE``, added to the ``hub`` parser by hub.cli (add_export_commands).

Only argparse is imported at module level: hub.cli builds its parser on every start, and the database layer
is loaded only when an export actually runs. The export reads the store directly (like ``hub audit list``),
so it is an operator's command: whoever can run it can read the data directory anyway.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.settings import Settings


def add_export_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = subparsers.add_parser("export", help="CSV exports")
    commands = export.add_subparsers(dest="export_command", required=True)
    b = commands.add_parser("bonds", help="a surety's bonds (as surety or co-surety) with principal, amount, "
                                          "required amount, status and open exposure, as CSV")
    b.add_argument("--surety", required=True, help="the surety's 3-character CBP surety code, e.g. 457")
    b.add_argument("--output", default=None, help="CSV file to write (default: standard output)")
    b.add_argument("--data-dir", default=None, help="embedded store folder (default ./.hub-data, or HUB_DATA_DIR)")
    b.set_defaults(func=cmd_export_bonds)


def cmd_export_bonds(args: argparse.Namespace) -> int:
    # Imported here, not at module level: hub.cli imports this module while it is itself being imported.
    from hub.cli import _settings

    return asyncio.run(run_export_bonds(_settings(args), args.surety, args.output))


async def run_export_bonds(settings: Settings, surety_code: str, output: str | None) -> int:
    from datetime import UTC, datetime

    from hub.runtime import open_hub
    from hub.services.bond_export import export_surety_bonds

    hub = await open_hub(settings)
    try:
        if output is None:
            count = await export_surety_bonds(hub.sessions, hub.policy, surety_code, datetime.now(UTC), sys.stdout)
        else:
            path = Path(output)
            # Written beside the target and renamed: a failed export never leaves a half-written file behind.
            partial = path.with_name(path.name + ".partial")
            try:
                with partial.open("w", newline="", encoding="utf-8") as out:
                    count = await export_surety_bonds(hub.sessions, hub.policy, surety_code, datetime.now(UTC), out)
                partial.replace(path)
            finally:
                partial.unlink(missing_ok=True)
    finally:
        await hub.close()
    print(f"exported {count} bonds of surety {surety_code.strip().upper()}"
          + (f" to {output}" if output else ""), file=sys.stderr)
    return 0
