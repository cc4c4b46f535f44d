"""The `hub` command: schema contract, demo seeding, client creation, and fail-fast serving."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub.cli import SCHEMA_PATH, main
from hub.graphql.schema import printed_sdl

ROOT = Path(__file__).resolve().parent.parent


def test_committed_schema_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "check"]) == 0, "schema/hub.graphql is stale: run `hub schema write`"
    assert SCHEMA_PATH.read_text() == printed_sdl()


def test_schema_check_fails_when_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "hub.graphql"
    stale.write_text(printed_sdl().replace("viewer: Viewer!", "viewer: Viewer"))
    assert main(["schema", "check", "--path", str(stale)]) == 1
    assert "stale" in capsys.readouterr().err


def _hub(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=ROOT, check=False)


def test_demo_clients_are_seeded_once_and_printed_as_json(tmp_path: Path) -> None:
    first = _hub("demo", "clients", "--json", "--data-dir", str(tmp_path))
    second = _hub("demo", "clients", "--json", env={"HUB_DATA_DIR": str(tmp_path)})
    assert first.returncode == 0, first.stderr
    clients = json.loads(first.stdout)
    assert json.loads(second.stdout) == clients, "a second run must neither duplicate nor change the seed"
    kinds = [c["kind"] for c in clients]
    assert kinds.count("CBP") >= 2 and kinds.count("IMPORTER") >= 2 and kinds.count("IP_OWNER") >= 2
    assert kinds.count("PGA") >= 2 and "BROKER" in kinds and "SURETY" in kinds
    for c in clients:
        assert set(c) >= {"client_id", "client_secret", "organization", "kind", "roles", "identifiers"}
    by_kind = {c["kind"]: c["identifiers"] for c in clients}
    assert "ior_number" in by_kind["IMPORTER"] and "filer_code" in by_kind["BROKER"]
    assert "surety_code" in by_kind["SURETY"] and "agency_code" in by_kind["PGA"]
    assert any("recordations" in c["identifiers"] for c in clients if c["kind"] == "IP_OWNER")


def test_clients_create_prints_the_secret_once(tmp_path: Path) -> None:
    assert _hub("demo", "clients", "--data-dir", str(tmp_path)).returncode == 0
    made = _hub("clients", "create", "--org", "12-3456789AB", "--roles", "trade", "--data-dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    out = json.loads(made.stdout)
    assert out["client_secret"] and out["roles"] == ["trade"]
    assert "shown once" in made.stderr
    dump = (tmp_path / "hub.sqlite3").read_bytes()
    assert out["client_secret"].encode() not in dump, "only the hash may be stored"


@pytest.mark.parametrize(
    ("args", "code"),
    [(["--org", "no-such-org", "--roles", "trade"], "UNKNOWN_ORGANIZATION"),
     (["--org", "acme-home", "--roles", "superuser"], "INVALID_ROLES"),
     (["--org", "acme-home", "--roles", "hub-admin"], "INVALID_ROLES")],
)
def test_clients_create_rejects_bad_input(tmp_path: Path, args: list[str], code: str) -> None:
    assert _hub("demo", "clients", "--data-dir", str(tmp_path)).returncode == 0
    made = _hub("clients", "create", *args, "--data-dir", str(tmp_path))
    assert made.returncode == 2
    assert code in made.stderr and "Traceback" not in made.stderr


def test_serve_without_demo_fails_fast_naming_what_is_missing(tmp_path: Path) -> None:
    run = _hub("serve", "--data-dir", str(tmp_path), timeout=30)
    assert run.returncode == 2
    assert "HUB_DATABASE_URL" in run.stderr and "HUB_S3_ENDPOINT" in run.stderr
    assert "Traceback" not in run.stderr


def test_serve_without_demo_fails_fast_when_services_are_unreachable(tmp_path: Path) -> None:
    env = {"HUB_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
           "HUB_S3_ENDPOINT": "127.0.0.1:1", "HUB_S3_ACCESS_KEY": "k", "HUB_S3_SECRET_KEY": "s"}
    run = _hub("serve", "--data-dir", str(tmp_path), env=env, timeout=60)
    assert run.returncode == 2
    assert "DATABASE_UNAVAILABLE" in run.stderr and "Traceback" not in run.stderr
