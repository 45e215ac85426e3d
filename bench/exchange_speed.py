"""`python -m bench exchange [--json] [--records N]`: fan-out beside the bare design, request/reply beside echo.

Both comparisons are made in the same run on the same machine: rounds of the exchange's one-to-many
and of the bare per-record design (bench/bare_log.py) alternate, and the medians are compared; the
request/reply round trip and the bare echo run one after the other at one caller.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import bare_log, postgres
from bench.exchange import FanOut, RoundTrip, one_to_many, request_reply
from bench.exchange_mesh import SUBSCRIBERS, batches, start_exchange_mesh
from bench.load import LoadShape
from bench.processes import start_echo

DEFAULT_RECORDS = 20_000
RATIO_TARGET = 0.6
P50_TARGET_MS = 5.0
P99_TARGET_MS = 15.0


def _say(message: str) -> None:
    print(f"[bench exchange {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Speed:
    """The figures of one `python -m bench exchange` run."""

    records: int
    fan_outs: list[FanOut] = field(default_factory=list)
    bare: list[bare_log.BareRun] = field(default_factory=list)
    round_trip: RoundTrip | None = None

    @property
    def records_per_s(self) -> float:
        return statistics.median(f.records_per_second for f in self.fan_outs)

    @property
    def baseline_records_per_s(self) -> float:
        return statistics.median(b.records_per_second for b in self.bare)

    @property
    def ratio(self) -> float:
        return self.records_per_s / self.baseline_records_per_s if self.baseline_records_per_s else 0.0

    def as_json(self) -> dict[str, object]:
        assert self.round_trip is not None
        request, echo = self.round_trip.request, self.round_trip.echo
        last = self.fan_outs[-1]
        return {
            "records": self.records,
            "subscribers": len(SUBSCRIBERS),
            "rounds": len(self.fan_outs),
            "records_per_s": round(self.records_per_s, 1),
            "baseline_records_per_s": round(self.baseline_records_per_s, 1),
            "ratio": round(self.ratio, 3),
            "records_per_s_rounds": [round(f.records_per_second, 1) for f in self.fan_outs],
            "baseline_records_per_s_rounds": [round(b.records_per_second, 1) for b in self.bare],
            "deliveries": sum(f.delivered for f in self.fan_outs),
            "duplicates": sum(f.duplicates for f in self.fan_outs),
            "exchange_rss_peak_mb": round(max(f.rss_peak_mb for f in self.fan_outs), 1),
            "cores": {name: round(cores, 2) for name, cores in last.cores.items()},
            "request_reply_calls": request.calls,
            "request_reply_p50_ms": round(request.p50, 2),
            "request_reply_p99_ms": round(request.p99, 2),
            "request_reply_errors": sum(request.errors.values()),
            "echo_p50_ms": round(echo.p50, 3),
            "echo_p99_ms": round(echo.p99, 3),
        }

    def missed(self) -> list[str]:
        assert self.round_trip is not None
        request = self.round_trip.request
        missed = []
        if self.ratio < RATIO_TARGET:
            missed.append(f"fan-out at {self.ratio:.2f}× the bare design < {RATIO_TARGET}")
        if request.p50 > P50_TARGET_MS or request.p99 > P99_TARGET_MS:
            missed.append(f"request/reply p50 {request.p50:.1f} ms p99 {request.p99:.1f} ms > 5 / 15 ms")
        return missed


async def measure(server_url: str, records: int, rounds: int, seconds: float) -> Speed:
    speed = Speed(records)
    with tempfile.TemporaryDirectory(prefix="govmesh-bench-exchange-") as tmp:
        work = Path(tmp)
        echo = await start_echo(work / "logs")
        try:
            with postgres.fresh_database(server_url, "govmesh_bench_exchange") as url:
                mesh = await start_exchange_mesh(work, url)
                try:
                    for n in range(rounds):
                        fan_out = await one_to_many(mesh, records, tag=f"-{n}")
                        speed.fan_outs.append(fan_out)
                        _say(f"round {n + 1}: exchange {fan_out.records_per_second:,.0f} records/s")
                        bare = await asyncio.to_thread(bare_log.measure, server_url, batches(records, f"bare{n}"))
                        speed.bare.append(bare)
                        _say(f"round {n + 1}: bare design {bare.records_per_second:,.0f} records/s")
                    shape = LoadShape(1, warmup=0.5, duration=seconds)
                    speed.round_trip = await request_reply(mesh, echo, shape)
                    request = speed.round_trip.request
                    _say(f"request/reply p50 {request.p50:.2f} ms p99 {request.p99:.2f} ms")
                finally:
                    mesh.stop()
        finally:
            echo.stop()
    return speed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench exchange", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS, help="records per fan-out round")
    parser.add_argument("--rounds", type=int, default=3, help="fan-out rounds of each design, alternating")
    parser.add_argument("--seconds", type=float, default=10.0, help="request/reply and echo window each")
    parser.add_argument("--postgres", default=postgres.DEFAULT_SERVER_URL, metavar="URL")
    args = parser.parse_args(argv)
    speed = asyncio.run(measure(args.postgres, args.records, max(1, args.rounds), args.seconds))
    figures = speed.as_json()
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name}: {value}")
    for missed in speed.missed():
        _say(f"target missed: {missed}")
    return 0
