"""Load a running Hub with the `viewer` query and a bare Starlette endpoint, in one run, and print the ratio.

    python -m bench.http [--requests 10000] [--seconds 10] [--concurrency 16] [--client auto|wrk|asyncio]

Starts its own demo Hub (`hub serve --demo`, SQLite, one uvicorn worker) and `bench/bare_app.py` with
the same uvicorn settings, each on a free 127.0.0.1 port; gets a demo client's secret and a token;
then prints requests per second and p50/p99 for both and their ratio (goal: Hub >= 0.5 of bare),
token issuance per second, and the Hub worker's RSS after the first 1,000 and after 20,000 viewer
requests (goal: within 10%). Every loop is bounded by a request count and a time limit.

The measured runs use wrk (C, one thread, for --seconds) when installed, else a small asyncio HTTP/1.1
client (for --requests): a Python client costs far more CPU per request than wrk and would cap the
bare server first, flattering the ratio. wrk only knows durations, so the memory checkpoints, which
are request counts, always use the asyncio client. Either way the client shares the machine's cores
with the server under test.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
HOST = "127.0.0.1"  # loopback only: the bench never talks to anything else
ROOT = Path(__file__).resolve().parent.parent
VIEWER_QUERY = "query Viewer { viewer { clientId roles organization { id name kind } } }"
DEMO_CLIENT = "demo-importer-acme"
RSS_FIRST, RSS_TOTAL = 1_000, 20_000  # the memory check: RSS after 20,000 vs after 1,000
START_TIMEOUT = 90.0

WRK_SCRIPT = r"""
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("BENCH_AUTH")
if auth ~= nil and auth ~= "" then wrk.headers["Authorization"] = auth end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"failures": %d}\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout + e.status))
end
"""


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int  # transport errors and non-2xx answers: any makes the figures meaningless

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def line(self, label: str) -> str:
        return (f"  {label:<22} {self.rps:9.1f} req/s   p50 {self.p50_ms:7.2f} ms   p99 {self.p99_ms:7.2f} ms"
                f"   ({self.requests} requests in {self.seconds:.2f} s, failures {self.failures})")


class Http1:
    """A keep-alive HTTP/1.1 connection that sends prebuilt request bytes; enough for uvicorn's answers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Http1:
        reader, writer = await asyncio.open_connection(HOST, port)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head[:-4].split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(b":")
            headers[key.strip().lower()] = value.strip()
        if b"content-length" in headers:
            return status, await self.reader.readexactly(int(headers[b"content-length"]))
        if headers.get(b"transfer-encoding", b"").lower() != b"chunked":
            raise RuntimeError(f"response without a length: {head!r}")
        body = b""
        while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
            body += await self.reader.readexactly(size)
            await self.reader.readexactly(2)
        await self.reader.readuntil(b"\r\n")
        return status, body

    def close(self) -> None:
        self.writer.close()


def build_request(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
                  ) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] if sorted_values else 0.0


async def asyncio_load(port: int, raw: bytes, total: int, concurrency: int, max_seconds: float,
                       check: Callable[[int, bytes], bool] | None = None) -> Result:
    """``total`` requests over ``concurrency`` keep-alive connections, stopping early at ``max_seconds``."""
    latencies: list[float] = []
    failures = 0
    issued = 0
    deadline = time.perf_counter() + max_seconds

    async def worker() -> None:
        nonlocal issued, failures
        conn = await Http1.open(port)
        try:
            while issued < total and time.perf_counter() < deadline:
                issued += 1
                started = time.perf_counter()
                status, body = await conn.send(raw)
                latencies.append(time.perf_counter() - started)
                if not 200 <= status < 300 or (check is not None and not check(status, body)):
                    failures += 1
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Result(len(latencies), elapsed, _percentile(latencies, 0.50) * 1000, _percentile(latencies, 0.99) * 1000,
                  failures)


