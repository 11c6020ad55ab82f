"""Runs the benchmarks and the reliability suite at full size, one after the other, and writes
a Markdown report with the figures and PNG charts under reports/.

    .venv/bin/python bench/report.py [--soak-minutes 10] [--only load,campaigns,...] [--quick]
        [--no-reliability] [--out reports]

Steps (each a subprocess whose printed output, stdout and stderr as they came, goes into the
report verbatim beside the command that produced it):

- ``load``: bench/load.py --json (60 s of load after a 10 s baseline, then a soak of
  ``--soak-minutes``, default 10), whose figures also make the charts;
- ``analysis``, ``contacts``, ``campaigns``, ``dispatch``, ``smpp``, ``callbacks``: the other
  benchmarks of README "Benchmarks", at their default sizes;
- ``scale``: bench/scale.py (100,000 messages with 1, 2 and 4 worker processes);
- ``reliability``: ``SMSCAST_RELIABILITY=full pytest tests/reliability -p no:cacheprovider -q``.

Writes reports/<YYYY-MM-DD>-report.md, the charts reports/<YYYY-MM-DD>-load-throughput.png
(requests/s and latency over time), -load-latency.png (p50/p90/p99 per request kind) and
-load-rss.png (the API processes' RSS over the run and the soak), the load figures as
reports/<YYYY-MM-DD>-load.json, and reports/latest.md (a copy of the report). A full run
takes about 45 minutes; ``--quick`` is a smoke run of a few minutes (20 s of load, a 1-minute
soak, the other benchmarks at a tenth of their size, the reliability suite at its CI size
instead of the full one). The machine has 2 cores: run nothing else meanwhile, and read each
benchmark's ratio to its same-run baseline rather than its absolute figures. The exit status
is 1 when any step failed (its output is in the report all the same).

The charts need matplotlib, which is not a dependency of smscast:
``.venv/bin/pip install matplotlib`` (without it the report is written without charts).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ["analysis", "contacts", "campaigns", "dispatch", "smpp", "callbacks", "scale"]
STEPS = ["load", *BENCHMARKS, "reliability"]
QUICK_ARGS = {  # a tenth of each benchmark's default size
    "analysis": ["--bodies", "2000", "--numbers", "10000"],
    "contacts": ["--contacts", "100000"],
    "campaigns": ["--contacts", "100000"],
    "dispatch": ["--messages", "10000"],
    "smpp": ["--messages", "10000"],
    "callbacks": ["--messages", "10000"],
    "scale": ["--messages", "10000"],
}
KIND_LABELS = {
    "health": "GET /health (baseline)",
    "sms": "POST /sms",
    "campaign": "POST /sms/campaign",
    "all": "all (the mix)",
}


@dataclass
class Step:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    note: str = ""
    output: str = ""
    code: int | None = None
    seconds: float = 0.0
    loadavg: str = ""

    def shown(self) -> str:
        """The command as typed from the repository's root."""
        argv = [self.relative(a) for a in self.argv]
        return " ".join([*(f"{k}={v}" for k, v in self.env.items()), shlex.join(argv)])

    @staticmethod
    def relative(arg: str) -> str:
        path = Path(arg)
        if path.is_absolute() and path.is_relative_to(ROOT):
            return str(path.relative_to(ROOT))
        return arg


def plan(args: argparse.Namespace, load_json: Path) -> list[Step]:
    python = sys.executable
    steps: list[Step] = []
    for name in args.only:
        if name == "load":
            seconds = "20" if args.quick else "60"
            soak = args.soak_minutes if args.soak_minutes is not None else (1 if args.quick else 10)
            argv = [python, "bench/load.py", "--seconds", seconds, "--soak-minutes", f"{soak:g}"]
            steps.append(Step(name, [*argv, "--json", str(load_json)]))
        elif name == "reliability":
            argv = [python, "-m", "pytest", "tests/reliability", "-p", "no:cacheprovider", "-q"]
            if args.quick:
                note = "CI size (--quick): the full size is SMSCAST_RELIABILITY=full"
                steps.append(Step(name, argv, note=note))
            else:
                steps.append(Step(name, argv, env={"SMSCAST_RELIABILITY": "full"}))
        else:
            extra = QUICK_ARGS[name] if args.quick else []
            steps.append(Step(name, [python, f"bench/{name}.py", *extra]))
    return steps


