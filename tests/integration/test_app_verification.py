"""Verification only (限价房) end to end: applicants' claims to police, civil affairs and land, verdicts
back, one eligibility per applicant with a reason per claim — and never a value on the way."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govmesh.apps.grants import ensure_grants, load_grants
from govmesh.apps.taxtotal.usecases import SHIPPED_GRANTS as TAXTOTAL_GRANTS
from govmesh.apps.verification.domain import parse_applicants
from govmesh.apps.verification.setup import ensure_setup
from govmesh.apps.verification.usecases import request_of, shipped_claims, verify
from govmesh.cli.app import app
from govmesh.client import Stubs
from govmesh.contracts.authz.v1 import authz_pb2 as apb
from govmesh.kernel.catalog.standards import make_citizen_id, make_credit_code
from govmesh.runtime import config
from tests.integration.apps_support import answer_inbox, issue
from tests.integration.exchange_support import exchange_knows
from tests.integration.mesh import Mesh

A1, A2, A3, A4, M1, M2 = (make_citizen_id("440106", dt.date(1980, 1, 1), n) for n in range(1, 7))
INCOME = {A1: "30000.00", A2: "20000.00", A3: "50000.00", A4: "10000.00"}
ENUMS = frozenset({"101.001.025", "101.001.017", "203.001.002", "304.002.002", "304.002.013"})


def person(key: str, name: str, marital: str = "未婚") -> dict[str, Any]:
    return {
        "101.001.001": key,
        "101.001.002": name,
        "101.001.010": "440106",
        "101.001.025": "正常",
        "101.001.017": marital,
    }


HOLDINGS: dict[tuple[str, str], list[dict[str, Any]]] = {
    **{
        ("101.001", k): [person(k, n)]
        for k, n in ((A1, "张三"), (A2, "李四"), (A3, "王五"), (A4, "赵六"), (M1, "张小"))
    },
    **{
        ("202.002", k): [
            {
                "202.002.001": f"DB{k[-6:]}",
                "202.002.002": k,
                "202.002.006": "440106",
                "202.002.010": dt.date(2008, 1, 2),
                "202.002.008": __import__("decimal").Decimal(v),
            }
        ]
        for k, v in INCOME.items()
    },
    ("203.001", M2): [
        {
            "203.001.001": "粤房地证字第C1234567号",
            "203.001.002": "初始登记",
            "203.001.003": "李小",
            "203.001.009": "天河路1号",
            "203.001.010": "440106",
            "203.001.012": __import__("decimal").Decimal("88.50"),
            "203.001.020": dt.date(2005, 6, 1),
        }
    ],
}
CSV = f"""id_number,name,marital_status,members
{A1},张三,未婚,{M1}
{A2},李四,未婚,{M2}
{A3},王五,未婚,
{A4},钱七,未婚,
"""


async def test_applicants_get_eligibility_and_a_reason_per_claim_never_a_value(exchange_mesh: Mesh) -> None:
    issue(exchange_mesh, "department/CAB", "department/LAND")

    def stub_of(identity: str) -> Stubs:
        return Stubs(exchange_mesh.channel(identity))

    changed, created = await ensure_setup(stub_of)
    assert changed == ["202.002.008"] and len(created) == 4
    assert await ensure_setup(stub_of) == ([], [])  # applied once
    grants = await stub_of("admin/hub").authz.ListGrants(apb.ListGrantsRequest(consumer="HOUSING"))
    await exchange_knows(exchange_mesh, max(g.revision for g in grants.grants))
    responders = [
        asyncio.create_task(answer_inbox(exchange_mesh.exchange_stub(f"department/{code}"), HOLDINGS, ENUMS))
        for code in ("PSB", "CAB", "LAND")
    ]
    try:
        specs = shipped_claims()
        applicants = parse_applicants(CSV, specs)
        housing = exchange_mesh.exchange_stub("department/HOUSING")
        # The catalog change (a minor version of 202.002) reaches the exchange's copy within moments.
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            outcomes = {o.id_number: o for o in await verify(housing, applicants, specs, wait=20)}
            if outcomes[A1].reasons["income"] != "NOT_ALLOWED" or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.2)
        assert outcomes[A1].eligible, outcomes[A1]
        assert set(outcomes[A1].reasons.values()) == {"OK"}
        assert not outcomes[A2].eligible and outcomes[A2].reasons["no_housing"] == "NOT_MET"  # a member owns one
        assert not outcomes[A3].eligible and outcomes[A3].reasons["income"] == "NOT_MET"
        assert not outcomes[A4].eligible and outcomes[A4].reasons["identity"] == "NOT_MET"
        assert {k: v for k, v in outcomes[A4].reasons.items() if k != "identity"} == {
            "household_registered": "OK",
            "marital_status": "OK",
            "income": "OK",
            "no_housing": "OK",
            "no_vehicle": "OK",
        }
        # What the housing bureau receives carries verdicts only: no record, no value.
        answer = await housing.SendRequest(request_of(applicants, specs, "限价房"), timeout=30)
        # Times and ids are the hub's own numbers (a time in seconds may well contain "30000"): leave them out.
        for field in ("name", "create_time", "expire_time", "trace_id"):
            answer.request.ClearField(field)
        for reply in answer.request.replies:
            reply.ClearField("final_time")
        text = str(answer)
        assert all(not reply.records for reply in answer.request.replies)
        for value in ("30000", "50000", "粤房地证字", "天河路", "张小"):
            assert value not in text
    finally:
        for task in responders:
            task.cancel()
        await asyncio.gather(*responders, return_exceptions=True)


async def test_verify_and_taxtotal_give_up_after_their_wait_when_nobody_answers(
    exchange_mesh: Mesh, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a hub where no department's backend answers its inbox, `--wait` bounds how long the commands wait:
    every claim and every bureau comes back NO_ANSWER instead of the command hanging on."""
    issue(exchange_mesh, "department/CAB", "department/LAND")
    await ensure_setup(lambda identity: Stubs(exchange_mesh.channel(identity)))
    await ensure_grants(lambda identity: exchange_mesh.authz_stub(identity), load_grants(TAXTOTAL_GRANTS))
    grants = await exchange_mesh.authz_stub("admin/hub").ListGrants(apb.ListGrantsRequest(page_size=100))
    await exchange_knows(exchange_mesh, max(g.revision for g in grants.grants))
    monkeypatch.setenv("GOVMESH_DATA_DIR", str(exchange_mesh.settings.data_dir))
    config.settings.cache_clear()
    applicants, enterprises = tmp_path / "applicants.csv", tmp_path / "enterprises.txt"
    applicants.write_text(CSV, encoding="utf-8")
    enterprises.write_text(f"{make_credit_code('440106', 301)}\n", encoding="utf-8")
    runner, target = CliRunner(), ["--target", exchange_mesh.gateway_address, "--wait", "1", "--json"]
    try:
        # The CLI blocks; the servers run on this test's event loop, so the CLI gets a thread.
        verified = await asyncio.to_thread(runner.invoke, app, ["verify", "--file", str(applicants), *target])
        totals = await asyncio.to_thread(
            runner.invoke, app, ["taxtotal", "--file", str(enterprises), "--year", "2008", *target]
        )
    finally:
        config.settings.cache_clear()
    assert verified.exit_code == 0, verified.output
    outcomes = [json.loads(line) for line in verified.output.splitlines()]
    assert len(outcomes) == 4 and not any(o["eligible"] for o in outcomes)
    assert {reason for o in outcomes for reason in o["claims"].values()} == {"NO_ANSWER"}
    assert totals.exit_code == 0, totals.output
    line = json.loads(totals.output)
    assert line["partial"] and line["status"] == {"LTAX": "NO_ANSWER", "NTAX": "NO_ANSWER"}
