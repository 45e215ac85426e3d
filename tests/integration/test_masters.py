"""Master records end to end: departments publish, the masters service links, subscribers of 102.090 receive."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc
import pytest

from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.contracts.masters.v1 import masters_pb2 as mpb
from govmesh.kernel.catalog.standards import make_citizen_id, make_credit_code
from tests.integration.exchange_support import STATEMENTS, enterprise, subscribe
from tests.integration.mesh import Mesh

pytestmark = pytest.mark.timeout(180)

MASTERS = "subjects/102.090"
MASTER_ID, MASTER_CODE, MASTER_NAME, MASTER_SOURCES = "102.090.001", "102.090.002", "102.090.005", "102.090.018"
REPRESENTATIVE_ID = "102.090.009"
ORGANISATIONS = "subjects/102.010"
T = TypeVar("T")


def organisation(credit_code: str, name: str, *, with_credit_code: bool, key: str) -> pb.Record:
    """QTS's organisation-code record of an enterprise (102.010), its own way of writing the name."""
    body = credit_code[8:17]
    record = pb.Record(subject=ORGANISATIONS, entity_key=f"{body[:8]}-{body[8]}", division_code="440106")
    record.idempotency_key = key
    record.event_time.FromDatetime(dt.datetime(2009, 3, 5, 10, 0, tzinfo=dt.UTC))
    values = record.values
    values["102.010.001"].string_value = f"{body[:8]}-{body[8]}"
    if with_credit_code:
        values["102.010.002"].string_value = credit_code
    values["102.010.003"].string_value = name
    values["102.010.004"].enum_value = "企业法人"
    values["102.010.005"].string_value = "李建国"
    values["102.010.007"].string_value = "广州市天河区体育西路101号"
    values["102.010.008"].string_value = "440106"
    values["102.010.013"].date_value = "2009-03-02"
    values["102.010.016"].date_value = "2009-03-05"
    values["102.010.022"].enum_value = "有效"
    return record


def registration(n: int, name: str) -> pb.Record:
    """AIC's registration of the same enterprise (102.001), with a NOT_SHARED and a CONDITIONAL item."""
    record = enterprise(n, name=name)
    record.values["102.001.005"].string_value = "李建国"
    record.values["102.001.011"].string_value = "广州市天河区体育西路101号"
    return record


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout: float = 60.0) -> T:
    """Polls until `probe` returns something, on a loaded machine too."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await probe()
        if found is not None:
            return found
        assert asyncio.get_running_loop().time() < deadline, "not within the deadline"
        await asyncio.sleep(0.2)


async def masters_received(mesh: Mesh, subscriber: str, subscription_id: str, until: Callable[[list[pb.Record]], bool]):
    """Reads the subscriber's 102.090 deliveries until `until` holds for all received so far."""
    stub = mesh.exchange_stub(f"department/{subscriber}")
    received: list[pb.Record] = []
    deadline = asyncio.get_running_loop().time() + 60.0
    call = stub.Subscribe(pb.SubscribeRequest(subscription=f"subscriptions/{subscription_id}"))
    try:
        async with asyncio.timeout(60.0):
            async for response in call:
                received += [delivery.record for delivery in response.deliveries]
                if response.deliveries:
                    await stub.AcknowledgeDeliveries(
                        pb.AcknowledgeDeliveriesRequest(
                            subscription=f"subscriptions/{subscription_id}",
                            delivery_ids=[d.delivery_id for d in response.deliveries],
                        )
                    )
                if until(received) or asyncio.get_running_loop().time() > deadline:
                    break
    finally:
        call.cancel()
    return received


def _sources(record: pb.Record) -> set[str]:
    item = MASTER_SOURCES if record.subject == MASTERS else "101.090.019"
    return set(record.values[item].string_value.split(";"))


async def test_two_name_variants_become_one_master_record_that_subscribers_receive(masters_mesh: Mesh) -> None:
    await subscribe(masters_mesh.exchange_stub("department/LTAX"), "ltax-masters", MASTERS)
    code = make_credit_code("440106", 501)
    aic = await masters_mesh.exchange_stub("department/AIC").Publish(
        pb.PublishRequest(records=[registration(501, "广州市恒达贸易有限公司")])
    )
    qts = await masters_mesh.exchange_stub("department/QTS").Publish(
        pb.PublishRequest(records=[organisation(code, "广州恒达贸易有限公司", with_credit_code=False, key="qts-501")])
    )
    assert [r.status for r in (*aic.results, *qts.results)] == [pb.RECORD_STATUS_ACCEPTED] * 2, qts

    received = await masters_received(
        masters_mesh, "LTAX", "ltax-masters", lambda got: any(_sources(r) == {"AIC", "QTS"} for r in got)
    )

    assert any(_sources(r) == {"AIC", "QTS"} for r in received), "no master record linking AIC's and QTS's"
    assert {r.values[MASTER_ID].string_value for r in received} == {received[0].values[MASTER_ID].string_value}
    assert {r.values[MASTER_CODE].string_value for r in received} == {code}
    masters = masters_mesh.masters_stub("department/LTAX")
    found = await masters.LookupMasterRecords(mpb.LookupMasterRecordsRequest(query="广州恒达贸易有限公司"))
    assert len(found.master_records) == 1
    assert set(found.master_records[0].name_variants) == {"广州市恒达贸易有限公司", "广州恒达贸易有限公司"}
    by_key = await masters.LookupMasterRecords(mpb.LookupMasterRecordsRequest(department="AIC", key=code))
    assert [m.name for m in by_key.master_records] == [found.master_records[0].name]


