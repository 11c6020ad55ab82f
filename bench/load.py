"""Sustained load on the HTTP API: concurrent clients against 2 ``smscast api`` processes on
PostgreSQL, and a soak that watches the processes' memory.

    .venv/bin/python bench/load.py [--connections 200] [--seconds 60] [--campaign-share 0.1]
        [--campaign-size 10] [--soak-minutes 0] [--worker] [--json PATH]

Makes a PostgreSQL database for the run (dropped after, as bench/databases.py does; the
benchmark stops with a message when no server answers at SMSCAST_TEST_PG), runs
``smscast migrate``, creates an account with a balance of 100,000,000 with
``smscast account create --json``, starts two ``smscast api`` processes and gets a bearer
token over HTTP (``POST /oauth/token``, client credentials). The driver (this process: one
aiohttp ClientSession whose pool is sized to the concurrency) keeps ``--connections``
requests in flight, half of the clients on each API process, each client sending its next
request as soon as its last one is answered:

- baseline, same run: ``GET /health`` (no auth; one ``SELECT 1``) at the same concurrency
  for ``--baseline-seconds``: what the HTTP stack answers with almost no database work;
- load: ``POST /sms`` (one SMS to a new Greek number) mixed with ``POST /sms/campaign``
  (``--campaign-size`` new numbers; ``--campaign-share`` of the requests), for ``--seconds``;
- soak (``--soak-minutes N``, 0 = off): the same mix for N more minutes, the RSS (VmRSS) of
  both API processes sampled every 10 s; growth is the mean of the last minute's samples
  over the mean of the first minute's, flagged above 10%.

Prints requests/s and p50/p99 latency per kind and overall, and the errors: any answer that
is not 2xx, or an exception (timeout, dropped connection). There must be none: the exit
status is 1 otherwise, and the first failures are printed with their request. At the end the
messages stored are counted against the accepted requests. No worker runs unless
``--worker`` (one ``smscast worker`` on the sandbox carrier): accepted messages just queue.
The driver shares the 2 cores with the servers and PostgreSQL, so read the ratio to the
baseline rather than the absolute rates. ``--json PATH`` writes every figure and the time
series (requests per second, latency percentiles per 10 s, RSS samples) for bench/report.py.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import math
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).parent))
from databases import PG_ADMIN

KINDS = {
    "health": "GET /health",
    "sms": "POST /sms",
    "campaign": "POST /sms/campaign",
}
RSS_EVERY = 10.0  # seconds between RSS samples
GROWTH_LIMIT = 0.10
FAILURES_KEPT = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (nan when empty)."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@asynccontextmanager
async def postgres_database() -> AsyncIterator[tuple[str, str]]:
    """(SQLAlchemy URL, asyncpg DSN) of a database made for the run, dropped after."""
    try:
        admin = await asyncpg.connect(PG_ADMIN, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL: not reachable at {PG_ADMIN} ({exc}); nothing measured"
        raise SystemExit(message) from None
    name = f"smscast_bench_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = PG_ADMIN.rsplit("/", 1)[0]
        yield f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}", f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


class Phase:
    """One stretch of the run and its requests: (kind, answered at, latency, status) each,
    times in seconds, "answered at" from the phase's start; status 0 is an exception. A
    request belongs to the phase it was answered in, and requests/s is the requests answered
    during the phase over its duration (after the last phase's end, the requests still in
    flight are waited for: they count in its latencies and errors, not in its rate)."""

    def __init__(
        self, name: str, duration: float, choose: Callable[[random.Random], Request]
    ) -> None:
        self.name = name
        self.duration = duration
        self.choose = choose
        self.started = 0.0
        self.elapsed = 0.0  # to its last answer
        self.records: list[tuple[str, float, float, int]] = []
        self.failures: list[dict[str, Any]] = []
        self.error_count = 0

    def note_failure(self, request: dict[str, Any], status: int, detail: str) -> None:
        self.error_count += 1
        if len(self.failures) < FAILURES_KEPT:
            self.failures.append(
                {"phase": self.name, **request, "status": status, "answer": detail[:500]}
            )

    def stats(self, kind: str | None = None) -> dict[str, Any]:
        rows = [r for r in self.records if kind is None or r[0] == kind]
        ordered = sorted(r[2] for r in rows)
        errors = sum(1 for r in rows if not 200 <= r[3] < 300)
        in_time = sum(1 for r in rows if r[1] < self.duration)
        return {
            "requests": len(rows),
            "errors": errors,
            "rate": in_time / self.duration,
            "p50_ms": percentile(ordered, 0.50) * 1000,
            "p90_ms": percentile(ordered, 0.90) * 1000,
            "p99_ms": percentile(ordered, 0.99) * 1000,
            "max_ms": (ordered[-1] if ordered else float("nan")) * 1000,
            "statuses": {
                str(s): sum(1 for r in rows if r[3] == s) for s in sorted({r[3] for r in rows})
            },
        }

    def kinds(self) -> list[str]:
        return [k for k in KINDS if any(r[0] == k for r in self.records)]

    def per_second(self) -> list[dict[str, Any]]:
        """Requests answered in each second from the phase's start, by kind, and the errors
        (after the last phase's end: the requests that were still in flight)."""
        seconds = max(1, math.ceil(self.elapsed))
        counts = {k: [0] * seconds for k in self.kinds()}
        errors = [0] * seconds
        for kind, at, _latency, status in self.records:
            i = min(seconds - 1, int(at))
            counts[kind][i] += 1
            if not 200 <= status < 300:
                errors[i] += 1
        return [
            {"t": i, **{k: counts[k][i] for k in counts}, "errors": errors[i]}
            for i in range(seconds)
        ]

    def per_window(self, window: float = 10.0) -> list[dict[str, Any]]:
        """Requests/s and p50/p90/p99 latency (ms) of the requests answered in each
        ``window`` seconds of the phase."""
        buckets: dict[int, list[float]] = {}
        for _kind, at, latency, _status in self.records:
            if at < self.duration:
                buckets.setdefault(int(at // window), []).append(latency)
        out = []
        for i in sorted(buckets):
            ordered = sorted(buckets[i])
            span = min(window, self.duration - i * window)
            out.append(
                {
                    "t": i * window,
                    "rate": len(ordered) / span,
                    "p50_ms": percentile(ordered, 0.50) * 1000,
                    "p90_ms": percentile(ordered, 0.90) * 1000,
                    "p99_ms": percentile(ordered, 0.99) * 1000,
                }
            )
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "duration_s": self.duration,
            "all": self.stats(),
            "kinds": {k: self.stats(k) for k in self.kinds()},
            "per_second": self.per_second(),
            "per_10s": self.per_window(),
            "failures": self.failures,
        }


Request = tuple[str, str, str, Any]  # kind, method, path, JSON body (None for a GET)


def health_requests() -> Callable[[random.Random], Request]:
    def choose(_rng: random.Random) -> Request:
        return "health", "GET", "/health", None

    return choose


def mix_requests(share: float, size: int) -> Callable[[random.Random], Request]:
    numbers = itertools.count(random.randrange(10**6))

    def number() -> str:
        return f"+30691{next(numbers) % 10**7:07d}"

    def choose(rng: random.Random) -> Request:
        if rng.random() < share:
            body = {"from": "Shop", "body": "Hi", "to": [number() for _ in range(size)]}
            return "campaign", "POST", "/sms/campaign", body
        return "sms", "POST", "/sms", {"from": "Shop", "body": "Hi", "to": number()}

    return choose


class Rss:
    """The RSS (MB) of the API processes, sampled every RSS_EVERY seconds of each phase
    from its start, and once at the end of each run of phases."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.origin = time.perf_counter()
        self.samples: list[dict[str, Any]] = []

    def sample(self, phase: str) -> None:
        self.samples.append(
            {
                "t": round(time.perf_counter() - self.origin, 1),
                "phase": phase,
                "rss_mb": [round(rss_mb(pid), 1) for pid in self.pids],
            }
        )

    async def follow(self, phases: list[Phase]) -> None:
        """Until cancelled: a sample every RSS_EVERY seconds of each phase."""
        for phase in phases:
            at = phase.started
            while at < phase.started + phase.duration - 0.5:
                await asyncio.sleep(max(0.0, at - time.perf_counter()))
                self.sample(phase.name)
                at += RSS_EVERY


async def drive(
    session: aiohttp.ClientSession,
    ports: list[int],
    tokens: list[str],
    phases: list[Phase],
    connections: int,
    rss: Rss,
) -> None:
    """``connections`` clients, each sending its next request when its last is answered,
    through the phases back to back until the last one's time is up (the requests then in
    flight are still waited for). Client i talks to API process i mod 2, as account
    (i // 2) mod the number of accounts."""
    at = time.perf_counter()
    for phase in phases:
        phase.started, at = at, at + phase.duration
    deadline = at

    def current(now: float) -> Phase:
        for phase in phases:
            if now < phase.started + phase.duration:
                return phase
        return phases[-1]

    async def client(i: int) -> None:
        base = f"http://127.0.0.1:{ports[i % len(ports)]}"
        auth = {"Authorization": f"Bearer {tokens[i // len(ports) % len(tokens)]}"}
        rng = random.Random(i)
        while (began := time.perf_counter()) < deadline:
            kind, method, path, body = current(began).choose(rng)
            detail = ""
            try:
                async with session.request(
                    method, base + path, json=body, headers=None if body is None else auth
                ) as response:
                    status = response.status
                    if not 200 <= status < 300:
                        detail = await response.text()
                    else:
                        await response.read()
            except Exception as exc:  # every failure is counted, none stops the run
                status, detail = 0, f"{type(exc).__name__}: {exc}"
            answered = time.perf_counter()
            phase = current(answered)
            phase.records.append((kind, answered - phase.started, answered - began, status))
            if not 200 <= status < 300:
                request = {"kind": kind, "method": method, "url": base + path, "body": body}
                phase.note_failure(request, status, detail)

    sampler = asyncio.create_task(rss.follow(phases))
    try:
        await asyncio.gather(*(client(i) for i in range(connections)))
    finally:
        sampler.cancel()
    rss.sample(phases[-1].name)
    for phase in phases:
        phase.elapsed = max((r[1] for r in phase.records), default=phase.duration)


def soak_memory(samples: list[dict[str, Any]], processes: int) -> list[dict[str, Any]]:
    """Per process over the soak's samples: first, last, max, the growth from the first
    minute's mean to the last minute's (the same samples when the soak lasts a minute or
    less: then read the trend), and the trend in MB per minute (least squares)."""
    if not samples:
        return []
    t0, t_end = samples[0]["t"], samples[-1]["t"]
    out = []
    for i in range(processes):
        values = [s["rss_mb"][i] for s in samples]
        first = [s["rss_mb"][i] for s in samples if s["t"] - t0 < 60] or values[:1]
        last = [s["rss_mb"][i] for s in samples if t_end - s["t"] < 60] or values[-1:]
        first_mean, last_mean = sum(first) / len(first), sum(last) / len(last)
        growth = last_mean / first_mean - 1
        times = [s["t"] / 60 for s in samples]
        t_mean, v_mean = sum(times) / len(times), sum(values) / len(values)
        spread = sum((t - t_mean) ** 2 for t in times)
        slope = (
            sum((t - t_mean) * (v - v_mean) for t, v in zip(times, values, strict=True)) / spread
            if spread
            else 0.0
        )
        out.append(
            {
                "first_mb": values[0],
                "last_mb": values[-1],
                "max_mb": max(values),
                "first_minute_mean_mb": first_mean,
                "last_minute_mean_mb": last_mean,
                "growth": growth,
                "trend_mb_per_min": slope,
                "flagged": growth > GROWTH_LIMIT,
            }
        )
    return out


async def bearer_token(session: aiohttp.ClientSession, port: int, made: dict[str, str]) -> str:
    """``POST /oauth/token`` with client credentials, as a Routee client gets its token."""
    pair = f"{made['applicationId']}:{made['applicationSecret']}".encode()
    async with session.post(
        f"http://127.0.0.1:{port}/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {base64.b64encode(pair).decode()}"},
    ) as response:
        if response.status != 200:
            raise RuntimeError(f"POST /oauth/token: {response.status} {await response.text()}")
        return str((await response.json())["access_token"])


async def wait_healthy(
    session: aiohttp.ClientSession, port: int, process: asyncio.subprocess.Process, log: Path
) -> None:
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline and process.returncode is None:
        try:
            async with session.get(f"http://127.0.0.1:{port}/health") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError(f"smscast api on port {port} did not start: {tail(log)}")


def tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:] if path.exists() else ""


