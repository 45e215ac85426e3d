"""What a department sees follows time and revocation, and nothing it sees gives away what it may not see."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from govmesh.contracts.authz.v1 import authz_pb2 as apb
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.kernel.catalog.standards import make_credit_code
from govmesh.runtime.config import Settings
from govmesh.services.exchange import convert
from govmesh.services.exchange.domain.records import payload_digest, record_digest
from tests.integration.authz_support import approved_grant, stamp
from tests.integration.exchange_support import (
    ENTERPRISES,
    LOCAL_TAX,
    NAME,
    PHONE,
    STATEMENTS,
    TIANHE,
    enterprise,
    exchange_knows,
    grant,
    read_inbox,
    receive,
    subscribe,
    tax_total,
)
from tests.integration.mesh import Mesh

LABOUR_CONTRACTS = "subjects/306.002"  # HRSS; every item CONDITIONAL or NOT_SHARED
ANNUAL_TOTAL = "301.001.005"


@pytest.fixture
def mesh_settings(mesh_settings: Settings) -> Settings:
    # authz marks ended grants EXPIRED only this rarely: what follows must not depend on that sweep.
    return mesh_settings.model_copy(update={"authz_expiry_sweep_seconds": 3600.0})


async def test_a_grant_stops_carrying_items_at_its_end_time_without_waiting_for_the_expiry_sweep(
    exchange_mesh: Mesh,
) -> None:
    end = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=12)
    application = apb.Grant(
        subject=ENTERPRISES,
        items=[PHONE],
        mode=apb.GRANT_MODE_POINT_TO_POINT,
        consumer_departments=["QTS"],
        purpose="质监 联系企业",
        legal_basis="穗府办〔2008〕1号",
        end_time=stamp(end),
    )
    approved = await approved_grant(exchange_mesh.authz_stub, application, "department/QTS")
    await exchange_knows(exchange_mesh, approved.revision)
    qts = exchange_mesh.exchange_stub("department/QTS")
    aic = exchange_mesh.exchange_stub("department/AIC")
    await subscribe(qts, "contacts", items=[NAME, PHONE])

    await aic.Publish(pb.PublishRequest(records=[enterprise(1)]))
    before = await receive(qts, "contacts", 1)
    assert [PHONE in d.record.values for d in before] == [True]

    while dt.datetime.now(dt.UTC) < end + dt.timedelta(milliseconds=200):
        await asyncio.sleep(0.1)
    await aic.Publish(pb.PublishRequest(records=[enterprise(2)]))
    after = await receive(qts, "contacts", 1)
    assert len(after) == 1
    assert NAME in after[0].record.values
    assert PHONE not in after[0].record.values


async def test_the_publish_entry_a_subscriber_reads_does_not_confirm_a_guess_of_a_not_shared_value(
    exchange_mesh: Mesh,
) -> None:
    qts = exchange_mesh.exchange_stub("department/QTS")
    await subscribe(qts, "establishments")
    published = enterprise(3)
    await exchange_mesh.exchange_stub("department/AIC").Publish(pb.PublishRequest(records=[published]))
    delivered = await receive(qts, "establishments", 1)
    assert delivered and STATEMENTS not in delivered[0].record.values

    entries = (await qts.ListLedgerEntries(pb.ListLedgerEntriesRequest(kinds=[pb.LEDGER_ENTRY_KIND_PUBLISH]))).entries
    assert [e.sender for e in entries] == ["AIC"]
    # Someone who knows every other value tries each candidate of the hidden one against the entry.
    guesses = []
    for candidate in (b"cash flow", b"balance sheet", b"income statement"):
        guess = pb.Record()
        guess.CopyFrom(published)
        guess.values[STATEMENTS].bytes_value = candidate
        (record,) = convert.records_from_proto([guess])
        guesses.append(payload_digest([record_digest(record)]))
    assert entries[0].payload_digest not in guesses


async def test_a_request_to_the_holders_of_an_entity_reveals_no_holding_the_directory_would_hide(
    exchange_mesh: Mesh,
) -> None:
    held, not_held = make_credit_code(TIANHE, 7), make_credit_code(TIANHE, 8)
    await exchange_mesh.exchange_stub("department/HRSS").RegisterHoldings(
        pb.RegisterHoldingsRequest(subject=LABOUR_CONTRACTS, entity_keys=[held])
    )
    psb = exchange_mesh.exchange_stub("department/PSB")
    located = await psb.LocateEntity(pb.LocateEntityRequest(entity_key=held))
    assert not located.holdings  # the police may request nothing of labour contracts

    async def targets(entity_key: str) -> list[tuple[str, int]]:
        request = pb.SendRequestRequest(
            subjects=[LABOUR_CONTRACTS],
            entity_keys=[entity_key],
            to_holders_of_entity=True,
            wait_mode=pb.WAIT_MODE_ASYNC,
        )
        sent = (await psb.SendRequest(request)).request
        return [(r.target, r.status) for r in sent.replies]

    assert await targets(held) == await targets(not_held) == []


async def test_replies_read_after_the_grant_behind_them_is_revoked_no_longer_carry_its_items(
    exchange_mesh: Mesh,
) -> None:
    key = make_credit_code(TIANHE, 9)
    granted = await grant(
        exchange_mesh,
        subject=LOCAL_TAX,
        items=[ANNUAL_TOTAL],
        consumers=["PSB"],
        row_scope=apb.RowScope(requested_entities_only=True),
    )
    psb = exchange_mesh.exchange_stub("department/PSB")
    ltax = exchange_mesh.exchange_stub("department/LTAX")
    sent = (
        await psb.SendRequest(
            pb.SendRequestRequest(
                subjects=[LOCAL_TAX], entity_keys=[key], to_subject_providers=True, wait_mode=pb.WAIT_MODE_ASYNC
            )
        )
    ).request
    inbox, incoming = await read_inbox(ltax)
    try:
        await ltax.Reply(pb.ReplyRequest(request=incoming[0].request, records=[tax_total(LOCAL_TAX, key, "1200.50")]))
    finally:
        inbox.cancel()
    answered = (await psb.GetRequest(pb.GetRequestRequest(name=sent.name))).request
    assert [ANNUAL_TOTAL in r.values for reply in answered.replies for r in reply.records] == [True]

    revoked = (
        await exchange_mesh.authz_stub("department/LTAX").RevokeGrant(
            apb.RevokeGrantRequest(name=granted.name, reason="inquiry closed")
        )
    ).grant
    await exchange_knows(exchange_mesh, revoked.revision)
    later = (await psb.GetRequest(pb.GetRequestRequest(name=sent.name))).request
    assert all(ANNUAL_TOTAL not in r.values for reply in later.replies for r in reply.records)
    listed = await psb.ListReplies(pb.ListRepliesRequest(parent=sent.name))
    assert all(ANNUAL_TOTAL not in r.values for reply in listed.replies for r in reply.records)
    watched: list[pb.Reply] = []
    async with asyncio.timeout(10):
        async for message in psb.WatchReplies(pb.WatchRepliesRequest(name=sent.name)):
            watched += message.replies
            if message.complete:
                break
    assert watched and all(ANNUAL_TOTAL not in r.values for reply in watched for r in reply.records)
