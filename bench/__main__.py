"""`python -m bench [--quick] [--postgres URL]`: runs every benchmark and rewrites docs/benchmarks.md.

`python -m bench exchange [--json] [--records N]` measures the exchange alone (see bench/exchange_speed.py).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import grpc

from bench import authz as authz_bench
from bench import cost as cost_bench
from bench import exchange as exchange_bench
from bench import postgres, profiling, scenarios
from bench.load import Call, LoadResult, LoadShape, run_load, run_paced, run_rounds, settle
from bench.processes import REPO, Mesh, Server, start_echo, start_mesh
from bench.report import (
    GATEWAY_RATIO_TARGET,
    PACED_RATE,
    SEARCH_P99_TARGET_MS,
    BackendRun,
    Machine,
    Report,
    render,
)

CONCURRENCY = 16
COPY_ROWS = 100_000


def _say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def redact(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def machine(postgres_url: str | None) -> Machine:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return Machine(
        nproc=os.cpu_count() or 0,
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.release()} {platform.machine()}",
        cpu=cpu,
        grpcio=grpc.__version__,
        postgres=postgres.server_version(postgres_url) if postgres_url else "not used",
    )


def _summary(name: str, result: LoadResult) -> str:
    errors = f", errors {dict(result.errors)}" if result.errors else ""
    return f"{name}: {result.throughput:,.0f} calls/s, p50 {result.p50:.2f} ms, p99 {result.p99:.2f} ms{errors}"


async def _settle(backend: str, seconds: float) -> None:
    if seconds > 0:
        load = await settle(seconds)
        _say(f"{backend}: other processes busy on {load:.2f} cores as measurement starts")


@dataclass(frozen=True)
class _Bench:
    """What every scenario on one backend is measured with: its name, load shape, rounds, watched processes."""

    backend: str
    shape: LoadShape
    rounds: int
    watch: dict[str, int]
    settle_seconds: float


@dataclass(frozen=True)
class _Searched:
    """Search at the service: the call and its query kinds, the query mix's hits, and the load results."""

    call: Call
    kind: Callable[[int], str]
    hits: list[tuple[str, str, int, str]]
    result: LoadResult
    single: LoadResult


async def measure_backend(
    backend: str,
    database_url: str,
    data_dir: Path,
    shape: LoadShape,
    rounds: int,
    profile_seconds: float,
    profiled: set[str],
    echo: Server,
    settle_seconds: float,
) -> BackendRun:
    """Catalog and gateway on one database: echo, GetItem direct and via the gateway in turns; Search; profiles.

    A missed target is profiled once per run (`profiled` remembers which), on the first backend that missed it:
    GetItem and Search are served from the catalog's in-memory view, so the database does not change the profile.
    """
    _say(f"{backend}: starting catalog and gateway")
    started = time.monotonic()
    mesh: Mesh = await start_mesh(data_dir, database_url)
    try:
        catalog_start = mesh.catalog.ready_at - started
        gateway_start = mesh.gateway.ready_at - mesh.catalog.ready_at
        _say(f"{backend}: catalog serving after {catalog_start:.1f}s, gateway after {gateway_start:.1f}s more")
        watch = {"catalog": mesh.catalog.pid, "gateway": mesh.gateway.pid, "echo": echo.pid}
        bench = _Bench(backend, shape, rounds, watch, settle_seconds)
        async with mesh.catalog.channel() as direct, mesh.gateway.channel() as gateway, echo.channel() as bare:
            sample = await scenarios.read_catalog(direct)
            via_gateway = await scenarios.read_catalog(gateway)
            if len(via_gateway.items) != len(sample.items):
                raise RuntimeError("the gateway and the catalog disagree on the items")
            # Baseline A runs in turn with the two GetItem paths, so all three see the same machine.
            get_item = {
                "echo": scenarios.echo(bare),
                "direct": scenarios.get_item(direct, sample.items),
                "gateway": scenarios.get_item(gateway, sample.items),
            }
            results = await _measure_get_item(bench, get_item)
            echo_result = results.pop("echo")
            searched = await _measure_search(bench, direct, sample)
            paced = await _measure_paced(bench, get_item, searched)
            run = BackendRun(
                backend=backend,
                database=_shown_database(database_url, data_dir),
                catalog_start_seconds=catalog_start,
                gateway_start_seconds=gateway_start,
                counts=(sample.departments, sample.subjects, len(sample.items)),
                echo=echo_result,
                get_item=results,
                search=searched.result,
                search_single=searched.single,
                hits=searched.hits,
                paced=paced,
            )
            if profile_seconds > 0:
                await _profile_missed(bench, run, mesh, data_dir, profile_seconds, profiled, get_item, searched)
            return run
    finally:
        mesh.stop()