def smscast(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "smscast", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"smscast {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()


def log_lines(path: Path) -> list[str]:
    """What a server wrote on stderr besides its start-up banner and hint."""
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    skip = ("smscast api on", "smscast worker", "No accounts yet")
    return [line for line in lines if line.strip() and not line.startswith(skip)]


def line(label: str, s: dict[str, Any], ratio: float | None = None) -> str:
    text = (
        f"  {label:44} {s['rate']:9,.0f} req/s   p50 {s['p50_ms']:7.1f} ms"
        f"   p99 {s['p99_ms']:7.1f} ms   {s['requests']:>9,} requests"
    )
    if ratio is not None:
        text += f"  {ratio:4.2f}x"
    return text


def print_phase(title: str, phase: Phase, size: int, baseline: float | None) -> None:
    print(title)
    labels = {
        "health": "GET /health (baseline)",
        "sms": "POST /sms (one SMS)",
        "campaign": f"POST /sms/campaign ({size} numbers)",
    }
    for kind in phase.kinds():
        print(line(labels[kind], phase.stats(kind)))
    if phase.name != "baseline":
        overall = phase.stats()
        ratio = overall["rate"] / baseline if baseline else None
        print(line("all requests (the mix)", overall, ratio))
    errors = phase.stats()["errors"]
    statuses = phase.stats()["statuses"]
    print(f"  {'errors (non-2xx or exception)':44} {errors:9,}   statuses {statuses}")


async def run(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    result: dict[str, Any] = {
        "run": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "connections": args.connections,
            "seconds": args.seconds,
            "baseline_seconds": args.baseline_seconds,
            "campaign_share": args.campaign_share,
            "campaign_size": args.campaign_size,
            "soak_minutes": args.soak_minutes,
            "worker": args.worker,
            "accounts": args.accounts,
            "api_processes": 2,
            "database": "PostgreSQL",
            "cpus": os.cpu_count(),
            "loadavg_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "python": platform.python_version(),
        }
    }
    async with postgres_database() as (url, dsn):
        env = {
            **os.environ,
            "SMSCAST_DATABASE_URL": url,
            "SMSCAST_SECRET_HASH_TIME_COST": "1",
            "SMSCAST_SECRET_HASH_MEMORY_KIB": "8",
            "SMSCAST_LOG_LEVEL": "warning",
        }
        smscast(env, "migrate")
        made = [
            json.loads(
                smscast(env, "account", "create", f"load-{uuid.uuid4().hex[:6]}-{n}",
                        "--balance", "100000000", "--json")
            )
            for n in range(args.accounts)
        ]  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            logs = [Path(tmp) / f"api{i + 1}.log" for i in range(2)]
            ports = [free_port(), free_port()]
            processes: list[asyncio.subprocess.Process] = []
            try:
                for port, log in zip(ports, logs, strict=True):
                    with log.open("wb") as stderr:
                        processes.append(
                            await asyncio.create_subprocess_exec(
                                sys.executable, "-m", "smscast", "api", "--port", str(port),
                                env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
                            )
                        )  # fmt: skip
                if args.worker:
                    logs.append(Path(tmp) / "worker.log")
                    with logs[-1].open("wb") as stderr:
                        processes.append(
                            await asyncio.create_subprocess_exec(
                                sys.executable, "-m", "smscast", "worker",
                                env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
                            )
                        )  # fmt: skip
                code = await measure(args, ports, processes, logs, made, dsn, result)
            finally:
                for process in processes:
                    await stop(process)
            result["server_log"] = {
                log.stem: log_lines(log)[:FAILURES_KEPT] for log in logs if log_lines(log)
            }
    for name, lines in result["server_log"].items():
        print(f"{name} logged {len(lines)} line(s) at warning or above, first ones:")
        for text in lines[:5]:
            print(f"    {text[:300]}")
    return code, result


async def measure(
    args: argparse.Namespace,
    ports: list[int],
    processes: list[asyncio.subprocess.Process],
    logs: list[Path],
    made: list[dict[str, str]],
    dsn: str,
    result: dict[str, Any],
) -> int:
    api_pids = [p.pid for p in processes[:2]]
    result["run"]["ports"] = ports
    result["run"]["api_pids"] = api_pids
    connector = aiohttp.TCPConnector(limit=args.connections, limit_per_host=0)
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        for port, process, log in zip(ports, processes, logs, strict=False):
            await wait_healthy(session, port, process, log)
        tokens = [await bearer_token(session, ports[0], app) for app in made]

        rss = Rss(api_pids)
        mix = mix_requests(args.campaign_share, args.campaign_size)
        baseline = Phase("baseline", args.baseline_seconds, health_requests())
        await drive(session, ports, tokens, [baseline], args.connections, rss)
        load = [Phase("load", args.seconds, mix)]
        if args.soak_minutes > 0:
            load.append(Phase("soak", args.soak_minutes * 60, mix))
        await drive(session, ports, tokens, load, args.connections, rss)
        phases = [baseline, *load]
        samples = rss.samples
        soak_started = load[-1].started - rss.origin if args.soak_minutes > 0 else 0.0

    conn = await asyncpg.connect(dsn)
    try:
        stored = int(await conn.fetchval("SELECT count(*) FROM messages"))
    finally:
        await conn.close()
    accepted = sum(
        sum(1 for r in p.records if r[0] == "sms" and 200 <= r[3] < 300)
        + args.campaign_size * sum(1 for r in p.records if r[0] == "campaign" and 200 <= r[3] < 300)
        for p in phases
    )

    base_rate = baseline.stats()["rate"]
    worker = "one smscast worker (sandbox carrier)" if args.worker else "no worker (messages queue)"
    accounts = "one account" if args.accounts == 1 else f"{args.accounts} accounts"
    print(
        f"PostgreSQL: 2 smscast api processes, {args.connections} connections"
        f" ({args.connections // 2} each), {accounts}, {worker}; driver: aiohttp in this"
        f" process; load average {result['run']['loadavg_before']} before"
    )
    print_phase(f" baseline, {baseline.duration:g} s", baseline, args.campaign_size, None)
    print_phase(
        f" load, {load[0].duration:g} s, {args.campaign_share:.0%} campaigns",
        load[0],
        args.campaign_size,
        base_rate,
    )
    result["phases"] = {p.name: p.summary() for p in phases}
    result["rss"] = {"samples": samples, "soak_started_s": soak_started}
    if args.soak_minutes > 0:
        soak = load[1]
        print_phase(
            f" soak, {soak.duration / 60:g} min right after, {args.campaign_share:.0%} campaigns",
            soak,
            args.campaign_size,
            base_rate,
        )
        windows = soak.per_window()
        if windows:
            rates = [w["rate"] for w in windows]
            p99s = [w["p99_ms"] for w in windows]
            print(
                f"  {'per 10 s: req/s min / max':44} {min(rates):9,.0f} / {max(rates):,.0f}"
                f"   p99 min / max {min(p99s):.1f} / {max(p99s):.1f} ms"
            )
        soak_samples = [s for s in samples if s["phase"] == "soak"]
        memory = soak_memory(soak_samples, len(api_pids))
        result["rss"]["soak"] = memory
        print(f"  RSS every {RSS_EVERY:.0f} s ({len(soak_samples)} samples), first / last / max:")
        for i, m in enumerate(memory):
            flag = f"  GROWTH ABOVE {GROWTH_LIMIT:.0%}" if m["flagged"] else ""
            print(
                f"  {f'api {i + 1} (pid {api_pids[i]})':44} {m['first_mb']:6.0f} /"
                f" {m['last_mb']:4.0f} / {m['max_mb']:4.0f} MB   first minute"
                f" {m['first_minute_mean_mb']:.0f} MB -> last minute"
                f" {m['last_minute_mean_mb']:.0f} MB: {m['growth']:+.1%}"
                f", trend {m['trend_mb_per_min']:+.1f} MB/min{flag}"
            )
    errors = sum(p.error_count for p in phases)
    mismatch = "" if stored == accepted else "  MISMATCH"
    print(f" messages stored {stored:,}, accepted {accepted:,}{mismatch}")
    failures = [f for p in phases for f in p.failures]
    result["errors"] = errors
    result["messages"] = {"stored": stored, "accepted": accepted}
    if errors:
        print(f" ERRORS: {errors:,} (must be 0); the first {len(failures)}:")
        for f in failures:
            body = json.dumps(f["body"]) if f["body"] is not None else ""
            print(f"    [{f['phase']}] {f['method']} {f['url']} {body} -> {f['status']}")
            print(f"      {f['answer'][:300]}")
    else:
        print(" errors: 0")
    return 1 if errors or stored != accepted else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=200, help="requests in flight")
    parser.add_argument("--seconds", type=float, default=60, help="the load phase")
    parser.add_argument("--baseline-seconds", type=float, default=10, help="GET /health phase")
    parser.add_argument("--campaign-share", type=float, default=0.1)
    parser.add_argument("--campaign-size", type=int, default=10, help="numbers per campaign")
    parser.add_argument("--soak-minutes", type=float, default=0, help="0: no soak")
    parser.add_argument("--worker", action="store_true", help="also run one smscast worker")
    parser.add_argument(
        "--accounts", type=int, default=1, help="accounts the clients send as (default one)"
    )
    parser.add_argument("--timeout", type=float, default=60, help="per request, seconds")
    parser.add_argument("--json", metavar="PATH", help="write every figure here")
    args = parser.parse_args()
    if args.connections < 2:
        parser.error("--connections must be at least 2 (one per API process)")
    if args.accounts < 1:
        parser.error("--accounts must be at least 1")
    try:
        import uvloop

        loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        code, result = runner.run(run(args))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=float) + "\n")
    sys.exit(code)


if __name__ == "__main__":
    main()
