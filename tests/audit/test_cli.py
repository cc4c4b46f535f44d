"""`hub audit verify` and `hub audit list` on an embedded store, in-process and as the real command."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from hub.audit.cli import run_list, run_verify
from hub.audit.log import Disclosure, record
from hub.db.audit_tables import DisclosureChannel
from hub.db.session import transaction
from hub.runtime import open_hub
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def _disclosure(n: int, object_id: str) -> Disclosure:
    return Disclosure(
        client_id=f"client-{n}", organization_id="org-cbp", object_type="Detention", object_id=object_id,
        item="images:UNREDACTED", rule_ids=("R-DET-01",), policy_version="cedar-0123456789ab",
        channel=DisclosureChannel.IMAGE_FETCH, at=NOW, request_id=f"req-{n}",
    )


async def _seed(data_dir: Path) -> None:
    """Three disclosures of det-1 and one of det-2 in the store under ``data_dir``."""
    hub = await open_hub(make_settings(data_dir))
    try:
        async with transaction(hub.sessions) as session:
            await record(session, [_disclosure(n, "det-1" if n < 3 else "det-2") for n in range(4)])
    finally:
        await hub.close()


async def _tamper(data_dir: Path, sql: str) -> None:
    hub = await open_hub(make_settings(data_dir))
    try:
        async with hub.engine.begin() as conn:
            await conn.execute(text(sql))
    finally:
        await hub.close()


async def _hub(*args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_verify_reports_ok_then_the_first_break(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await _seed(tmp_path)
    assert await run_verify(make_settings(tmp_path)) == 0
    assert capsys.readouterr().out.strip() == "audit chain OK: 4 entries"

    await _tamper(tmp_path, "UPDATE disclosure_log SET client_id = 'nobody' WHERE seq = 2")
    assert await run_verify(make_settings(tmp_path), batch=1) == 1
    err = capsys.readouterr().err
    assert err.startswith("audit chain BROKEN at seq 2: ") and "edited" in err


async def test_list_prints_who_accessed_an_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await _seed(tmp_path)
    assert await run_list(make_settings(tmp_path), "Detention", "det-1", as_json=True) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["client_id"] for e in listed] == ["client-0", "client-1", "client-2"]
    assert listed[0]["at"] == "2026-03-04T12:00:00.000000Z" and listed[0]["rule_ids"] == ["R-DET-01"]
    assert listed[0]["item"] == "images:UNREDACTED" and listed[0]["channel"] == "IMAGE_FETCH"

    assert await run_list(make_settings(tmp_path), "Detention", "det-1", first=2, after_seq=1) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "client-1" in lines[0] and "client-2" in lines[1]

    assert await run_list(make_settings(tmp_path), "Detention", "nothing") == 0
    assert "no disclosures recorded" in capsys.readouterr().err


async def test_the_hub_command_runs_audit_verify_and_list(tmp_path: Path) -> None:
    await _seed(tmp_path)
    code, out, err = await _hub("audit", "verify", "--data-dir", str(tmp_path))
    assert (code, out.strip()) == (0, "audit chain OK: 4 entries"), err

    code, out, err = await _hub("audit", "list", "--object-type", "Detention", "--object-id", "det-2", "--json",
                                "--data-dir", str(tmp_path))
    assert code == 0, err
    assert [e["request_id"] for e in json.loads(out)] == ["req-3"]

    await _tamper(tmp_path, "DELETE FROM disclosure_log WHERE seq = 3")
    code, out, err = await _hub("audit", "verify", "--data-dir", str(tmp_path))
    assert code == 1 and err.strip() == "audit chain BROKEN at seq 4: entry 3 missing (deleted)"


async def test_bad_paging_is_an_error_code_not_a_traceback(tmp_path: Path) -> None:
    await _seed(tmp_path)
    code, _out, err = await _hub("audit", "list", "--object-type", "Detention", "--object-id", "det-1",
                                 "--first", "0", "--data-dir", str(tmp_path))
    assert code == 2 and "INVALID_PAGE_SIZE" in err and "Traceback" not in err