def _arun(coro: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop  # the client's own loop: the cheaper the client, the more of the CPU the servers get
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


class Loader:
    def __init__(self, args: argparse.Namespace, use_wrk: bool, workdir: Path) -> None:
        self.args, self.use_wrk = args, use_wrk
        self.script = workdir / "post.lua"
        self.script.write_text(WRK_SCRIPT)

    def count(self, port: int, path: str, body: bytes, auth: str, total: int) -> Result:
        """Exactly ``total`` requests (unless the time limit strikes first), with the asyncio client."""
        headers = {"Content-Type": "application/json", **({"Authorization": auth} if auth else {})}
        raw = build_request(port, "POST", path, body, headers)
        return _arun(asyncio_load(port, raw, total, self.args.concurrency, self.args.max_seconds))

    def measure(self, port: int, path: str, body: bytes, auth: str) -> Result:
        if not self.use_wrk:
            return self.count(port, path, body, auth, self.args.requests)
        env = {**os.environ, "BENCH_BODY": body.decode(), "BENCH_AUTH": auth}
        cmd = ["wrk", "-t1", f"-c{self.args.concurrency}", f"-d{self.args.seconds}s", "--timeout", "10s",
               "-s", str(self.script), f"http://{HOST}:{port}{path}"]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=self.args.seconds + 60)
        line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
        if out.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout[-800:]} {out.stderr[-800:]}")
        data = json.loads(line[len("BENCH "):])
        return Result(data["requests"], data["duration_us"] / 1e6, data["p50_us"] / 1000, data["p99_us"] / 1000,
                      data["failures"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def clean_env() -> dict[str, str]:
    # A developer's HUB_DATABASE_URL or HUB_S3_* must not point the demo Hub at a real store.
    return {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}


def start(cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:  # the child keeps its own handle; a pipe nobody reads would block it
        return subprocess.Popen(cmd, cwd=ROOT, env=clean_env(), stdout=out, stderr=subprocess.STDOUT)


def wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            status, _ = _arun(_one(port, build_request(port, "GET", "/healthz")))
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} not ready after {START_TIMEOUT:.0f} s:\n{log.read_text()[-2000:]}")


async def _one(port: int, raw: bytes) -> tuple[int, bytes]:
    conn = await Http1.open(port)
    try:
        return await conn.send(raw)
    finally:
        conn.close()


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def worker_pid(pid: int) -> int:
    """With one worker uvicorn serves in the process `hub serve` started; with more, it forks children."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return max(children, key=rss_kib) if children else pid


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def token_request(port: int, client_id: str, secret: str) -> bytes:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return build_request(port, "POST", "/oauth/token", b"grant_type=client_credentials",
                         {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"})


def get_token(port: int, client_id: str, secret: str) -> str:
    status, body = _arun(_one(port, token_request(port, client_id, secret)))
    if status != 200:
        raise RuntimeError(f"token request failed: {status} {body[:300]!r}")
    return str(json.loads(body)["access_token"])


def check_viewer(port: int, body: bytes, auth: str) -> None:
    raw = build_request(port, "POST", "/graphql", body, {"Content-Type": "application/json", "Authorization": auth})
    status, answer = _arun(_one(port, raw))
    doc = json.loads(answer)
    if status != 200 or doc.get("errors") or doc["data"]["viewer"]["clientId"] != DEMO_CLIENT:
        raise RuntimeError(f"the viewer query does not answer as expected: {status} {answer[:400]!r}")


def demo_secret(data_dir: Path) -> str:
    # Before `hub serve` starts, so the CLI and the server never write the SQLite file at once.
    out = subprocess.run([sys.executable, "-m", "hub.cli", "demo", "clients", "--json", "--data-dir", str(data_dir)],
                         cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=120, check=True)
    return str(next(c["client_secret"] for c in json.loads(out.stdout) if c["client_id"] == DEMO_CLIENT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=10_000, help="measured requests per server (asyncio)")
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per server (wrk)")
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--tokens", type=int, default=60, help="token requests per concurrency level")
    parser.add_argument("--max-seconds", type=float, default=180.0, help="time limit of each counted phase")
    parser.add_argument("--memory-seconds", type=float, default=900.0, help="time limit of the top-up to 20,000")
    parser.add_argument("--client", choices=["auto", "wrk", "asyncio"], default="auto")
    args = parser.parse_args(argv)
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk") is not None)
    # SIGTERM (timeout, kill) as an exception, so `finally` still stops both servers and removes the tmp dir.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        work = Path(tmp)
        secret = demo_secret(work / "data")
        hub_port, bare_port = free_port(), free_port()
        hub = start([sys.executable, "-m", "hub.cli", "serve", "--demo", "--data-dir", str(work / "data"),
                     "--host", HOST, "--port", str(hub_port)], work / "hub.log")
        bare = start([sys.executable, "-m", "bench.bare_app", "--port", str(bare_port)], work / "bare.log")
        try:
            wait_ready(hub, hub_port, work / "hub.log")
            wait_ready(bare, bare_port, work / "bare.log")
            return run(args, Loader(args, use_wrk, work), hub_port, bare_port, worker_pid(hub.pid), secret)
        finally:
            stop(hub)
            stop(bare)


def run(args: argparse.Namespace, loader: Loader, hub_port: int, bare_port: int, pid: int, secret: str) -> int:
    body = json.dumps({"query": VIEWER_QUERY, "operationName": "Viewer"}).encode()
    # uvicorn's "auto" picks these when installed, for both servers alike.
    loops = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    parsers = "httptools" if importlib.util.find_spec("httptools") else "h11"
    client = (f"wrk, 1 thread, {args.seconds} s each" if loader.use_wrk
              else f"asyncio client, {args.requests} requests each")
    print("bench/http.py: the Hub's `viewer` query vs a bare Starlette JSON endpoint")
    print(f"  servers: one uvicorn worker each ({loops}, {parsers}, no access log); hub = `hub serve --demo` "
          f"(SQLite) on {HOST}:{hub_port}; bare = bench/bare_app.py on {HOST}:{bare_port}")
    print(f"  NOTE: {os.cpu_count()} CPUs, and the load client runs on the same cores as the server under "
          "test: the figures are lower bounds for a server with a machine of its own; load average "
          f"before the run {os.getloadavg()[0]:.2f} (anything else running competes too)")
    print(f"  query: {VIEWER_QUERY}  (client {DEMO_CLIENT})")

    auth = f"Bearer {get_token(hub_port, DEMO_CLIENT, secret)}"
    check_viewer(hub_port, body, auth)
    done = 0

    def hub_phase(measure: bool, total: int = 0) -> Result:
        nonlocal done, auth
        auth = f"Bearer {get_token(hub_port, DEMO_CLIENT, secret)}"  # tokens live 10 minutes: one per phase
        result = (loader.measure(hub_port, "/graphql", body, auth) if measure
                  else loader.count(hub_port, "/graphql", body, auth, total))
        done += result.requests
        return result

    print(f"\nwarm-up: {RSS_FIRST} requests each, {args.concurrency} keep-alive connections, asyncio client")
    warm = hub_phase(False, RSS_FIRST)
    rss_first = rss_kib(pid)
    print(warm.line("hub viewer"))
    print(loader.count(bare_port, "/json", body, "", RSS_FIRST).line("bare json"))

    print(f"\nmeasured: {args.concurrency} keep-alive connections, {client}")
    hub_r = hub_phase(True)
    bare_r = loader.measure(bare_port, "/json", body, "")
    print(hub_r.line("hub viewer"))
    print(bare_r.line("bare json"))

    print(f"\nmemory: top up to {RSS_TOTAL:,} viewer requests (asyncio client); hub worker pid {pid}, "
          f"VmRSS from /proc/{pid}/status")
    memory_deadline = time.monotonic() + args.memory_seconds
    while done < RSS_TOTAL and time.monotonic() < memory_deadline:  # phases are count- and time-bounded too
        if hub_phase(False, RSS_TOTAL - done).requests == 0:
            break
    if done < RSS_TOTAL:
        print(f"  WARNING: stopped at {done:,} requests after --memory-seconds {args.memory_seconds:.0f}")
    rss_total = rss_kib(pid)
    growth = (rss_total - rss_first) / rss_first * 100
    print(f"  after {RSS_FIRST:>6,} viewer requests: {rss_first / 1024:8.1f} MiB")
    print(f"  after {done:>6,} viewer requests: {rss_total / 1024:8.1f} MiB")

    print(f"\ntoken issuance: POST /oauth/token, client_secret_basic, {args.tokens} requests per level "
          "(salted SHA-256 secret check, ES256 signature)")
    tokens: dict[int, Result] = {}
    for level in (1, 4):
        raw = token_request(hub_port, DEMO_CLIENT, secret)
        tokens[level] = _arun(asyncio_load(hub_port, raw, args.tokens, level, args.max_seconds,
                                           check=lambda _s, b: b'"access_token"' in b))
        print(tokens[level].line(f"concurrency {level}").replace("req/s", "tok/s"))

    ratio = hub_r.rps / bare_r.rps if bare_r.rps else 0.0
    failures = warm.failures + hub_r.failures + bare_r.failures + sum(t.failures for t in tokens.values())
    print("\nsummary")
    print(f"  hub {hub_r.rps:.1f} req/s (p50 {hub_r.p50_ms:.2f} ms, p99 {hub_r.p99_ms:.2f} ms); "
          f"bare {bare_r.rps:.1f} req/s (p50 {bare_r.p50_ms:.2f} ms, p99 {bare_r.p99_ms:.2f} ms)")
    print(f"  token issuance = {max(t.rps for t in tokens.values()):.1f} tokens/s "
          f"(concurrency 1: {tokens[1].rps:.1f}, concurrency 4: {tokens[4].rps:.1f})")
    if failures:
        print(f"  WARNING: {failures} failed requests; the figures above are not valid")
    print(f"ratio hub/bare = {ratio:.2f} (goal >= 0.5)")
    print(f"RSS growth 1k->20k = {growth:.1f}% (goal <= 10%)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
