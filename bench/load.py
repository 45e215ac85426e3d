"""A bounded closed-loop load generator: K callers over one channel, fixed duration, latency percentiles."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

Call = Callable[[int], Awaitable[Any]]


@dataclass(frozen=True)
class LoadShape:
    """How hard and how long: `concurrency` callers, each issuing its next call when the last returns."""

    concurrency: int
    warmup: float
    duration: float
    max_calls: int = 1_000_000


# Every call the scenarios make carries this deadline, so a stuck server cannot hold a run.
CALL_TIMEOUT = 10.0


def percentile(sorted_values: list[int], fraction: float) -> int:
    """Nearest-rank percentile of an already sorted list (0 for an empty one)."""
    if not sorted_values:
        return 0
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


@dataclass
class LoadResult:
    """The calls completed inside the measured window, their latencies (ns) and the errors seen."""

    calls: int = 0
    seconds: float = 0.0
    latencies_ns: list[int] = field(default_factory=list)
    by_label: dict[str, list[int]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    # Every call issued, warmup included, and the CPU seconds each process spent meanwhile.
    issued: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    # Wall time of the runs, warmup included, and CPU the rest of the machine used meanwhile.
    wall: float = 0.0
    others: float = 0.0
    # CPU seconds per watched process and thread group (main thread, gRPC threads …).
    threads: dict[str, dict[str, float]] = field(default_factory=dict)

    def merge(self, other: LoadResult) -> LoadResult:
        """Rounds of the same scenario add up: calls, time, latencies, errors and CPU."""
        return LoadResult(
            self.calls + other.calls,
            self.seconds + other.seconds,
            self.latencies_ns + other.latencies_ns,
            {k: self.by_label.get(k, []) + other.by_label.get(k, []) for k in {*self.by_label, *other.by_label}},
            self.errors + other.errors,
            self.issued + other.issued,
            {k: self.cpu.get(k, 0.0) + other.cpu.get(k, 0.0) for k in {*self.cpu, *other.cpu}},
            self.wall + other.wall,
            self.others + other.others,
            {
                p: {
                    t: self.threads.get(p, {}).get(t, 0.0) + other.threads.get(p, {}).get(t, 0.0)
                    for t in {*self.threads.get(p, {}), *other.threads.get(p, {})}
                }
                for p in {*self.threads, *other.threads}
            },
        )

    def cores_by_thread(self, process: str) -> dict[str, float]:
        """How many cores each thread group of `process` kept busy over the runs."""
        if not self.wall:
            return {}
        return {t: cpu / self.wall for t, cpu in self.threads.get(process, {}).items()}

    @property
    def other_load(self) -> float:
        """Cores' worth of CPU that processes outside the benchmark used while it ran: the noise."""
        return self.others / self.wall if self.wall else 0.0

    def cpu_us_per_call(self, process: str) -> float | None:
        """CPU microseconds `process` spent per call issued (warmup included on both sides)."""
        if process not in self.cpu or not self.issued:
            return None
        return self.cpu[process] / self.issued * 1e6

    @property
    def throughput(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    def p(self, fraction: float, label: str | None = None) -> float:
        """A latency percentile in milliseconds, overall or for one label."""
        values = sorted(self.latencies_ns if label is None else self.by_label.get(label, []))
        return percentile(values, fraction) / 1e6

    @property
    def p50(self) -> float:
        return self.p(0.50)

    @property
    def p99(self) -> float:
        return self.p(0.99)


_TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy since boot (all processes, ours and others)."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle, iowait = fields[3], fields[4]
    return (sum(fields[:8]) - idle - iowait) / _TICKS


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of each live thread of `pid`, grouped: the main thread, other Python threads, gRPC's by name."""
    groups: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # the thread ended meanwhile
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        if task.name == str(pid):
            group = "main thread (asyncio loop, Python)"
        elif name.startswith("python"):
            group = "other Python threads (gRPC poller)"
        else:
            group = f"gRPC core threads ({name.rstrip('+')})" if name else "unnamed"
        groups[group] = groups.get(group, 0.0) + (int(fields[11]) + int(fields[12])) / _TICKS
    return groups


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process, all its threads (this process when `pid` is None)."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


async def settle(max_seconds: float, threshold: float = 0.25, window: float = 1.0) -> float:
    """Waits, at most `max_seconds`, for the machine to be nearly idle (< `threshold` cores busy over `window`).

    On a shared machine this lets a neighbour's burst pass before a measurement; it never waits longer
    than asked, and returns the last load seen so the caller can say what it measured under.
    """
    deadline = time.monotonic() + max_seconds
    while True:
        before = machine_busy_seconds()
        await asyncio.sleep(window)
        load = (machine_busy_seconds() - before) / window
        if load < threshold or time.monotonic() >= deadline:
            return load


async def run_load(
    call: Call,
    shape: LoadShape,
    label: Callable[[int], str] | None = None,
    watch: dict[str, int] | None = None,
) -> LoadResult:
    """Runs `call(i)` from `shape.concurrency` tasks: a warmup that is not recorded, then the measured window.

    Stops by itself at the end of the window or after `shape.max_calls` calls, whichever comes first;
    calls carry CALL_TIMEOUT and the whole run is cut off shortly after the window in any case.
    `watch` names server processes (name → pid) whose CPU time is recorded beside the client's.
    """
    result = LoadResult()
    processes = {"client": None, **(watch or {})}
    cpu_before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    busy_before = machine_busy_seconds()
    threads_before = {name: thread_cpu(pid) for name, pid in (watch or {}).items()}
    counter = 0
    start = time.perf_counter_ns()
    window_start = start + int(shape.warmup * 1e9)
    window_end = window_start + int(shape.duration * 1e9)

    async def caller() -> None:
        nonlocal counter
        while counter < shape.max_calls:
            began = time.perf_counter_ns()
            if began >= window_end:
                return
            index = counter
            counter += 1
            try:
                await call(index)
            except grpc.aio.AioRpcError as error:
                result.errors[error.code().name] += 1
                continue
            ended = time.perf_counter_ns()
            if began >= window_start and ended <= window_end:
                latency = ended - began
                result.latencies_ns.append(latency)
                if label is not None:
                    result.by_label.setdefault(label(index), []).append(latency)

    callers = [asyncio.ensure_future(caller()) for _ in range(shape.concurrency)]
    await _join(callers, shape.warmup + shape.duration + CALL_TIMEOUT + 5, result)
    finished = time.perf_counter_ns()
    result.cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in processes.items()}
    result.others = max(0.0, machine_busy_seconds() - busy_before - sum(result.cpu.values()))
    result.wall = (finished - start) / 1e9
    for name, pid in (watch or {}).items():
        after = thread_cpu(pid)
        result.threads[name] = {t: v - threads_before[name].get(t, 0.0) for t, v in after.items()}
    result.issued = counter
    result.calls = len(result.latencies_ns)
    result.seconds = (min(finished, window_end) - window_start) / 1e9
    return result