async def test_a_conflicting_credit_code_is_never_merged(masters_mesh: Mesh) -> None:
    await subscribe(masters_mesh.exchange_stub("department/LTAX"), "ltax-masters", MASTERS)
    code, other = make_credit_code("440106", 502), make_credit_code("440106", 503)
    await masters_mesh.exchange_stub("department/AIC").Publish(
        pb.PublishRequest(records=[registration(502, "广州市恒达贸易有限公司")])
    )
    await masters_mesh.exchange_stub("department/QTS").Publish(
        pb.PublishRequest(records=[organisation(other, "广州恒达贸易有限公司", with_credit_code=True, key="qts-503")])
    )

    received = await masters_received(
        masters_mesh,
        "LTAX",
        "ltax-masters",
        lambda got: {r.values[MASTER_CODE].string_value for r in got} >= {code, other},
    )

    by_code = {r.values[MASTER_CODE].string_value: r for r in received}
    assert set(by_code) == {code, other}
    assert by_code[code].values[MASTER_ID].string_value != by_code[other].values[MASTER_ID].string_value
    assert _sources(by_code[code]) == {"AIC"} and _sources(by_code[other]) == {"QTS"}
    admin = masters_mesh.masters_stub("admin/hub")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await admin.MergeMasterRecords(
            mpb.MergeMasterRecordsRequest(
                name=f"masters/{by_code[code].values[MASTER_ID].string_value}",
                absorbed=f"masters/{by_code[other].values[MASTER_ID].string_value}",
                reason="same name",
            )
        )
    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "valid identifiers differ" in (refused.value.details() or "")


async def test_a_not_shared_item_never_appears_in_what_a_department_without_a_grant_sees(masters_mesh: Mesh) -> None:
    await subscribe(masters_mesh.exchange_stub("department/LTAX"), "ltax-masters", MASTERS)
    record = registration(504, "广州市恒达贸易有限公司")
    secret, representative = record.values[STATEMENTS].bytes_value, record.values["102.001.006"].string_value
    await masters_mesh.exchange_stub("department/AIC").Publish(pb.PublishRequest(records=[record]))

    received = await masters_received(masters_mesh, "LTAX", "ltax-masters", lambda got: bool(got))

    for master in received:
        assert REPRESENTATIVE_ID not in master.values
        shown = master.SerializeToString()
        assert secret not in shown and representative.encode() not in shown
    masters = masters_mesh.masters_stub("department/LTAX")
    name = f"masters/{received[0].values[MASTER_ID].string_value}"
    lifecycle = await masters.GetLifecycle(mpb.GetLifecycleRequest(name=name))
    view = await masters.GetMasterRecord(mpb.GetMasterRecordRequest(name=name))
    for message in (lifecycle, view):
        shown = message.SerializeToString()
        assert secret not in shown and representative.encode() not in shown
    assert [event.department for event in lifecycle.events] == ["AIC"]
    assert "102.001.003" in lifecycle.events[0].values


def person(subject: str, citizen_id: str, name: str, key: str) -> pb.Record:
    """The police's household registration (101.001) or civil affairs' death record (101.002) of a person."""
    code = subject.removeprefix("subjects/")
    record = pb.Record(subject=subject, entity_key=citizen_id, division_code="440104", idempotency_key=key)
    record.event_time.FromDatetime(dt.datetime(2009, 6, 1, tzinfo=dt.UTC))
    values = record.values
    values[f"{code}.001"].string_value = citizen_id
    values[f"{code}.002"].string_value = name
    if code == "101.001":
        values["101.001.010"].string_value = "440104"
        values["101.001.025"].enum_value = "正常"
    else:
        values["101.002.006"].date_value = "2009-05-30"
        values["101.002.012"].string_value = "440104"
        values["101.002.021"].date_value = "2009-06-01"
    return record


async def test_a_death_recorded_elsewhere_reaches_the_persons_master_record(masters_mesh: Mesh) -> None:
    await subscribe(masters_mesh.exchange_stub("department/HRSS"), "hrss-persons", "subjects/101.090")
    citizen_id = make_citizen_id("440104", dt.date(1941, 2, 3), 17)
    registered = await masters_mesh.exchange_stub("department/PSB").Publish(
        pb.PublishRequest(records=[person("subjects/101.001", citizen_id, "陳敏", "psb-1")])
    )
    died = await masters_mesh.exchange_stub("department/CAB").Publish(
        pb.PublishRequest(records=[person("subjects/101.002", citizen_id, "陈敏", "cab-1")])
    )
    assert [r.status for r in (*registered.results, *died.results)] == [pb.RECORD_STATUS_ACCEPTED] * 2, died

    received = await masters_received(
        masters_mesh, "HRSS", "hrss-persons", lambda got: any(_sources(r) == {"CAB", "PSB"} for r in got)
    )

    latest = next(r for r in received if _sources(r) == {"CAB", "PSB"})
    assert latest.values["101.090.002"].string_value == citizen_id
    assert latest.values["101.090.011"].enum_value == "死亡"
    assert latest.values["101.090.012"].date_value == "2009-05-30"
    assert len({r.values["101.090.001"].string_value for r in received}) == 1