def run_step(step: Step) -> None:
    """Runs the step from the repository's root, echoing and keeping what it prints."""
    step.loadavg = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n=== {step.name}: {step.shown()}", flush=True)
    started = time.perf_counter()
    lines: list[str] = []
    with subprocess.Popen(
        step.argv,
        cwd=ROOT,
        env={**os.environ, **step.env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for text in process.stdout:
            print(text, end="", flush=True)
            lines.append(text)
        step.code = process.wait()
    step.seconds = time.perf_counter() - started
    step.output = "".join(lines)
    print(f"=== {step.name}: exit {step.code} after {step.seconds:.0f} s", flush=True)


# -- charts -------------------------------------------------------------------------------


def pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is missing: no charts (.venv/bin/pip install matplotlib)")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def smooth(values: list[float], width: int) -> list[float]:
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= width:
            total -= values[i - width]
        out.append(total / min(i + 1, width))
    return out


def chart_throughput(plt: Any, load: dict[str, Any], path: Path) -> None:
    """Requests/s (per second, and a 5 s moving mean) and p50/p99 per 10 s over load + soak."""
    phases = [p for p in ("load", "soak") if p in load["phases"]]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    offset = 0.0
    for name in phases:
        phase = load["phases"][name]
        seconds = phase["per_second"]
        t = [offset + s["t"] for s in seconds]
        total = [sum(v for k, v in s.items() if k in ("sms", "campaign")) for s in seconds]
        top.plot(t, total, color="#bbbbbb", linewidth=0.6)
        top.plot(t, smooth(total, 5), color="#1f77b4", linewidth=1.5)
        for kind, colour in (("sms", "#2ca02c"), ("campaign", "#d62728")):
            series = [s.get(kind, 0) for s in seconds]
            top.plot(t, smooth(series, 5), color=colour, linewidth=1)
        windows = phase["per_10s"]
        wt = [offset + w["t"] + 5 for w in windows]
        for key, colour in (("p50_ms", "#1f77b4"), ("p90_ms", "#ff7f0e"), ("p99_ms", "#d62728")):
            bottom.plot(wt, [w[key] for w in windows], color=colour, marker=".")
        if offset:
            for axis in (top, bottom):
                axis.axvline(offset, color="black", linestyle=":", linewidth=1)
            top.text(offset, 0, " soak starts", va="bottom")
        offset += phase["duration_s"]
    base = load["phases"]["baseline"]["all"]["rate"]
    top.set_title(
        f"Requests/s over the run, 2 API processes, {load['run']['connections']} connections"
        f" (baseline GET /health: {base:,.0f} req/s)"
    )
    top.set_ylabel("requests/s")
    top.legend(["all, per second", "all, 5 s mean", "POST /sms, 5 s mean",
                "POST /sms/campaign, 5 s mean"], loc="lower right", fontsize=8)  # fmt: skip
    top.set_ylim(bottom=0)
    bottom.set_ylabel("latency per 10 s (ms)")
    bottom.set_xlabel("seconds since the load began")
    bottom.legend(["p50", "p90", "p99"], loc="upper right", fontsize=8)
    bottom.set_ylim(bottom=0)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def chart_latency(plt: Any, load: dict[str, Any], path: Path) -> None:
    """p50/p90/p99 per request kind, one panel per phase."""
    phases = [p for p in ("load", "soak") if p in load["phases"]]
    figure, axes = plt.subplots(1, len(phases), figsize=(6 * len(phases), 4.5), squeeze=False)
    baseline = load["phases"]["baseline"]["kinds"].get("health")
    for axis, name in zip(axes[0], phases, strict=True):
        phase = load["phases"][name]
        rows = [("health", baseline)] if baseline else []
        rows += [(k, v) for k, v in phase["kinds"].items()] + [("all", phase["all"])]
        x = range(len(rows))
        for i, (key, colour) in enumerate(
            (("p50_ms", "#1f77b4"), ("p90_ms", "#ff7f0e"), ("p99_ms", "#d62728"))
        ):
            values = [r[1][key] for r in rows]
            bars = axis.bar([v + (i - 1) * 0.27 for v in x], values, 0.27, color=colour)
            axis.bar_label(bars, fmt="%.0f", fontsize=7)
        axis.set_xticks(list(x), [KIND_LABELS[k].replace(" (", "\n(") for k, _ in rows])
        axis.set_ylabel("latency (ms)")
        axis.set_title(f"{name}: {phase['duration_s']:.0f} s; baseline from its own 10 s phase")
        axis.legend(["p50", "p90", "p99"], fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def chart_rss(plt: Any, load: dict[str, Any], path: Path) -> None:
    """Each API process's RSS over the run, the soak shaded."""
    samples = load["rss"]["samples"]
    growth = load["rss"].get("soak") or []
    figure, axis = plt.subplots(figsize=(11, 4))
    t = [s["t"] for s in samples]
    for i, _pid in enumerate(load["run"]["api_pids"]):
        label = f"api {i + 1}"
        if i < len(growth):
            label += (
                f": soak growth {growth[i]['growth']:+.1%} (first to last minute's mean),"
                f" trend {growth[i].get('trend_mb_per_min', 0):+.1f} MB/min"
            )
        axis.plot(t, [s["rss_mb"][i] for s in samples], marker=".", label=label)
    soak = [s["t"] for s in samples if s["phase"] == "soak"]
    if soak:
        axis.axvspan(min(soak), max(soak), color="#eeeeee", label="soak")
    axis.set_ylim(bottom=0)
    axis.set_xlabel("seconds since the baseline began")
    axis.set_ylabel("RSS (MB)")
    axis.set_title("API processes' resident memory (VmRSS every 10 s)")
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


# -- the report ---------------------------------------------------------------------------


def machine() -> list[str]:
    model = ""
    for text in Path("/proc/cpuinfo").read_text().splitlines():
        if text.startswith("model name"):
            model = text.split(":", 1)[1].strip()
            break
    memory = ""
    for text in Path("/proc/meminfo").read_text().splitlines():
        if text.startswith("MemTotal:"):
            memory = f"{int(text.split()[1]) / 1024 / 1024:.0f} GiB"
    return [
        f"- machine: {os.cpu_count()} cores ({model or 'unknown CPU'}), {memory} memory,"
        f" {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; PostgreSQL {postgres_version()}",
    ]


def postgres_version() -> str:
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        import asyncpg
        from databases import PG_ADMIN

        async def ask() -> str:
            conn = await asyncpg.connect(PG_ADMIN, timeout=3)
            try:
                return str(await conn.fetchval("SHOW server_version"))
            finally:
                await conn.close()

        return asyncio.run(ask())
    except Exception as exc:  # the report says so rather than failing
        return f"not reachable ({type(exc).__name__})"


def ms(value: float) -> str:
    return f"{value:,.1f}"


def load_section(load: dict[str, Any], charts: dict[str, str]) -> list[str]:
    run = load["run"]
    worker = "one `smscast worker`" if run["worker"] else "no worker (accepted messages queue)"
    count = run.get("accounts", 1)
    accounts = "one account" if count == 1 else f"{count} accounts"
    out = [
        "## Load: the HTTP API under concurrent clients",
        "",
        f"2 `smscast api` processes on PostgreSQL, {run['connections']} connections split"
        f" between them (aiohttp, in the driver process on the same machine),"
        f" {accounts}, {worker}. Request mix:"
        f" {1 - run['campaign_share']:.0%} `POST /sms` (one SMS),"
        f" {run['campaign_share']:.0%} `POST /sms/campaign` ({run['campaign_size']} numbers)."
        f" Baseline in the same run: `GET /health` at the same concurrency (no auth, one"
        f" `SELECT 1`). Load average before: {run.get('loadavg_before', '?')}.",
        "",
        "| phase | request | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | errors |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, phase in load["phases"].items():
        rows = [*phase["kinds"].items()]
        if name != "baseline":
            rows.append(("all", phase["all"]))
        for kind, s in rows:
            out.append(
                f"| {name} ({phase['duration_s']:.0f} s) | {KIND_LABELS[kind]} | {s['requests']:,}"
                f" | {s['rate']:,.0f} | {ms(s['p50_ms'])} | {ms(s['p90_ms'])} | {ms(s['p99_ms'])}"
                f" | {ms(s['max_ms'])} | {s['errors']:,} |"
            )
    base = load["phases"]["baseline"]["all"]["rate"]
    mix = load["phases"]["load"]["all"]["rate"]
    messages = load.get("messages", {})
    out += [
        "",
        f"The mix runs at {mix / base:.2f}x the baseline's requests/s. Errors (non-2xx or"
        f" exception) over the whole run: **{load.get('errors', '?')}**. Messages stored"
        f" {messages.get('stored', 0):,} for {messages.get('accepted', 0):,} accepted.",
    ]
    soak = load["rss"].get("soak")
    if soak:
        minutes = load["phases"]["soak"]["duration_s"] / 60
        out += [
            "",
            f"Memory over the {minutes:g}-minute soak (VmRSS every 10 s; growth = last"
            " minute's mean over the first minute's, flagged above 10%; trend = least-squares"
            " slope of the samples):",
            "",
            "| process | first MB | last MB | max MB | first minute MB | last minute MB"
            " | growth | trend |",
            "|---|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for i, m in enumerate(soak):
            flag = " **flagged**" if m["flagged"] else ""
            out.append(
                f"| api {i + 1} | {m['first_mb']:.0f} | {m['last_mb']:.0f} | {m['max_mb']:.0f}"
                f" | {m['first_minute_mean_mb']:.1f} | {m['last_minute_mean_mb']:.1f}"
                f" | {m['growth']:+.1%}{flag} | {m.get('trend_mb_per_min', 0):+.1f} MB/min |"
            )
    failures = [f for p in load["phases"].values() for f in p["failures"]]
    if failures:
        out += ["", "First failed requests:", "", "```"]
        for f in failures:
            body = json.dumps(f["body"]) if f["body"] is not None else ""
            out.append(f"[{f['phase']}] {f['method']} {f['url']} {body} -> {f['status']}")
            out.append(f"    {f['answer'][:300]}")
        out.append("```")
    for name, lines in load.get("server_log", {}).items():
        out += ["", f"`{name}` logged at warning or above (first lines):", "", "```"]
        out += [text[:300] for text in lines] + ["```"]
    for key, title in (
        ("throughput", "Requests/s and latency over time"),
        ("latency", "Latency percentiles per request kind"),
        ("rss", "API memory over the run"),
    ):
        if key in charts:
            out += ["", f"![{title}]({charts[key]})"]
    return out


def flags(steps: list[Step], load: dict[str, Any] | None) -> list[str]:
    """What needs a reader's attention: failed steps, load errors, a stored/accepted
    mismatch, memory growth over the soak, server log lines at warning or above."""
    out = [f"step `{s.name}` failed (exit {s.code})" for s in steps if s.code != 0]
    if load is None:
        return out
    if load.get("errors"):
        out.append(f"load: {load['errors']:,} failed requests (must be 0; listed below)")
    messages = load.get("messages", {})
    if messages.get("stored") != messages.get("accepted"):
        out.append(
            f"load: {messages.get('stored')} messages stored for {messages.get('accepted')}"
            " accepted"
        )
    soak = load["rss"].get("soak") or []
    if soak and load["phases"]["soak"]["duration_s"] < 120:
        trends = ", ".join(f"{m.get('trend_mb_per_min', 0):+.1f}" for m in soak)
        out.append(
            "load: the soak is shorter than 2 minutes, so its first and last minutes overlap"
            f" and the growth figure says little; the RSS trend is {trends} MB/min"
        )
    for i, m in enumerate(soak):
        if m["flagged"]:
            out.append(
                f"load: api {i + 1}'s RSS grew {m['growth']:+.1%} over the soak"
                f" ({m['first_minute_mean_mb']:.0f} -> {m['last_minute_mean_mb']:.0f} MB)"
            )
    for name, lines in load.get("server_log", {}).items():
        out.append(f"load: `{name}` logged {len(lines)} line(s) at warning or above")
    return out


def write_report(
    args: argparse.Namespace,
    steps: list[Step],
    load: dict[str, Any] | None,
    charts: dict[str, str],
    started: datetime,
    header: list[str],
) -> str:
    kind = "a quick smoke run at reduced sizes" if args.quick else "full size"
    out = [
        f"# smscast benchmarks and reliability suite, {started:%Y-%m-%d}",
        "",
        f"Made by `{Step.relative(sys.executable)} bench/report.py"
        f"{' ' + shlex.join(args.argv) if args.argv else ''}` ({kind}), started"
        f" {started:%Y-%m-%d %H:%M} UTC. The steps ran one after the other.",
        "",
        *header,
        "",
        "Noise: the machine is shared; the load average before each step is in the table."
        " Each benchmark measures a baseline in the same run: read the ratios.",
        "",
        "| step | command | time | load average before | result |",
        "|---|---|--:|---|---|",
    ]
    for step in steps:
        result = "ok" if step.code == 0 else f"**FAILED (exit {step.code})**"
        out.append(
            f"| {step.name} | `{step.shown()}` | {step.seconds:.0f} s | {step.loadavg} | {result} |"
        )
    out += ["", "What to look at (found by this script in the figures below):", ""]
    out += [f"- {text}" for text in flags(steps, load)] or ["- nothing: every step passed"]
    if load is not None:
        out += ["", *load_section(load, charts)]
    out += ["", "## Output of each step", ""]
    for step in steps:
        note = f" ({step.note})" if step.note else ""
        out += [
            f"### {step.name}{note}",
            "",
            "```bash",
            step.shown(),
            "```",
            "",
            f"Exit status {step.code}, {step.seconds:.0f} s.",
            "",
            "```",
            step.output.rstrip("\n").replace("```", "ʼʼʼ"),
            "```",
            "",
        ]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few minutes")
    parser.add_argument(
        "--soak-minutes", type=float, help="the load benchmark's soak (default 10, quick 1)"
    )
    parser.add_argument(
        "--only", help=f"comma-separated steps to run, of: {','.join(STEPS)} (default all)"
    )
    parser.add_argument("--no-reliability", action="store_true", help="skip the suite")
    parser.add_argument("--out", default=str(ROOT / "reports"), help="where the report goes")
    args = parser.parse_args()
    args.argv = sys.argv[1:]
    only = [s.strip() for s in args.only.split(",")] if args.only else STEPS
    unknown = sorted(set(only) - set(STEPS))
    if unknown:
        parser.error(f"unknown step(s) {', '.join(unknown)}; the steps are {', '.join(STEPS)}")
    args.only = [s for s in STEPS if s in only and not (s == "reliability" and args.no_reliability)]

    started = datetime.now(UTC)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{started:%Y-%m-%d}"
    load_json = out_dir / f"{stem}-load.json"
    steps = plan(args, load_json)
    header = machine()
    if "load" in args.only:
        load_json.unlink(missing_ok=True)  # never report an earlier run's figures
    for step in steps:
        run_step(step)

    ran_load = "load" in args.only and load_json.exists()
    load = json.loads(load_json.read_text()) if ran_load else None
    charts: dict[str, str] = {}
    plt = pyplot() if load is not None else None
    if plt is not None and load is not None:
        for key, draw in (
            ("throughput", chart_throughput),
            ("latency", chart_latency),
            ("rss", chart_rss),
        ):
            name = f"{stem}-load-{key}.png"
            draw(plt, load, out_dir / name)
            charts[key] = name
    report = out_dir / f"{stem}-report.md"
    report.write_text(write_report(args, steps, load, charts, started, header) + "\n")
    shutil.copyfile(report, out_dir / "latest.md")
    failed = [s.name for s in steps if s.code != 0]
    print(f"\nreport: {report} (and {out_dir / 'latest.md'})")
    if failed:
        print(f"failed: {', '.join(failed)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
