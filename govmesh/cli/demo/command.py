"""`govmesh demo [--scale S] [--seed N] [--json]`: the seed's year on a fresh embedded hub, with a progress bar."""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from govmesh.cli.demo import hub as demo_hub
from govmesh.cli.demo.report import build_report, tables
from govmesh.cli.demo.run import Simulation
from govmesh.cli.demo.world import DAYS, build

console = Console(stderr=True)


async def run_demo(
    seed: int, scale: float, data_dir: Path, progress: Any = None, *, step_days: int = 7
) -> dict[str, Any]:
    """Starts a hub in `data_dir`, plays the year and returns the report."""
    hub = await demo_hub.start(data_dir)
    simulation = Simulation(hub, build(seed, scale), data_dir, progress, step_days=step_days)
    try:
        await simulation.run()
        return await build_report(simulation)
    finally:
        await simulation.stop()
        await hub.stop()


def demo(
    scale: Annotated[
        float, typer.Option(help="Share of the seed's year: 1 is ~34,000 enterprises.", min=0.0001, max=1.0)
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="The random seed: the same seed and scale play the same year.")] = 2008,
    step_days: Annotated[
        int, typer.Option(help="Simulated days per step; the scheduled evaluation runs once a step.", min=1, max=30)
    ] = 7,
    data_dir: Annotated[Path | None, typer.Option(help="Keep the hub here (default: a temporary directory).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Replays the seed's year: every department through the gateway as itself, the applications at work,
    and a report of the system's figures beside the simulator's truth."""
    logging.getLogger().setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="govmesh-demo-") as scratch:
        where = data_dir or Path(scratch)
        with Progress(
            TextColumn("[bold]2008[/bold] day"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=as_json,
        ) as bar:
            task = bar.add_task("starting the hub …", total=DAYS)

            def advance(day: int, what: str) -> None:
                bar.update(task, completed=day + 1, description=what)

            report = asyncio.run(run_demo(seed, scale, where, advance, step_days=step_days))
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
        return
    out = Console()
    for table in tables(report):
        out.print(table)
    timings = report["timings"]
    out.print(
        f"the year took {timings.get('year_seconds', 0):.1f} s after {timings.get('setup_seconds', 0):.1f} s of setup"
    )
