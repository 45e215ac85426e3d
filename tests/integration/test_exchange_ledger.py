"""The ledger: every exchange in a hash chain that `govmesh ledger verify` checks, and statistics from it."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from govmesh.cli.app import app
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.runtime import config
from tests.integration.exchange_support import enterprise, receive, subscribe
from tests.integration.mesh import Mesh


@pytest.fixture
def cli(exchange_mesh: Mesh, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GOVMESH_DATA_DIR", str(exchange_mesh.settings.data_dir))
    config.settings.cache_clear()
    runner = CliRunner()

    async def invoke(*args: str) -> Result:
        # The CLI blocks; the servers run on this test's event loop, so the CLI gets a thread.
        return await asyncio.to_thread(runner.invoke, app, [*args, "--target", exchange_mesh.gateway_address])

    yield invoke
    config.settings.cache_clear()


async def _exchange_some_records(mesh: Mesh) -> None:
    qts = mesh.exchange_stub("department/QTS")
    await subscribe(qts, "qts-ledger")
    await mesh.exchange_stub("department/AIC").Publish(pb.PublishRequest(records=[enterprise(n) for n in range(5)]))
    await receive(qts, "qts-ledger", 5)


async def test_every_publish_delivery_and_acknowledgement_is_in_the_chain(exchange_mesh: Mesh) -> None:
    await _exchange_some_records(exchange_mesh)
    auditor = exchange_mesh.exchange_stub("auditor/audit")
    entries = (await auditor.ListLedgerEntries(pb.ListLedgerEntriesRequest())).entries
    kinds = [pb.LedgerEntryKind.Name(e.kind).removeprefix("LEDGER_ENTRY_KIND_") for e in entries]
    assert kinds == ["PUBLISH", "DELIVERY", "ACKNOWLEDGEMENT"]
    publish, delivery, ack = entries
    assert (publish.sender, list(publish.receivers), publish.record_count) == ("AIC", ["QTS"], 5)
    assert (delivery.sender, list(delivery.receivers), delivery.subject) == ("AIC", ["QTS"], "subjects/102.001")
    assert ack.sender == "QTS" and ack.record_count == 5
    assert [e.sequence for e in entries] == [1, 2, 3]
    assert entries[0].previous_hash == "0" * 64
    assert all(later.previous_hash == earlier.entry_hash for earlier, later in itertools.pairwise(entries))
    assert all(len(e.payload_digest) == 64 and e.trace_id for e in entries)

    # A department reads only what it sent or received.
    seen_by_ltax = await exchange_mesh.exchange_stub("department/LTAX").ListLedgerEntries(pb.ListLedgerEntriesRequest())
    assert list(seen_by_ltax.entries) == []
    verified = await auditor.VerifyLedger(pb.VerifyLedgerRequest())
    assert (verified.ok, verified.entries_checked, verified.last_hash) == (True, 3, ack.entry_hash)


async def test_ledger_verify_after_a_manual_update_of_one_row_fails_and_names_it(  # type: ignore[no-untyped-def]
    exchange_mesh: Mesh, database_url: str, cli
) -> None:
    await _exchange_some_records(exchange_mesh)
    good = await cli("ledger", "verify")
    assert good.exit_code == 0, good.output
    assert "ledger verified" in good.output and "3 entries" in good.output

    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE exchange_ledger SET record_count = 4 WHERE sequence = 2"))
    finally:
        engine.dispose()
    bad = await cli("ledger", "verify")
    assert bad.exit_code == 1, bad.output
    assert "ledger broken at entry 2" in bad.output and "ENTRY_MODIFIED" in bad.output
    as_json = json.loads((await cli("ledger", "verify", "--json")).stdout)
    assert (as_json["ok"], as_json["first_bad_sequence"], as_json["problem"]) == (False, 2, "ENTRY_MODIFIED")


async def test_a_deleted_entry_breaks_the_chain_at_the_entry_after_it(exchange_mesh: Mesh, database_url: str) -> None:
    await _exchange_some_records(exchange_mesh)
    auditor = exchange_mesh.exchange_stub("auditor/audit")
    assert (await auditor.VerifyLedger(pb.VerifyLedgerRequest())).entries_checked == 3
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM exchange_ledger WHERE sequence = 2"))
    finally:
        engine.dispose()
    verified = await auditor.VerifyLedger(pb.VerifyLedgerRequest())
    assert (verified.ok, verified.first_bad_sequence, verified.problem) == (False, 3, pb.LEDGER_PROBLEM_SEQUENCE_GAP)


async def test_ledger_stats_count_what_was_exchanged_by_department_subject_and_day(  # type: ignore[no-untyped-def]
    exchange_mesh: Mesh, cli
) -> None:
    await _exchange_some_records(exchange_mesh)
    result = await cli("ledger", "stats", "--by", "department", "--by", "subject", "--json")
    assert result.exit_code == 0, result.output
    rows = {(r["department"], r["subject"]): r for r in json.loads(result.stdout)["rows"]}
    assert rows[("AIC", "subjects/102.001")]["published_records"] == 5
    assert rows[("QTS", "subjects/102.001")]["delivered_records"] == 5
    assert rows[("QTS", "subjects/102.001")]["acknowledged_records"] == 5
    assert json.loads(result.stdout)["total"]["exchanged_records"] == 5

    by_day = await exchange_mesh.exchange_stub("auditor/audit").GetLedgerStats(
        pb.GetLedgerStatsRequest(group_by=[pb.LEDGER_STATS_DIMENSION_DAY])
    )
    assert len(by_day.rows) == 1 and len(by_day.rows[0].day) == 10
    # A department sees its own counts only.
    own = await exchange_mesh.exchange_stub("department/QTS").GetLedgerStats(pb.GetLedgerStatsRequest())
    assert (own.total.published_records, own.total.delivered_records) == (0, 5)
    table = await cli("ledger", "stats", "--by", "department")
    assert table.exit_code == 0 and "QTS" in table.output
