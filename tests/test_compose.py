"""docker-compose.yml wires the Hub to its PostgreSQL and MinIO, and Docker Compose accepts the file.

No Docker engine runs on the development machines, so the file is checked statically: structure with
PyYAML, and the full Compose schema/interpolation with `docker compose config -q` when the CLI plugin
is installed (skipped with the reason otherwise).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml  # type: ignore[import-untyped,unused-ignore]  # no stubs in the venv

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    # Compose allows both the mapping and the KEY=VALUE list form; the tests accept either.
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _default(value: str) -> str:
    """Resolve ``${VAR:-default}`` to its default, as Compose does with VAR unset."""
    out, rest = "", value
    while "${" in rest:
        head, _, tail = rest.partition("${")
        expr, _, rest = tail.partition("}")
        out += head + (expr.split(":-", 1)[1] if ":-" in expr else "")
    return out + rest


def test_services_present(compose: dict[str, Any]) -> None:
    assert {"postgres", "minio", "minio-init", "hub"} <= set(compose["services"])


def test_hub_database_points_at_postgres_service(compose: dict[str, Any]) -> None:
    services = compose["services"]
    url = urlsplit(_default(_env(services["hub"])["HUB_DATABASE_URL"]))
    pg = _env(services["postgres"])
    assert url.scheme == "postgresql+asyncpg"
    assert (url.hostname, url.port) == ("postgres", 5432)
    assert url.username == _default(pg["POSTGRES_USER"])
    assert url.password == _default(pg["POSTGRES_PASSWORD"])
    assert url.path.lstrip("/") == _default(pg["POSTGRES_DB"])
    # The password must come from the same variable on both sides, not just match by default.
    assert "${POSTGRES_PASSWORD" in _env(services["hub"])["HUB_DATABASE_URL"]
    assert "${POSTGRES_PASSWORD" in pg["POSTGRES_PASSWORD"]


def test_hub_objects_point_at_minio_service(compose: dict[str, Any]) -> None:
    services = compose["services"]
    hub, minio = _env(services["hub"]), _env(services["minio"])
    assert hub["HUB_S3_ENDPOINT"] == "minio:9000"
    assert hub["HUB_S3_SECURE"] == "false"
    assert hub["HUB_S3_ACCESS_KEY"] == minio["MINIO_ROOT_USER"]
    assert hub["HUB_S3_SECRET_KEY"] == minio["MINIO_ROOT_PASSWORD"]
    assert hub["HUB_S3_ACCESS_KEY"].startswith("${") and hub["HUB_S3_SECRET_KEY"].startswith("${")
    assert "server /data" in str(services["minio"]["command"])


def test_init_service_creates_the_hub_bucket(compose: dict[str, Any]) -> None:
    services = compose["services"]
    init = services["minio-init"]
    bucket = _env(services["hub"])["HUB_S3_BUCKET"]
    script = " ".join(init["command"]) if isinstance(init["command"], list) else init["command"]
    assert init["image"].startswith("minio/mc")
    assert "http://minio:9000" in script
    assert f"mc mb --ignore-existing hub/{bucket}" in script
    assert init["depends_on"]["minio"]["condition"] == "service_healthy"
    assert _env(init)["MINIO_ROOT_USER"] == _env(services["minio"])["MINIO_ROOT_USER"]


def test_hub_waits_for_its_dependencies(compose: dict[str, Any]) -> None:
    hub = compose["services"]["hub"]
    assert hub["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert hub["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"
    assert "healthcheck" in compose["services"]["postgres"]
    assert "healthcheck" in compose["services"]["minio"]


def test_hub_is_built_served_and_health_checked(compose: dict[str, Any]) -> None:
    hub = compose["services"]["hub"]
    assert hub["build"] in (".", {"context": "."})
    assert "8000:8000" in hub["ports"]
    assert _env(hub)["HUB_ISSUER"] == "http://localhost:8000"
    assert "/healthz" in " ".join(hub["healthcheck"]["test"])
    # The signing key lives in the data dir; without a volume every restart invalidates all tokens.
    assert any(str(v).endswith(":/var/lib/hub") for v in hub["volumes"])
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "HUB_DATA_DIR=/var/lib/hub" in dockerfile
    assert "EXPOSE 8000" in dockerfile


def _compose_cli_reason() -> str | None:
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return f"`docker compose version` failed: {(probe.stderr or probe.stdout).strip()[:200]}"
    return None


def test_docker_compose_config_accepts_the_file() -> None:
    reason = _compose_cli_reason()
    if reason is not None:
        pytest.skip(reason)
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "-q"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
