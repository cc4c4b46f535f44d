"""``hub import wro FILE`` (idempotent, R-FL-01) and ``hub forced-labor metrics`` (CSV and PNG chart)."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.cli import main
from hub.runtime import open_hub
from hub.services.demo import seed_parties
from hub.services.demo_forced_labor import seed_forced_labor
from hub.settings import Settings

SOURCE = Path(__file__).resolve().parent.parent / "hub" / "reference" / "cbp_wro_findings.csv"


def test_import_wro_is_idempotent_and_records_status_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    data = str(tmp_path / "store")
    assert main(["import", "wro", str(SOURCE), "--data-dir", data]) == 0
    assert "69 new, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert main(["import", "wro", str(SOURCE), "--data-dir", data]) == 0
    assert "0 new, 0 updated, 69 unchanged" in capsys.readouterr().out
    changed = tmp_path / "changed.csv"
    text = SOURCE.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if "Finca Monte Grande" in line)
    changed.write_text(text.replace(row, row.replace("Active (as labelled in transcription of CBP CSV fy26-dec)",
                                                     "Revoked 2026-11-01")), encoding="utf-8")
    assert main(["import", "wro", str(changed), "--data-dir", data]) == 0
    assert "0 new, 1 updated, 68 unchanged" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("effective_date,country\n2020-01-01,X\n", encoding="utf-8")
    assert main(["import", "wro", str(bad), "--data-dir", data]) == 2
    assert "INVALID_WRO_FILE" in capsys.readouterr().err


def test_import_wro_refuses_a_non_utf8_or_missing_file_with_a_code(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "store")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(SOURCE.read_text(encoding="utf-8").replace("Finca Monte Grande", "Caf\u00e9 Grande")
                       .encode("latin-1", errors="replace"))
    assert main(["import", "wro", str(latin1), "--data-dir", data]) == 2  # was a UnicodeDecodeError traceback
    err = capsys.readouterr().err
    assert "INVALID_ENCODING" in err and "UTF-8" in err and "Traceback" not in err
    assert main(["import", "wro", str(tmp_path / "missing.csv"), "--data-dir", data]) == 2
    assert "FILE_NOT_FOUND" in capsys.readouterr().err
    assert main(["import", "wro", str(tmp_path), "--data-dir", data]) == 2  # a directory is not a file
    assert "FILE_NOT_FOUND" in capsys.readouterr().err
    assert main(["import", "wro", str(SOURCE), "--data-dir", data]) == 0
    assert "69 new, 0 updated, 0 unchanged" in capsys.readouterr().out  # nothing was written before


def test_metrics_export_csv_and_png_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "store"

    async def seed() -> None:
        hub = await open_hub(Settings(data_dir=data, demo=True))
        try:
            now = datetime.now(UTC)
            await seed_parties(hub.sessions, now)
            await seed_forced_labor(hub.sessions, hub.calendar, now)
        finally:
            await hub.close()

    asyncio.run(seed())
    out, chart = tmp_path / "metrics.csv", tmp_path / "outcomes.png"
    assert main(["forced-labor", "metrics", "--period", "MONTH", "--output", str(out), "--chart", str(chart),
                 "--data-dir", str(data)]) == 0
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sum(int(r["shipments"]) for r in rows) == 9
    assert {r["order_type"] for r in rows} == {"WRO", "FINDING", "UFLPA"}
    assert sum(int(r["seized"]) for r in rows) == 1 and sum(int(r["pending"]) for r in rows) == 3
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert not list(tmp_path.glob("*.partial"))
