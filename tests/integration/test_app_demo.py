"""`govmesh demo` at a small scale, as CI runs it: every figure the rules compute exactly equals the truth."""

from __future__ import annotations

from pathlib import Path

from govmesh.cli.demo.command import run_demo


async def test_the_demo_reports_the_truth_where_the_rules_are_exact(tmp_path: Path) -> None:
    report = await run_demo(2008, 0.005, tmp_path, step_days=7)
    mismatched = {f["figure"]: (f["system"], f["truth"]) for f in report["figures"] if f["truth"] is not None}
    mismatched = {name: pair for name, pair in mismatched.items() if pair[0] != pair[1]}
    assert mismatched == {}
    for rule, row in report["rules"].items():
        assert (row["precision"], row["recall"]) == (1.0, 1.0), rule
    figures = {f["figure"]: f["system"] for f in report["figures"]}
    assert figures["enterprises exchanged (102.001 published)"] == 170
    assert figures["district 440106: other districts' rows received"] == 0
    assert figures["records exchanged (ledger)"] > figures["enterprises exchanged (102.001 published)"]


async def test_the_same_seed_plays_the_same_year(tmp_path: Path) -> None:
    from govmesh.cli.demo.world import build

    first, second, other = build(7, 0.002), build(7, 0.002), build(8, 0.002)
    assert [e.key for e in first.enterprises] == [e.key for e in second.enterprises]
    assert [(e.day, e.local_day) for e in first.enterprises] == [(e.day, e.local_day) for e in second.enterprises]
    assert [(e.day, e.local_day) for e in first.enterprises] != [(e.day, e.local_day) for e in other.enterprises]
