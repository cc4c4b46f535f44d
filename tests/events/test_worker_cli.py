"""`hub worker --once` runs one pass and exits; `hub worker` runs until SIGTERM and then stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["HUB_LOG_LEVEL"] = "WARNING"
    return env


def test_worker_once_runs_one_pass(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "hub.cli", "worker", "--once", "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, env=_env(), cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("worker pass: 0 time-driven events, 0 fanned out, 0 delivery attempts")


def test_worker_stops_on_sigterm(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "worker", "--data-dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # printed once the Hub is open and the loop starts
        assert "hub worker: running" in line, line
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
