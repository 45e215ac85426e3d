"""Retention: records past their subject's retention and acknowledged by every subscription go; the ledger stays."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.field_mask_pb2 import FieldMask
from sqlalchemy import text

from govmesh.contracts.catalog.v1 import catalog_pb2 as cpb
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.runtime.config import Settings
from govmesh.runtime.database import make_engine
from govmesh.services.exchange import retention
from govmesh.services.exchange.persistence.records import RecordLog
from govmesh.services.exchange.persistence.store import Store
from govmesh.services.exchange.usecases import Exchange
from tests.integration.exchange_support import ENTERPRISES, LOCAL_TAX, enterprise, receive, subscribe, tax_total
from tests.integration.mesh import Mesh


@pytest.fixture
def mesh_settings(mesh_settings: Settings) -> Settings:
    return mesh_settings.model_copy(update={"exchange_retention_seconds": 0.2})


def _counts(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT subject, count(*) FROM exchange_records GROUP BY subject"))
            return {subject: int(count) for subject, count in rows}
    finally:
        engine.dispose()


async def _set_retention(mesh: Mesh, seconds: int) -> cpb.UpdateSubjectResponse:
    catalog = mesh.catalog_stub("maintainer/ops")
    reply = await catalog.UpdateSubject(
        cpb.UpdateSubjectRequest(
            subject=cpb.Subject(name=ENTERPRISES, retention=Duration(seconds=seconds)),
            update_mask=FieldMask(paths=["retention"]),
            reason="registrations are kept by the business bureau itself; the hub only carries them",
        )
    )
    app = mesh.exchange_app
    assert app is not None
    deadline = asyncio.get_running_loop().time() + 10
    while app.callers.catalog.subject_by_code["102.001"].retention != dt.timedelta(seconds=seconds):
        assert asyncio.get_running_loop().time() < deadline, "the exchange never saw the new retention"
        await asyncio.sleep(0.05)
    return reply


def _prune_now(app: Exchange, database_url: str) -> dict[str, int]:
    """One retention pass as the exchange's upkeep makes it, on the same database and catalog copy."""
    engine = make_engine(database_url)
    try:
        return retention.prune_expired(RecordLog(Store(engine)), app.callers.catalog.subjects, dt.datetime.now(dt.UTC))
    finally:
        engine.dispose()


async def test_records_go_once_past_retention_and_acknowledged_by_every_subscription_and_the_ledger_verifies(
    exchange_mesh: Mesh, database_url: str
) -> None:
    app = exchange_mesh.exchange_app
    assert app is not None
    changed = await _set_retention(exchange_mesh, 1)
    assert changed.subject.version == "1.1" and not changed.change.breaking
    assert changed.subject.retention.seconds == 1

    qts, ntax = exchange_mesh.exchange_stub("department/QTS"), exchange_mesh.exchange_stub("department/NTAX")
    await subscribe(qts, "qts-retention")
    await subscribe(ntax, "ntax-retention")
    await exchange_mesh.exchange_stub("department/AIC").Publish(
        pb.PublishRequest(records=[enterprise(n) for n in range(4)])
    )
    tax = tax_total(LOCAL_TAX, enterprise(0).entity_key, "1200.00")
    tax.idempotency_key = "ltax-2008-0"
    taxed = await exchange_mesh.exchange_stub("department/LTAX").Publish(pb.PublishRequest(records=[tax]))
    assert taxed.accepted_count == 1, taxed
    assert len(await receive(qts, "qts-retention", 4)) == 4
    held = await receive(ntax, "ntax-retention", 4, acknowledge=False)
    assert len(held) == 4
    await asyncio.sleep(1.2)  # past the one-second retention

    # NTAX has not acknowledged: everything stays, however old.
    assert await asyncio.to_thread(_prune_now, app, database_url) == {}
    assert _counts(database_url) == {"102.001": 4, "301.001": 1}

    await ntax.AcknowledgeDeliveries(
        pb.AcknowledgeDeliveriesRequest(
            subscription="subscriptions/ntax-retention", delivery_ids=[d.delivery_id for d in held]
        )
    )
    deadline = asyncio.get_running_loop().time() + 20
    while _counts(database_url).get("102.001"):  # the exchange's upkeep removes them
        assert asyncio.get_running_loop().time() < deadline, "retention never removed the acknowledged records"
        await asyncio.sleep(0.2)
    # A subject without retention keeps its records for good.
    assert _counts(database_url) == {"301.001": 1}

    await asyncio.to_thread(app.ledger.chain_ledger)
    auditor = exchange_mesh.exchange_stub("auditor/audit")
    verified = await auditor.VerifyLedger(pb.VerifyLedgerRequest())
    assert verified.ok, verified
    entries = (await auditor.ListLedgerEntries(pb.ListLedgerEntriesRequest(page_size=100))).entries
    publishes = [e for e in entries if e.kind == pb.LEDGER_ENTRY_KIND_PUBLISH and e.subject == ENTERPRISES]
    assert len(publishes) == 1 and publishes[0].record_count == 4 and len(publishes[0].payload_digest) == 64
