"""Two exchange replicas behind the gateway on one PostgreSQL share subscriptions, inboxes and the ledger."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.runtime.certs import CertificateAuthority
from govmesh.runtime.config import Settings
from govmesh.runtime.identity import Principal
from govmesh.services.authz import main as authz_main
from govmesh.services.catalog import main as catalog_main
from govmesh.services.exchange import main as exchange_main
from govmesh.services.gateway import main as gateway_main
from tests.integration.conftest import _postgres_database
from tests.integration.exchange_support import LOCAL_TAX, enterprise, receive, subscribe, tax_total
from tests.integration.mesh import Mesh


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    # Replicas share state only through PostgreSQL (locks, LISTEN/NOTIFY); SQLite is one process's.
    yield from _postgres_database()


@pytest.fixture
async def replicas(mesh_settings: Settings, postgresql_url: str) -> AsyncIterator[Mesh]:
    """Catalog, authz, two exchanges and the gateway balancing calls over both exchanges."""
    authority = CertificateAuthority(mesh_settings.certs_dir)
    for code in ("QTS", "PSB"):
        authority.issue_client(Principal("department", code))
    catalog = await catalog_main.build(mesh_settings, postgresql_url)
    catalog_address = f"127.0.0.1:{await catalog.start('127.0.0.1:0')}"
    authz = await authz_main.build(
        mesh_settings.model_copy(update={"catalog_targets": catalog_address}), postgresql_url
    )
    authz_address = f"127.0.0.1:{await authz.start('127.0.0.1:0')}"
    exchange_settings = mesh_settings.model_copy(
        update={"catalog_targets": catalog_address, "authz_targets": authz_address}
    )
    first = await exchange_main.assemble(exchange_settings, postgresql_url)
    second = await exchange_main.assemble(exchange_settings, postgresql_url)
    addresses = [f"127.0.0.1:{await replica.server.start('127.0.0.1:0')}" for replica in (first, second)]
    gateway = await gateway_main.build(
        mesh_settings, {"catalog": [catalog_address], "authz": [authz_address], "exchange": addresses}
    )
    gateway_address = f"127.0.0.1:{await gateway.start('127.0.0.1:0')}"
    running = Mesh(mesh_settings, catalog, gateway, catalog_address, gateway_address, [], authz, authz_address)
    try:
        yield running
    finally:
        for channel in running.channels:
            await channel.close()
        await gateway.stop(0.5)
        for replica in (first, second):
            await replica.server.stop(0.5)
        await authz.stop(0.5)
        await catalog.stop(0.5)


async def test_records_published_through_either_replica_reach_a_stream_on_either(replicas: Mesh) -> None:
    qts = replicas.exchange_stub("department/QTS")
    await subscribe(qts, "qts-replicas")
    aic = replicas.exchange_stub("department/AIC")
    receiving = asyncio.ensure_future(receive(qts, "qts-replicas", 300, timeout=30))
    for start in range(0, 300, 50):
        published = await aic.Publish(pb.PublishRequest(records=[enterprise(n) for n in range(start, start + 50)]))
        assert published.accepted_count == 50
    delivered = await receiving
    assert sorted(d.record.idempotency_key for d in delivered) == sorted(f"aic-{n}" for n in range(300))
    lag = (await qts.GetSubscription(pb.GetSubscriptionRequest(name="subscriptions/qts-replicas"))).subscription.lag
    assert (lag.pending_count, lag.in_flight_count, lag.acknowledged_count) == (0, 0, 300)
    verified = await replicas.exchange_stub("auditor/audit").VerifyLedger(pb.VerifyLedgerRequest())
    assert verified.ok and verified.entries_checked >= 7


async def test_requests_on_either_replica_reach_an_inbox_on_one_and_their_replies_come_back(replicas: Mesh) -> None:
    ltax = replicas.exchange_stub("department/LTAX")
    psb = replicas.exchange_stub("department/PSB")
    keys = [enterprise(n).entity_key for n in range(2)]

    async def answer_both() -> None:
        inbox = ltax.StreamInbox(pb.StreamInboxRequest())
        answered = 0
        try:
            async for message in inbox:
                for incoming in message.requests:
                    record = tax_total(LOCAL_TAX, incoming.entity_keys[0], "12.5")
                    await ltax.Reply(pb.ReplyRequest(request=incoming.request, records=[record]))
                    answered += 1
                if answered == len(keys):
                    return
        finally:
            inbox.cancel()

    answering = asyncio.ensure_future(answer_both())
    await asyncio.sleep(0.5)

    async def ask(key: str) -> pb.DataRequest:
        request = pb.SendRequestRequest(
            subjects=[LOCAL_TAX], items=["301.001.004"], entity_keys=[key], target_departments=["LTAX"]
        )
        return (await psb.SendRequest(request, timeout=10)).request

    # The gateway alternates replicas, so one waiter sits on the replica without the inbox: NOTIFY
    # carries the request to the inbox's replica and the reply back to the waiter's.
    sent = [await ask(key) for key in keys]
    await asyncio.wait_for(answering, 10)
    for request in sent:
        assert request.complete, request
        assert [len(r.records) for r in request.replies] == [1]
