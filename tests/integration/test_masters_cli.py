"""`govmesh masters …` against a running mesh: batch linking with --load, lookup, the quality report."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from govmesh.cli.app import app
from govmesh.kernel.catalog.standards import make_credit_code
from govmesh.runtime import config
from tests.integration.mesh import Mesh

pytestmark = pytest.mark.timeout(180)

HEADER = "record_id,kind,department,name,uscc,id_number,address,legal_rep,district,established,birth_date,gender"


@pytest.fixture
def cli(masters_mesh: Mesh, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GOVMESH_DATA_DIR", str(masters_mesh.settings.data_dir))
    config.settings.cache_clear()
    runner = CliRunner()

    async def invoke(*args: str) -> Result:
        return await asyncio.to_thread(runner.invoke, app, [*args, "--target", masters_mesh.gateway_address])

    yield invoke
    config.settings.cache_clear()


def _department_file(path: Path) -> Path:
    code = make_credit_code("440106", 601)
    lines = [
        HEADER,
        f"A1,enterprise,AIC,广州市恒达贸易有限公司,{code},,天河区体育西路101号,李建国,440106,2009-03-02,,",
        f"A2,enterprise,AIC,广州恒达贸易有限公司,{code[:-1]}0,,天河区体育西路101号,李建国,440106,2009-03-02,,",
        "A3,enterprise,AIC,广州市白云区新星五金厂,,,白云区机场路8号,陈敏,440111,2001-07-15,,",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def _quality(cli) -> dict:  # type: ignore[no-untyped-def]
    result = await cli("masters", "quality", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


async def test_a_malformed_file_is_refused_with_its_line_and_nothing_is_loaded(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _department_file(tmp_path / "aic.csv")
    path.write_text(path.read_text(encoding="utf-8") + "A4,enterprise,AIC,short line\n", encoding="utf-8")

    result = await cli("masters", "link", str(path), "--out", str(tmp_path / "out.csv"), "--load")

    assert result.exit_code == 2
    assert "line 5" in result.output
    assert (await _quality(cli))["rows"] == []


async def test_a_linked_file_is_written_loaded_and_reported(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, out = _department_file(tmp_path / "aic.csv"), tmp_path / "out.csv"

    result = await cli("masters", "link", str(path), "--out", str(out), "--load", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["loaded"] == 3
    with out.open(encoding="utf-8") as handle:
        rows = {row["record_id"]: row for row in csv.DictReader(handle)}
    assert {"record_id", "master_id", "match", "score"} <= set(next(iter(rows.values())))
    assert rows["A1"]["master_id"] == rows["A2"]["master_id"] != rows["A3"]["master_id"]
    shown = await cli("masters", "show", "AIC:A1", "--json")
    assert shown.exit_code == 0, shown.output
    (master,) = json.loads(shown.output)
    assert {r["key"] for r in master["linked_records"]} == {"A1", "A2"}
    report = await _quality(cli)
    (row,) = report["rows"]
    assert (row["department"], row["records"]) == ("AIC", 3)
    assert row["invalid_identifier_share"] == pytest.approx(1 / 3)
    assert report["master_count"] == 2
    page = tmp_path / "quality.html"
    assert (await cli("masters", "quality", "--html", str(page))).exit_code == 0
    assert "<svg" in page.read_text(encoding="utf-8") and "AIC" in page.read_text(encoding="utf-8")


async def test_a_review_item_is_listed_and_confirmed_from_the_command_line(cli, masters_mesh: Mesh) -> None:  # type: ignore[no-untyped-def]
    from govmesh.contracts.masters.v1 import masters_pb2 as pb

    enterprise = pb.ENTITY_KIND_ENTERPRISE
    registered = pb.DepartmentRecord(
        key="A1", kind=enterprise, name="广州市恒达贸易有限公司", uscc=make_credit_code("440106", 701),
        address="天河区体育西路101号", legal_rep="李建国", district="440106",
    )  # fmt: skip
    doubtful = pb.DepartmentRecord(key="Q1", kind=enterprise, name="广州恒达贸易有限公司", district="440106")
    for department, record in (("AIC", registered), ("QTS", doubtful)):
        await masters_mesh.masters_stub(f"department/{department}").LoadRecords(pb.LoadRecordsRequest(records=[record]))

    listed = await cli("masters", "review", "list", "--json")
    assert listed.exit_code == 0, listed.output
    (item,) = json.loads(listed.output)
    confirmed = await cli("masters", "review", "confirm", item["name"], "--reason", "same address", "--json")
    assert confirmed.exit_code == 0, confirmed.output
    assert json.loads(confirmed.output)["state"] == "REVIEW_STATE_CONFIRMED"
    shown = await cli("masters", "show", "QTS:Q1", "--json")
    assert {r["department"] for r in json.loads(shown.output)[0]["linked_records"]} == {"AIC", "QTS"}
