"""The SRE's runbook steps on a live mesh: from a ledger entry to the trace of its call; dead letters replayed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from typer.testing import CliRunner, Result

from govmesh.cli.app import app
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.runtime import config
from govmesh.runtime.telemetry import JsonLinesSpanExporter
from tests.integration.exchange_support import enterprise, receive, subscribe
from tests.integration.mesh import Mesh


@pytest.fixture
def govmesh(exchange_mesh: Mesh, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GOVMESH_DATA_DIR", str(exchange_mesh.settings.data_dir))
    monkeypatch.setenv("COLUMNS", "250")
    config.settings.cache_clear()
    runner = CliRunner()

    async def invoke(*args: str, target: bool = True) -> Result:
        where = ["--target", exchange_mesh.gateway_address] if target else []
        return await asyncio.to_thread(runner.invoke, app, [*args, *where])

    yield invoke
    config.settings.cache_clear()


async def test_a_ledger_entry_leads_to_the_trace_of_the_call_that_made_it(  # type: ignore[no-untyped-def]
    exchange_mesh: Mesh, govmesh, span_exporter: InMemorySpanExporter, tmp_path: Path
) -> None:
    await exchange_mesh.exchange_stub("department/AIC").Publish(pb.PublishRequest(records=[enterprise(7)]))
    assert exchange_mesh.exchange_app is not None
    await asyncio.to_thread(exchange_mesh.exchange_app.ledger.chain_ledger)

    listed = await govmesh("ledger", "entries", "--department", "AIC", "--json")
    assert listed.exit_code == 0, listed.output
    [entry] = json.loads(listed.stdout)
    assert (entry["kind"], entry["sender"], entry["record_count"]) == ("PUBLISH", "AIC", 1)
    by_trace = await govmesh("ledger", "entries", "--trace", entry["trace_id"], "--json")
    assert [found["sequence"] for found in json.loads(by_trace.stdout)] == [entry["sequence"]]

    # Every process writes its spans to the span file under `govmesh up`; here the test's exporter holds them.
    spans = tmp_path / "spans.jsonl"
    JsonLinesSpanExporter(spans).export(span_exporter.get_finished_spans())
    tree = await govmesh("trace", entry["trace_id"], "--file", str(spans), target=False)
    assert tree.exit_code == 0, tree.output
    assert f"trace {entry['trace_id']}" in tree.output
    assert "/exchange.v1.ExchangeService/Publish" in tree.output


async def test_dead_letters_are_listed_and_replayed_with_the_runbook_commands(  # type: ignore[no-untyped-def]
    exchange_mesh: Mesh, govmesh
) -> None:
    qts = exchange_mesh.exchange_stub("department/QTS")
    await subscribe(qts, "qts-runbook")
    await exchange_mesh.exchange_stub("department/AIC").Publish(pb.PublishRequest(records=[enterprise(8)]))
    [poison] = await receive(qts, "qts-runbook", 1, acknowledge=False)
    await qts.AcknowledgeDeliveries(
        pb.AcknowledgeDeliveriesRequest(
            subscription="subscriptions/qts-runbook",
            nacks=[pb.Nack(delivery_id=poison.delivery_id, reason="cannot parse", dead_letter=True)],
        )
    )
    listed = await govmesh("dead-letters", "list", "qts-runbook", "--as", "department/QTS", "--json")
    assert listed.exit_code == 0, listed.output
    [letter] = json.loads(listed.stdout)
    assert (letter["record_id"], letter["reason"]) == (poison.record.record_id, "REJECTED")

    refused = await govmesh("dead-letters", "replay", "qts-runbook", "--as", "department/QTS")
    assert refused.exit_code == 2 and "--all" in refused.output
    replayed = await govmesh("dead-letters", "replay", "qts-runbook", "--all", "--as", "department/QTS", "--json")
    assert replayed.exit_code == 0, replayed.output
    assert json.loads(replayed.stdout)["replayed_count"] == 1
    [again] = await receive(qts, "qts-runbook", 1)
    assert again.record.record_id == poison.record.record_id
    empty = await govmesh("dead-letters", "list", "qts-runbook", "--as", "department/QTS", "--json")
    assert json.loads(empty.stdout) == []
