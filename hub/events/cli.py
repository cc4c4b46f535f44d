"""``hub worker [--data-dir D] [--once]``, added to the ``hub`` parser by hub.cli.

Only argparse is imported at module level: hub.cli builds its parser on every start.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.settings import Settings


def add_worker_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = subparsers.add_parser("worker", help="deliver webhooks and emit time-driven events")
    worker.add_argument("--data-dir", default=None, help="embedded store folder (default ./.hub-data, or HUB_DATA_DIR)")
    worker.add_argument("--once", action="store_true", help="one pass (scheduler, fan-out, due deliveries), then exit")
    worker.set_defaults(func=cmd_worker)


def cmd_worker(args: argparse.Namespace) -> int:
    from hub.cli import _settings

    return asyncio.run(run(_settings(args), once=args.once))


async def run(settings: Settings, *, once: bool) -> int:
    from hub.events.worker import run_once, run_worker
    from hub.logs import configure
    from hub.runtime import open_hub

    configure(settings.log_level)
    hub = await open_hub(settings)
    try:
        if once:
            result = await run_once(hub)
            print(f"worker pass: {result.scheduled} time-driven events, {result.fanned_out} fanned out, "
                  f"{result.attempted} delivery attempts")
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print("hub worker: running (Ctrl-C stops after in-flight deliveries)", file=sys.stderr)
        await run_worker(hub, stop)
        return 0
    finally:
        await hub.close()
