"""`govmesh soak`: a bounded steady mixed load, sampling throughput, p99, memory and descriptors to CSV and PNG."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from govmesh.cli.chaos import SERVICES, Mesh, Tally, running_mesh, workload
from govmesh.cli.chaos_faults import Faults

console = Console(soft_wrap=True)


def process_state(pid: int) -> tuple[float, int]:
    """(resident memory in MB, open file descriptors) of a live process, from /proc."""
    rss_kb = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kb = int(line.split()[1])
    return rss_kb / 1024, len(os.listdir(f"/proc/{pid}/fd"))


def percentile(values: list[float], share: float) -> float:
    """Nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) in value per minute; 0 with fewer than two points."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if not spread:
        return 0.0
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / spread


def sample(mesh: Mesh, tally: Tally, since: float, now: float, accepted_before: int) -> dict[str, float]:
    window = [ms for at, ms in tally.publish_latencies if since < at <= now]
    row: dict[str, float] = {
        "records_per_s": round((len(tally.accepted) - accepted_before) / max(now - since, 1e-9), 1),
        "publish_p99_ms": round(percentile(window, 0.99), 2),
    }
    for service in SERVICES:
        rss, fds = process_state(mesh.runner.processes[service].pid)
        row[f"{service}_rss_mb"], row[f"{service}_fds"] = round(rss, 1), fds
    return row


async def soak(data_dir: Path, database_url: str, seed: int, seconds: float, every: float) -> list[dict[str, float]]:
    """Runs the chaos workload without kills for `seconds`, one sample row every `every` seconds."""
    tally, rows = Tally(), []
    async with running_mesh(data_dir, database_url, seed) as (mesh, hubs):
        producing, consuming, tasks = workload(hubs, seed, tally, Faults())
        start = last = time.monotonic()
        accepted = 0
        while last - start < seconds:
            await asyncio.sleep(every)
            now = time.monotonic()
            rows.append({"seconds": round(now - start, 1), **sample(mesh, tally, last, now, accepted)})
            last, accepted = now, len(tally.accepted)
        producing.set()
        consuming.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return rows


def summary(rows: list[dict[str, float]]) -> dict[str, float]:
    """Throughput, p99, and each process's memory slope once warm (the second half of the run)."""
    warm = rows[len(rows) // 2 :]
    found = {
        "samples": len(rows),
        "records_per_s": round(sum(r["records_per_s"] for r in warm) / max(len(warm), 1), 1),
        "publish_p99_ms_worst": max((r["publish_p99_ms"] for r in rows), default=0.0),
    }
    for service in SERVICES:
        found[f"{service}_rss_mb_end"] = rows[-1][f"{service}_rss_mb"] if rows else 0.0
        points = [(r["seconds"], r[f"{service}_rss_mb"]) for r in warm]
        found[f"{service}_rss_mb_per_min_warm"] = round(slope_per_minute(points), 3)
    return found


def write_csv(rows: list[dict[str, float]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_chart(rows: list[dict[str, float]], path: Path) -> bool:
    """Throughput, p99 and memory over time as a PNG; False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    seconds = [r["seconds"] for r in rows]
    figure, (rate, latency, memory) = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    rate.plot(seconds, [r["records_per_s"] for r in rows])
    rate.set_ylabel("records/s")
    latency.plot(seconds, [r["publish_p99_ms"] for r in rows])
    latency.set_ylabel("publish p99 (ms)")
    for service in SERVICES:
        memory.plot(seconds, [r[f"{service}_rss_mb"] for r in rows], label=service)
    memory.set_ylabel("RSS (MB)")
    memory.set_xlabel("seconds")
    memory.legend()
    figure.suptitle("govmesh soak")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def soak_command(
    seconds: Annotated[float, typer.Option("--seconds", help="How long the steady load runs.")] = 600.0,
    sample_every: Annotated[float, typer.Option(help="Seconds between samples.")] = 5.0,
    seed: Annotated[int, typer.Option(help="Seeds the workload.")] = 1,
    out: Annotated[Path, typer.Option(help="Directory for soak.csv and soak.png.")] = Path("soak"),
    data_dir: Annotated[Path | None, typer.Option(help="Certificates, logs (default: a new directory).")] = None,
    database_url: Annotated[str, typer.Option(help="Default: SQLite in the data directory.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """A steady mixed load for a bounded time: throughput, p99, memory and descriptors per process, as CSV and PNG."""
    directory = data_dir or Path(tempfile.mkdtemp(prefix="govmesh-soak-"))
    url = database_url or f"sqlite:///{(directory / 'govmesh.db').resolve()}"
    rows = asyncio.run(soak(directory, url, seed, seconds, sample_every))
    if not rows:
        raise typer.BadParameter("no sample taken: --seconds must be at least --sample-every")
    out.mkdir(parents=True, exist_ok=True)
    write_csv(rows, out / "soak.csv")
    charted = write_chart(rows, out / "soak.png")
    result = {**summary(rows), "csv": str(out / "soak.csv"), "chart": str(out / "soak.png") if charted else None}
    if as_json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            console.print(f"{key}: {value}")