def _shown_database(database_url: str, data_dir: Path) -> str:
    """The database as the report names it: no password, no temporary paths or names."""
    return re.sub(
        r"govmesh_bench_[0-9a-f]+$",
        "<fresh database>",
        redact(database_url.replace(str(data_dir), "<data dir>")),
    )


async def _measure_get_item(bench: _Bench, get_item: dict[str, Call]) -> dict[str, LoadResult]:
    """Echo, GetItem direct and GetItem via the gateway, each called once, then measured in turns."""
    for call in get_item.values():
        await call(0)
    await _settle(bench.backend, bench.settle_seconds)
    results = await run_rounds(get_item, bench.shape, bench.rounds, bench.watch)
    for path, result in results.items():
        _say(f"{bench.backend}: " + _summary(path if path == "echo" else f"GetItem {path}", result))
    return results


async def _measure_search(bench: _Bench, direct: grpc.aio.Channel, sample: scenarios.CatalogSample) -> _Searched:
    """Search at the catalog's internal port: the query mix's hits, then all callers' rounds, then one caller."""
    shape = bench.shape
    queries = scenarios.search_queries(sample.items)
    hits = await scenarios.search_hits(direct, queries)
    search, kind = scenarios.search(direct, queries)
    await _settle(bench.backend, bench.settle_seconds)
    searched: LoadResult | None = None
    for _ in range(bench.rounds):
        once = await run_load(search, shape, kind, bench.watch)
        searched = once if searched is None else searched.merge(once)
    assert searched is not None
    _say(f"{bench.backend}: " + _summary(f"Search x{shape.concurrency}", searched))
    single_shape = LoadShape(1, shape.warmup, shape.duration, shape.max_calls)
    single = await run_load(search, single_shape, kind, bench.watch)
    _say(f"{bench.backend}: " + _summary("Search x1", single))
    return _Searched(search, kind, hits, searched, single)


async def _measure_paced(bench: _Bench, get_item: dict[str, Call], searched: _Searched) -> dict[str, LoadResult]:
    """GetItem direct, GetItem via the gateway and Search, open loop at PACED_RATE calls/s."""
    shape = bench.shape
    paced: dict[str, LoadResult] = {}
    paced_seconds = shape.duration * max(1, bench.rounds // 2)
    for name, call, labels in (
        ("direct", get_item["direct"], None),
        ("gateway", get_item["gateway"], None),
        ("search", searched.call, searched.kind),
    ):
        await _settle(bench.backend, bench.settle_seconds / 3)
        paced[name] = await run_paced(call, PACED_RATE, shape.warmup, paced_seconds, labels, bench.watch)
        _say(f"{bench.backend}: " + _summary(f"{name} at {PACED_RATE}/s", paced[name]))
    return paced


async def _profile_missed(
    bench: _Bench,
    run: BackendRun,
    mesh: Mesh,
    data_dir: Path,
    profile_seconds: float,
    profiled: set[str],
    get_item: dict[str, Call],
    searched: _Searched,
) -> None:
    """Profiles the processes behind each target this run missed, unless an earlier backend already did."""
    backend, shape = bench.backend, bench.shape
    profile_shape = LoadShape(shape.concurrency, 0.0, profile_seconds, shape.max_calls)
    if not run.gateway_met and "gateway" not in profiled:
        profiled.add("gateway")
        _say(f"{backend}: gateway below {GATEWAY_RATIO_TARGET}× direct; profiling gateway and catalog")
        profiles = await profiling.record(
            {"gateway": mesh.gateway.pid, "catalog": mesh.catalog.pid},
            profile_seconds,
            data_dir,
            lambda: run_load(get_item["gateway"], profile_shape),
        )
        for name, profile in profiles.items():
            profile.threads = run.get_item["gateway"].cores_by_thread(name)
            run.profiles[f"{name} process under GetItem load through the gateway"] = profile
    if not run.search_met and "search" not in profiled:
        profiled.add("search")
        _say(f"{backend}: Search p99 above {SEARCH_P99_TARGET_MS:g} ms; profiling the catalog")
        profiles = await profiling.record(
            {"catalog": mesh.catalog.pid},
            profile_seconds,
            data_dir,
            lambda: run_load(searched.call, profile_shape),
        )
        for name, profile in profiles.items():
            profile.threads = searched.result.cores_by_thread(name)
            run.profiles[f"{name} process under Search load"] = profile


async def run(args: argparse.Namespace, command: str) -> Report:
    quick = args.quick
    # Full runs take more, shorter rounds: interleaving often is what cancels a neighbour's bursts.
    shape = LoadShape(CONCURRENCY, warmup=0.3 if quick else 0.5, duration=1.5 if quick else 3.0)
    rounds = 1 if quick else 4
    settle_seconds = 0.0 if quick else 15.0
    profile_seconds = 0.0 if args.no_profile else (2.0 if quick else 5.0)
    server_url = None if args.no_postgres else args.postgres
    report = Report(
        command=command,
        started=dt.datetime.now(dt.UTC),
        machine=machine(server_url),
        shape=shape,
        rounds=rounds,
        settle_seconds=settle_seconds,
        backends=[],
        copy=None,
    )
    profiled: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="govmesh-bench-") as tmp:
        work = Path(tmp)
        _say(f"working in {work}")
        echo = await start_echo(work / "logs")
        try:
            sqlite_dir = work / "sqlite"
            sqlite_dir.mkdir()
            sqlite_url = f"sqlite:///{sqlite_dir / 'govmesh.db'}"
            report.backends.append(
                await measure_backend(
                    "SQLite", sqlite_url, sqlite_dir, shape, rounds, profile_seconds, profiled, echo, settle_seconds
                )
            )
            if server_url:
                pg_dir = work / "postgresql"
                pg_dir.mkdir()
                with postgres.fresh_database(server_url) as url:
                    report.backends.append(
                        await measure_backend(
                            "PostgreSQL", url, pg_dir, shape, rounds, profile_seconds, profiled, echo, settle_seconds
                        )
                    )
        finally:
            echo.stop()
        if server_url:
            _say(f"baseline B: COPY of {COPY_ROWS:,} rows")
            report.copy = postgres.copy_baseline(server_url, COPY_ROWS)
            _say(f"COPY: {report.copy.rows_per_second:,.0f} rows/s")
    return report