async def _join(callers: list[asyncio.Task[None]], timeout: float, result: LoadResult) -> None:
    """Waits for the callers; those still running after `timeout` are cut off and counted, a failed one re-raised."""
    _, late = await asyncio.wait(callers, timeout=timeout)
    for task in late:
        task.cancel()
        result.errors["CUT_OFF"] += 1
    await asyncio.gather(*late, return_exceptions=True)
    for task in callers:
        if task not in late and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


async def run_rounds(
    scenarios: dict[str, Call], shape: LoadShape, rounds: int, watch: dict[str, int] | None = None
) -> dict[str, LoadResult]:
    """Runs the scenarios alternately (A B A B …) so drift on a noisy machine hits each alike; merges rounds."""
    results: dict[str, LoadResult] = {}
    for _ in range(rounds):
        for name, call in scenarios.items():
            measured = await run_load(call, shape, watch=watch)
            results[name] = results[name].merge(measured) if name in results else measured
    return results


async def run_paced(
    call: Call,
    rate: float,
    warmup: float,
    duration: float,
    label: Callable[[int], str] | None = None,
    watch: dict[str, int] | None = None,
) -> LoadResult:
    """Open loop: one call every 1/`rate` seconds whatever the answers do, for latency targets "at N calls/s".

    Each latency runs from the call's scheduled start, so a server that falls behind shows it
    (no coordinated omission). Bounded by the window: no call starts after it ends, and calls
    still running CALL_TIMEOUT later are cut off.
    """
    result = LoadResult()
    processes = {"client": None, **(watch or {})}
    cpu_before = {name: cpu_seconds(pid) for name, pid in processes.items()}
    busy_before = machine_busy_seconds()
    interval_ns = int(1e9 / rate)
    start = time.perf_counter_ns()
    window_start = start + int(warmup * 1e9)
    window_end = window_start + int(duration * 1e9)

    async def one(index: int, scheduled: int) -> None:
        try:
            await call(index)
        except grpc.aio.AioRpcError as error:
            result.errors[error.code().name] += 1
            return
        ended = time.perf_counter_ns()
        if scheduled >= window_start and ended <= window_end + int(CALL_TIMEOUT * 1e9):
            latency = ended - scheduled
            result.latencies_ns.append(latency)
            if label is not None:
                result.by_label.setdefault(label(index), []).append(latency)

    tasks: list[asyncio.Task[None]] = []
    index = 0
    while True:
        scheduled = start + index * interval_ns
        if scheduled >= window_end:
            break
        delay = (scheduled - time.perf_counter_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(index, scheduled)))
        index += 1
    _, late = await asyncio.wait(tasks, timeout=CALL_TIMEOUT + 5) if tasks else (set(), set())
    for task in late:
        task.cancel()
        result.errors["CUT_OFF"] += 1
    await asyncio.gather(*late, return_exceptions=True)
    finished = time.perf_counter_ns()
    result.cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in processes.items()}
    result.others = max(0.0, machine_busy_seconds() - busy_before - sum(result.cpu.values()))
    result.wall = (finished - start) / 1e9
    result.issued = index
    result.calls = len(result.latencies_ns)
    result.seconds = duration
    return result
