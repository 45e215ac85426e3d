"""The soak's arithmetic and its outputs: percentiles, the memory slope once warm, the CSV and the chart."""

from __future__ import annotations

import csv
import inspect
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govmesh.cli.chaos import SERVICES
from govmesh.cli.soak import percentile, slope_per_minute, soak_command, summary, write_chart, write_csv


def test_percentile_is_nearest_rank() -> None:
    assert percentile(list(map(float, range(1, 101))), 0.99) == 99.0
    assert percentile([5.0], 0.99) == 5.0
    assert percentile([], 0.99) == 0.0


@given(st.floats(-1e3, 1e3), st.floats(-100, 100))
def test_the_slope_of_a_straight_line_is_its_gradient_per_minute(start: float, per_minute: float) -> None:
    points = [(float(t), start + per_minute * t / 60) for t in range(0, 300, 5)]
    assert slope_per_minute(points) == pytest.approx(per_minute, abs=1e-6)


def rows(growth_mb_per_min: float) -> list[dict[str, float]]:
    found = []
    for n in range(20):
        row = {"seconds": 5.0 * (n + 1), "records_per_s": 100.0, "publish_p99_ms": 10.0 + n}
        for service in SERVICES:
            row[f"{service}_rss_mb"] = 100.0 + growth_mb_per_min * 5.0 * (n + 1) / 60
            row[f"{service}_fds"] = 20
        found.append(row)
    return found


def test_the_summary_states_each_process_memory_slope_once_warm() -> None:
    flat, leaking = summary(rows(0.0)), summary(rows(6.0))
    assert flat["exchange_rss_mb_per_min_warm"] == 0.0
    assert leaking["exchange_rss_mb_per_min_warm"] == pytest.approx(6.0)
    assert flat["samples"] == 20 and flat["records_per_s"] == 100.0 and flat["publish_p99_ms_worst"] == 29.0


def test_the_samples_are_written_as_csv_and_a_chart(tmp_path: Path) -> None:
    data = rows(1.0)
    write_csv(data, tmp_path / "soak.csv")
    with (tmp_path / "soak.csv").open(encoding="utf-8") as handle:
        read = list(csv.DictReader(handle))
    assert len(read) == 20 and float(read[-1]["exchange_rss_mb"]) == data[-1]["exchange_rss_mb"]
    assert write_chart(data, tmp_path / "soak.png")
    assert (tmp_path / "soak.png").read_bytes().startswith(b"\x89PNG")


def test_a_soak_runs_ten_minutes_unless_told_otherwise() -> None:
    assert inspect.signature(soak_command).parameters["seconds"].default == 600.0