# Sections other benchmark modules write into the same file (e.g. bench/authz.py), or figures run by hand
# (the soak, the demo, master records), each between its two markers: kept across rewrites.
_KEPT_SECTION = re.compile(r"<!-- (?P<name>[\w -]+?) figures: [^\n]*?-->.*?<!-- end of (?P=name) figures -->\n?", re.S)


def kept_sections(text: str) -> list[str]:
    """The sections of `text` that another bench module owns, as they are."""
    return [m.group(0) if m.group(0).endswith("\n") else m.group(0) + "\n" for m in _KEPT_SECTION.finditer(text)]


def main() -> int:
    if sys.argv[1:2] == ["exchange"]:
        from bench import exchange_speed

        return exchange_speed.main(sys.argv[2:])
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short windows, one round (about a minute)")
    parser.add_argument(
        "--postgres",
        default=postgres.DEFAULT_SERVER_URL,
        metavar="URL",
        help="PostgreSQL server to create (and drop) fresh databases on; the URL's own database is only "
        f"connected to for that (default {postgres.DEFAULT_SERVER_URL})",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only; skips baseline B")
    parser.add_argument("--no-profile", action="store_true", help="no py-spy profile when a target is missed")
    parser.add_argument(
        "--output", type=Path, default=REPO / "docs" / "benchmarks.md", help="where the report is written"
    )
    args = parser.parse_args()
    command = " ".join(["python -m bench", *(redact(a) for a in sys.argv[1:])])
    began = time.monotonic()
    report = asyncio.run(run(args, command))
    _say("authz: local snapshot check, remote Check at a fixed rate, snapshot build")
    authz_figures = asyncio.run(authz_bench.measure_alone(quick=args.quick))
    _say("cost: another department's latency beside a flood of expensive calls")
    cost_figures = asyncio.run(cost_bench.measure_alone(quick=args.quick))
    exchange_sections: list[str] = []
    exchange_missed: list[str] = []
    if not args.no_postgres:
        _say("exchange: one-to-many, request/reply round trip, publish with history (PostgreSQL)")
        exchange_figures = asyncio.run(exchange_bench.measure(args.postgres, quick=args.quick))
        exchange_sections.append(exchange_bench.render(exchange_figures))
        exchange_missed = exchange_figures.missed()
    report.elapsed = time.monotonic() - began
    args.output.parent.mkdir(parents=True, exist_ok=True)
    kept = kept_sections(args.output.read_text(encoding="utf-8")) if args.output.exists() else []
    replaced = [
        authz_bench.SECTION_START,
        cost_bench.SECTION_START,
        *([exchange_bench.SECTION_START] if exchange_sections else []),
    ]
    kept = [section for section in kept if not section.startswith(tuple(replaced))]
    sections = [render(report), authz_bench.render(authz_figures), cost_bench.render(cost_figures)]
    args.output.write_text("\n".join([*sections, *exchange_sections, *kept]), encoding="utf-8")
    _say(f"wrote {args.output} in {report.elapsed:.0f}s")
    for missed in [*report.missed(), *authz_figures.missed(), *cost_figures.missed(), *exchange_missed]:
        _say(f"target missed: {missed}")
    for failed in report.failed_calls():
        _say(f"calls failed: {failed}")
    return 1 if report.failed_calls() else 0


if __name__ == "__main__":
    sys.exit(main())
