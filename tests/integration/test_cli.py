"""The maintainers' command line against a running mesh: stats, export, plan and apply."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from govmesh.cli.app import app
from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.runtime import config
from tests.integration.mesh import Mesh


@pytest.fixture
def cli(mesh: Mesh, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GOVMESH_DATA_DIR", str(mesh.settings.data_dir))
    config.settings.cache_clear()
    runner = CliRunner()

    async def invoke(*args: str) -> Result:
        # The CLI blocks; the servers run on this test's event loop, so the CLI gets a thread.
        return await asyncio.to_thread(runner.invoke, app, [*args, "--target", mesh.gateway_address])

    yield invoke
    config.settings.cache_clear()


async def _version(mesh: Mesh, code: str) -> str:
    reply = await mesh.catalog_stub().GetSubject(pb.GetSubjectRequest(name=f"subjects/{code}"))
    return reply.subject.version


async def test_stats_prints_the_counts_as_json(cli) -> None:  # type: ignore[no-untyped-def]
    result = await cli("catalog", "stats", "--json")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert (counts["departments"], counts["subjects"], counts["items"]) == (46, 269, 4537)
    assert sum(counts["items_by_sharing_type"].values()) == 4537


async def test_an_exported_catalog_plans_no_changes(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    exported = await cli("catalog", "export", str(tmp_path / "live"))
    assert exported.exit_code == 0, exported.output
    assert len(list((tmp_path / "live" / "subjects").glob("*.yaml"))) == 269
    planned = await cli("catalog", "plan", str(tmp_path / "live"))
    assert planned.exit_code == 0, planned.output
    assert "no changes" in planned.output


async def test_apply_writes_a_compatible_change_and_refuses_a_breaking_one_without_major(  # type: ignore[no-untyped-def]
    cli, mesh: Mesh, tmp_path: Path
) -> None:
    directory = tmp_path / "live"
    assert (await cli("catalog", "export", str(directory))).exit_code == 0
    path = directory / "subjects" / "102.001.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["items"][0]["description"] = doc["items"][0]["description"] + "（修订）"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    applied = await cli("catalog", "apply", str(directory), "-m", "clarify the description")
    assert applied.exit_code == 0, applied.output
    assert await _version(mesh, "102.001") == "1.1"

    removed = doc["items"].pop()
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    refused = await cli("catalog", "apply", str(directory), "-m", "drop an item")
    assert refused.exit_code == 1
    assert "BREAKING" in refused.output and "nothing applied" in refused.output
    assert f"items/{removed['code']}" in refused.output
    assert await _version(mesh, "102.001") == "1.1"

    forced = await cli("catalog", "apply", str(directory), "-m", "drop an item", "--major")
    assert forced.exit_code == 0, forced.output
    assert await _version(mesh, "102.001") == "2.0"


async def test_plan_reports_every_error_with_file_and_line_and_changes_nothing(  # type: ignore[no-untyped-def]
    cli, mesh: Mesh, tmp_path: Path
) -> None:
    directory = tmp_path / "live"
    assert (await cli("catalog", "export", str(directory))).exit_code == 0
    path = directory / "subjects" / "102.001.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    type_line = next(n for n, line in enumerate(lines) if line.strip().startswith("data_type:"))
    lines[type_line] = lines[type_line].split(":")[0] + ": text"
    required_line = next(n for n, line in enumerate(lines) if line.strip().startswith("required:"))
    lines[required_line] = lines[required_line].split(":")[0] + ": maybe"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    broken = directory / "subjects" / "102.002.yaml"
    broken.write_text(broken.read_text(encoding="utf-8") + "items: [unclosed\n", encoding="utf-8")
    before = (await mesh.catalog_stub().GetCatalogStats(pb.GetCatalogStatsRequest())).revision

    result = await cli("catalog", "plan", str(directory))
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert f"102.001.yaml:{type_line + 1}: data_type: 'text' is not one of" in output
    assert f"102.001.yaml:{required_line + 1}: required: must be true or false" in output
    assert "102.002.yaml:" in output
    assert (await mesh.catalog_stub().GetCatalogStats(pb.GetCatalogStatsRequest())).revision == before
