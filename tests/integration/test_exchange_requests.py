"""Point-to-point and scatter-gather requests: the police ask both tax bureaus for annual tax totals."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration

from govmesh.contracts.authz.v1 import authz_pb2 as apb
from govmesh.contracts.catalog.v1 import catalog_pb2
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.contracts.exchange.v1 import exchange_pb2_grpc
from govmesh.kernel.catalog.standards import make_credit_code
from tests.integration.exchange_support import (
    ENTERPRISES,
    LOCAL_TAX,
    NAME,
    NATIONAL_TAX,
    TIANHE,
    enterprise,
    grant,
    read_inbox,
    tax_total,
)
from tests.integration.helpers import reason_of
from tests.integration.mesh import Mesh

ENTERPRISE_KEYS = [make_credit_code(TIANHE, n) for n in range(3)]
TOTALS = {"301.001": ["1200.50", "88000", "0"], "301.002": ["3400.00", "120000.10", "15"]}


async def _tax_bureaus_grant_the_police(mesh: Mesh) -> None:
    # 赴港澳商务通行证: the police may have each enterprise's annual tax total, for lookups by key.
    scope = apb.RowScope(requested_entities_only=True)
    await grant(mesh, subject=LOCAL_TAX, items=["301.001.005"], consumers=["PSB"], row_scope=scope)
    await grant(mesh, subject=NATIONAL_TAX, items=["301.002.005"], consumers=["PSB"], row_scope=scope)


def _ask(wait: int = pb.WAIT_MODE_WAIT, **fields: object) -> pb.SendRequestRequest:
    request = pb.SendRequestRequest(
        subjects=[LOCAL_TAX, NATIONAL_TAX],
        entity_keys=ENTERPRISE_KEYS,
        question="annual tax total 2008 for the Hong Kong and Macao business permit",
        parameters={"year": "2008"},
        purpose="permit application 2009-0417",
        to_subject_providers=True,
        wait_mode=wait,  # type: ignore[arg-type]
        max_wait=Duration(seconds=15),
    )
    request.MergeFrom(pb.SendRequestRequest(**fields))  # type: ignore[arg-type]
    return request


async def _answer(stub: exchange_pb2_grpc.ExchangeServiceStub, incoming: pb.IncomingRequest) -> pb.ReplyResponse:
    subject = incoming.subjects[0]
    totals = TOTALS[subject.removeprefix("subjects/")]
    records = [tax_total(subject, key, total) for key, total in zip(incoming.entity_keys, totals, strict=True)]
    return await stub.Reply(pb.ReplyRequest(request=incoming.request, records=records, idempotency_key="chunk-1"))


async def test_scatter_gather_with_one_target_offline_returns_a_partial_result_then_the_late_reply(
    exchange_mesh: Mesh,
) -> None:
    await _tax_bureaus_grant_the_police(exchange_mesh)
    psb = exchange_mesh.exchange_stub("department/PSB")
    ltax = exchange_mesh.exchange_stub("department/LTAX")
    ntax = exchange_mesh.exchange_stub("department/NTAX")

    async def local_tax_answers() -> pb.ReplyResponse:
        inbox, incoming = await read_inbox(ltax)
        try:
            assert [r.subjects for r in incoming] == [[LOCAL_TAX]]
            assert "301.001.005" in incoming[0].items and "301.001.006" not in incoming[0].items
            assert incoming[0].parameters["year"] == "2008" and incoming[0].attempt == 1
            return await _answer(ltax, incoming[0])
        finally:
            inbox.cancel()

    # Local tax is online and answers; national tax is offline, so the wait ends without it.
    answering = asyncio.ensure_future(local_tax_answers())
    await asyncio.sleep(0.5)
    sent = (await psb.SendRequest(_ask(), timeout=30)).request
    replied = await answering
    assert (replied.accepted_count, replied.withheld_count) == (3, 3)  # the not-shared breakdown is withheld

    statuses = {r.target: r.status for r in sent.replies}
    assert statuses == {"LTAX": pb.REPLY_STATUS_ANSWERED, "NTAX": pb.REPLY_STATUS_PENDING}
    assert not sent.complete
    local = next(r for r in sent.replies if r.target == "LTAX")
    assert local.record_count == 3
    assert sorted(r.values["301.001.005"].decimal_value for r in local.records) == sorted(TOTALS["301.001"])
    assert all("301.001.006" not in r.values for r in local.records)

    # National tax comes online later: the request is waiting in its inbox, and its answer joins.
    inbox, incoming = await read_inbox(ntax)
    try:
        assert incoming[0].request == sent.name
        await _answer(ntax, incoming[0])
    finally:
        inbox.cancel()
    later = (await psb.GetRequest(pb.GetRequestRequest(name=sent.name))).request
    assert later.complete
    assert {r.target: r.status for r in later.replies} == {
        "LTAX": pb.REPLY_STATUS_ANSWERED,
        "NTAX": pb.REPLY_STATUS_ANSWERED,
    }
    national = next(r for r in later.replies if r.target == "NTAX")
    assert sorted(r.values["301.002.005"].decimal_value for r in national.records) == sorted(TOTALS["301.002"])
    pages = await psb.ListReplies(pb.ListRepliesRequest(parent=sent.name))
    assert [(r.target, r.sequence, r.final) for r in pages.replies] == [("LTAX", 1, True), ("NTAX", 2, True)]


async def test_an_asynchronous_request_returns_at_once_and_its_replies_stream_in_as_they_come(
    exchange_mesh: Mesh,
) -> None:
    await _tax_bureaus_grant_the_police(exchange_mesh)
    psb = exchange_mesh.exchange_stub("department/PSB")
    sent = (await psb.SendRequest(_ask(pb.WAIT_MODE_ASYNC))).request
    assert {r.status for r in sent.replies} == {pb.REPLY_STATUS_PENDING}
    watch = psb.WatchReplies(pb.WatchRepliesRequest(name=sent.name))
    for code in ("LTAX", "NTAX"):
        stub = exchange_mesh.exchange_stub(f"department/{code}")
        inbox, incoming = await read_inbox(stub)
        await _answer(stub, incoming[0])
        inbox.cancel()
    chunks: list[pb.Reply] = []
    async with asyncio.timeout(10):
        async for message in watch:
            chunks += message.replies
            if message.complete:
                break
    assert sorted(c.target for c in chunks) == ["LTAX", "NTAX"]
    assert sum(len(c.records) for c in chunks) == 6
    listed = await psb.ListRequests(pb.ListRequestsRequest())
    assert [r.name for r in listed.requests] == [sent.name]
    assert listed.requests[0].complete


async def test_a_target_the_requester_may_receive_nothing_from_is_denied_and_never_asked(exchange_mesh: Mesh) -> None:
    psb = exchange_mesh.exchange_stub("department/PSB")
    # No grant yet: the annual tax total alone is CONDITIONAL, so neither bureau may be asked for it.
    sent = (await psb.SendRequest(_ask(pb.WAIT_MODE_ASYNC, items=["301.001.005", "301.002.005"]))).request
    assert sent.complete
    for reply in sent.replies:
        assert reply.status == pb.REPLY_STATUS_DENIED
        assert reply.denial_reason == apb.REASON_CODE_NO_GRANT
    inbox = exchange_mesh.exchange_stub("department/LTAX").StreamInbox(pb.StreamInboxRequest())
    try:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1.5):
                while True:
                    assert not (await inbox.read()).requests
    finally:
        inbox.cancel()


async def test_a_verification_passes_on_verdicts_and_never_the_values(exchange_mesh: Mesh) -> None:
    aic = exchange_mesh.exchange_stub("department/AIC")
    await aic.Publish(pb.PublishRequest(records=[enterprise(n, name=f"广州市某某公司{n}") for n in range(2)]))
    housing = exchange_mesh.exchange_stub("department/HOUSING")
    claims = [
        pb.Claim(entity_key=make_credit_code(TIANHE, 0), values={NAME: _text("广州市某某公司0")}),
        pb.Claim(entity_key=make_credit_code(TIANHE, 1), values={NAME: _text("广州某某公司1")}),
    ]
    sent = (
        await housing.SendRequest(
            pb.SendRequestRequest(
                kind=pb.REQUEST_KIND_VERIFY,
                subjects=[ENTERPRISES],
                claims=claims,
                to_subject_providers=True,
                wait_mode=pb.WAIT_MODE_ASYNC,
            )
        )
    ).request
    inbox, incoming = await read_inbox(aic)
    try:
        assert list(incoming[0].entity_keys) == [c.entity_key for c in claims]
        records = [enterprise(n, name=f"广州市某某公司{n}") for n in range(2)]
        await aic.Reply(pb.ReplyRequest(request=incoming[0].request, records=records))
    finally:
        inbox.cancel()
    answered = next(r for r in (await housing.GetRequest(pb.GetRequestRequest(name=sent.name))).request.replies)
    assert list(answered.records) == []
    verdicts = {v.entity_key: v.verdict for v in answered.verifications}
    assert verdicts == {claims[0].entity_key: pb.VERDICT_MATCH, claims[1].entity_key: pb.VERDICT_MISMATCH}


async def test_replies_are_refused_from_departments_not_asked_and_after_the_final_one(exchange_mesh: Mesh) -> None:
    await _tax_bureaus_grant_the_police(exchange_mesh)
    psb = exchange_mesh.exchange_stub("department/PSB")
    ltax = exchange_mesh.exchange_stub("department/LTAX")
    sent = (await psb.SendRequest(_ask(pb.WAIT_MODE_ASYNC))).request
    with pytest.raises(grpc.aio.AioRpcError) as stranger:
        await exchange_mesh.exchange_stub("department/QTS").Reply(pb.ReplyRequest(request=sent.name, failed=True))
    assert stranger.value.code() == grpc.StatusCode.PERMISSION_DENIED

    bad = tax_total(LOCAL_TAX, ENTERPRISE_KEYS[0], "not a number")
    answer = await ltax.Reply(pb.ReplyRequest(request=sent.name, records=[bad], partial=True))
    assert answer.accepted_count == 0
    assert [(v.item_code, v.reason) for v in answer.rejected[0].violations] == [("301.001.005", "TYPE")]
    await ltax.Reply(pb.ReplyRequest(request=sent.name, failed=True, message="tax system maintenance"))
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await ltax.Reply(pb.ReplyRequest(request=sent.name, not_found_entity_keys=ENTERPRISE_KEYS))
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(again.value) == "ALREADY_ANSWERED"
    status = {r.target: r for r in (await psb.GetRequest(pb.GetRequestRequest(name=sent.name))).request.replies}
    assert status["LTAX"].status == pb.REPLY_STATUS_FAILED
    assert status["LTAX"].message == "tax system maintenance"


def _text(value: str) -> catalog_pb2.FieldValue:
    return catalog_pb2.FieldValue(string_value=value)
