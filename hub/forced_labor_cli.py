"""``hub import wro FILE`` and ``hub forced-labor metrics [--output CSV] [--chart PNG]`` (issue 7).

Operator commands like ``hub export bonds``: they read and write the store directly (whoever can run them can read
the data directory anyway), so the metrics export is the detailed, unsuppressed view. Only argparse is imported at
module level: hub.cli builds its parser on every start.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.services.forced_labor_metrics import MetricsRow
    from hub.settings import Settings

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

CSV_COLUMNS = ("period", "order_type", "order_effective_date", "country", "order_scope", "shipments", "value",
               "released", "exported", "excluded", "seized", "pending", "median_days_to_resolution",
               "share_resolved_within_window")
DATA_DIR_HELP = "embedded store folder (default ./.hub-data, or HUB_DATA_DIR)"


def add_forced_labor_commands(subparsers: Subparsers, imports: Subparsers) -> None:
    w = imports.add_parser("wro", help="load the public list of WROs and Findings (CBP's CSV shape; idempotent)")
    w.add_argument("file", help="CSV like hub/reference/cbp_wro_findings.csv")
    w.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    w.set_defaults(func=cmd_import_wro)
    group = subparsers.add_parser("forced-labor", help="forced-labor metrics").add_subparsers(
        dest="forced_labor_command", required=True)
    m = group.add_parser("metrics", help="detentions per WRO/Finding and period as CSV, and a PNG of outcomes")
    m.add_argument("--period", choices=["MONTH", "QUARTER", "YEAR"], default="QUARTER")
    m.add_argument("--output", default=None, help="CSV file to write (default: standard output)")
    m.add_argument("--chart", default=None, help="PNG file: outcomes of detentions over time")
    m.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    m.set_defaults(func=cmd_metrics)


def _settings(args: argparse.Namespace) -> Settings:
    from hub.cli import _settings as settings_of

    return settings_of(args)


def cmd_import_wro(args: argparse.Namespace) -> int:
    from hub.domain.forced_labor_orders import parse_csv

    records = parse_csv(read_wro_file(Path(args.file)))  # a bad row fails here, before anything is written
    return asyncio.run(_import(_settings(args), records))


def read_wro_file(path: Path) -> str:
    """The file's text (UTF-8, a BOM allowed). Codes (exit 2 through hub.cli.main, nothing written): FILE_NOT_FOUND,
    FILE_UNREADABLE, INVALID_ENCODING."""
    from hub.errors import InvalidInput

    if not path.is_file():
        raise InvalidInput(f"no such file: {path}", code="FILE_NOT_FOUND")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text (byte {exc.start}): save the CSV as UTF-8",
                           code="INVALID_ENCODING") from None
    except OSError as exc:  # vanished since the check, unreadable, ...
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", code="FILE_UNREADABLE") from None


async def _import(settings: Settings, records: list[Any]) -> int:
    from datetime import UTC, datetime

    from hub.db.session import transaction
    from hub.runtime import open_hub
    from hub.services.forced_labor_orders import import_orders

    hub = await open_hub(settings)
    try:
        async with transaction(hub.sessions) as session:
            result = await import_orders(session, records, datetime.now(UTC))
    finally:
        await hub.close()
    print(f"WROs and Findings: {result.created} new, {result.updated} updated, {result.unchanged} unchanged")
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    return asyncio.run(run_metrics(_settings(args), args.period, args.output, args.chart))


async def run_metrics(settings: Settings, period: str, output: str | None, chart: str | None) -> int:
    from datetime import UTC, datetime

    from hub.runtime import open_hub
    from hub.services import forced_labor_metrics as metrics
    from hub.services.forced_labor_views import orders_by_id

    hub = await open_hub(settings)
    try:
        async with hub.sessions() as session:
            rows = await metrics.metrics(session, metrics.Period(period), datetime.now(UTC))
            orders = {k: v.row for k, v in (await orders_by_id(session, {r.order_id for r in rows
                                                                         if r.order_id})).items()}
    finally:
        await hub.close()
    table = [_csv_row(r, orders) for r in rows]
    if output is None:
        _write_csv(sys.stdout, table)
    else:
        _atomic(Path(output), lambda path: _write_csv_file(path, table))
    if chart is not None:
        _atomic(Path(chart), lambda path: write_chart(rows, path))
    print(f"{len(rows)} cells" + (f" to {output}" if output else "") + (f"; chart {chart}" if chart else ""),
          file=sys.stderr)
    return 0


def _csv_row(r: MetricsRow, orders: dict[str, Any]) -> dict[str, str]:
    order = orders.get(r.order_id) if r.order_id else None
    share = r.share_resolved_within_window
    return {"period": r.period, "order_type": order.order_type if order else "UFLPA",
            "order_effective_date": order.effective_on.isoformat() if order else "",
            "country": order.country if order else "", "order_scope": order.scope if order else "",
            "shipments": str(r.shipments), "value": f"{r.value:.2f}" if r.value is not None else "",
            "released": str(r.released), "exported": str(r.exported), "excluded": str(r.excluded),
            "seized": str(r.seized), "pending": str(r.pending),
            "median_days_to_resolution": str(r.median_days_to_resolution or ""),
            "share_resolved_within_window": str(share) if share is not None else ""}


def _write_csv(out: Any, table: list[dict[str, str]]) -> None:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)


def _write_csv_file(path: Path, table: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        _write_csv(out, table)


def _atomic(path: Path, write: Any) -> None:
    # Written beside the target and renamed: a failed export never leaves a half-written file behind.
    partial = path.with_name(path.name + ".partial")
    try:
        write(partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def write_chart(rows: list[MetricsRow], path: Path) -> None:
    """Stacked bars of outcomes per period, all orders together (matplotlib, Agg: no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    periods = sorted({r.period for r in rows})
    names = ("released", "exported", "excluded", "seized", "pending")
    totals = {n: [sum(getattr(r, n) or 0 for r in rows if r.period == p) for p in periods] for n in names}
    fig, ax = plt.subplots(figsize=(max(6.0, 0.6 * len(periods) + 2), 4.0), dpi=100)
    bottom = [0] * len(periods)
    for n in names:
        ax.bar(periods, totals[n], bottom=bottom, label=n)
        bottom = [b + v for b, v in zip(bottom, totals[n], strict=True)]
    ax.set_title("Forced-labor detentions by outcome (19 CFR 12.42-12.45; UFLPA)")
    ax.set_xlabel("period of detention")
    ax.set_ylabel("shipments")
    ax.legend()
    ax.tick_params(axis="x", labelrotation=45)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
