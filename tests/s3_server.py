"""Starts the S3-protocol test server (npm ``@20minutes/s3rver``, see tests/s3server/) for a test session.

Any conftest can expose it with ``from tests.s3_server import s3_server  # noqa: F401``; tests then
take the session-scoped ``s3_server`` fixture (an :class:`S3TestServer`) and get a fresh bucket with
:meth:`S3TestServer.new_bucket_name` (or use the pre-made ``S3TestServer.bucket``).

Without node/npm (or when ``npm ci`` cannot install the pinned package) the fixture skips its tests
with the reason, unless ``HUB_REQUIRE_S3_TESTS=1`` (CI) where it fails them instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SERVER_DIR = Path(__file__).parent / "s3server"
REQUIRE_ENV = "HUB_REQUIRE_S3_TESTS"
READY_PREFIX = "S3RVER READY "
START_TIMEOUT = 30.0
NPM_CI_TIMEOUT = 300.0


class S3ServerUnavailable(RuntimeError):
    """Node, npm or the pinned package is missing: a reason to skip, not a test failure."""


@dataclass(frozen=True)
class S3TestServer:
    host: str
    port: int
    bucket: str
    # s3rver's built-in account; it rejects requests signed with anything else.
    access_key: str = "S3RVER"
    secret_key: str = "S3RVER"
    region: str = "us-east-1"
    secure: bool = False

    @property
    def endpoint(self) -> str:
        """``host:port``, as ``S3ObjectStore``/minio take it."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @staticmethod
    def new_bucket_name() -> str:
        """A unique, valid bucket name; create it with ``ensure_bucket()``."""
        return f"hub-test-{uuid.uuid4().hex[:16]}"


def _install() -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise S3ServerUnavailable("node and npm are needed for the S3 test server (tests/s3server)")
    if (SERVER_DIR / "node_modules" / "@20minutes" / "s3rver").is_dir():
        return
    try:
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=SERVER_DIR,
            capture_output=True,
            text=True,
            timeout=NPM_CI_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise S3ServerUnavailable(f"npm ci in {SERVER_DIR} timed out") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise S3ServerUnavailable(f"npm ci in {SERVER_DIR} failed: {' | '.join(tail)}")


def _wait_ready(proc: subprocess.Popen[bytes], log_path: Path, deadline: float) -> int:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"s3rver exited with {proc.returncode}: {log_path.read_text(errors='replace')[-2000:]}")
        for line in log_path.read_text(errors="replace").splitlines():
            if line.startswith(READY_PREFIX):
                return int(line[len(READY_PREFIX) :])
        time.sleep(0.05)
    raise RuntimeError(f"s3rver did not report ready within {START_TIMEOUT:.0f}s")


def _wait_accepting(host: str, port: int, deadline: float) -> None:
    while True:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def run_s3_server(bucket: str = "hub-test") -> Iterator[S3TestServer]:
    """Run s3rver on 127.0.0.1 with a throwaway data dir and ``bucket`` created; stop it on exit.

    Raises :class:`S3ServerUnavailable` when the toolchain is missing, ``RuntimeError`` when the
    server itself fails to start.
    """
    _install()
    node = shutil.which("node")
    assert node is not None
    with tempfile.TemporaryDirectory(prefix="hub-s3rver-") as tmp:
        data_dir, log_path = Path(tmp) / "data", Path(tmp) / "server.log"
        data_dir.mkdir()
        with open(log_path, "wb") as log:
            # Port 0: the OS picks a free port and the server reports it, so parallel sessions
            # cannot race for the same number.
            proc = subprocess.Popen(
                [node, str(SERVER_DIR / "server.js"), "0", str(data_dir), bucket],
                cwd=SERVER_DIR,
                # The server exits when this pipe closes, so a killed test run leaves no server behind.
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "S3RVER_EXIT_ON_STDIN_CLOSE": "1"},
            )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            port = _wait_ready(proc, log_path, deadline)
            _wait_accepting("127.0.0.1", port, deadline)
            yield S3TestServer(host="127.0.0.1", port=port, bucket=bucket)
        finally:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3TestServer]:
    required = os.environ.get(REQUIRE_ENV) == "1"
    try:
        with run_s3_server() as server:
            yield server
    except S3ServerUnavailable as exc:
        if required:
            pytest.fail(f"{REQUIRE_ENV}=1 but the S3 test server is unavailable: {exc}", pytrace=False)
        pytest.skip(f"S3 tests skipped: {exc} (set {REQUIRE_ENV}=1 to make this an error)")
