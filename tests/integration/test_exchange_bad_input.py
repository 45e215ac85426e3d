"""Bad input gets the right status and stores nothing: invalid records, strangers' subjects and deliveries."""

from __future__ import annotations

import grpc
import pytest

from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from tests.integration.exchange_support import ENTERPRISES, NAME, TIANHE, enterprise, quiet, receive, subscribe
from tests.integration.helpers import details_of, reason_of, violated_fields
from tests.integration.mesh import Mesh


async def _nothing_published(mesh: Mesh) -> None:
    stats = await mesh.exchange_stub("auditor/audit").GetLedgerStats(pb.GetLedgerStatsRequest())
    assert stats.total.published_records == 0


async def test_every_violation_of_every_invalid_record_is_reported_and_only_valid_records_are_stored(
    exchange_mesh: Mesh,
) -> None:
    qts = exchange_mesh.exchange_stub("department/QTS")
    await subscribe(qts, "qts-valid-only")
    broken = enterprise(1)
    broken.values["102.001.001"].string_value = "91440106MA59ABCD1X"  # wrong check character
    broken.values[NAME].integer_value = 7  # a name is text
    del broken.values["102.001.015"]  # required
    broken.values["102.001.999"].string_value = "?"  # not an item of the subject
    broken.division_code = "999999"
    broken.ClearField("event_time")
    broken.idempotency_key = ""
    answer = await exchange_mesh.exchange_stub("department/AIC").Publish(
        pb.PublishRequest(records=[enterprise(0), broken, enterprise(2)])
    )
    assert (answer.accepted_count, answer.invalid_count) == (2, 1)
    result = answer.results[1]
    assert result.status == pb.RECORD_STATUS_INVALID and result.record_id == ""
    assert {(v.item_code, v.reason) for v in result.violations} == {
        ("102.001.001", "FORMAT"),
        (NAME, "TYPE"),
        ("102.001.015", "REQUIRED"),
        ("102.001.999", "UNKNOWN_ITEM"),
        ("", "DIVISION_CODE"),
        ("", "EVENT_TIME"),
        ("", "IDEMPOTENCY_KEY"),
    }
    delivered = await receive(qts, "qts-valid-only", 3, timeout=3)
    assert sorted(d.record.idempotency_key for d in delivered) == ["aic-0", "aic-2"]


async def test_a_validation_only_publish_stores_nothing(exchange_mesh: Mesh) -> None:
    answer = await exchange_mesh.exchange_stub("department/AIC").Publish(
        pb.PublishRequest(records=[enterprise(0)], validate_only=True)
    )
    assert answer.accepted_count == 1 and answer.results[0].record_id == ""
    await _nothing_published(exchange_mesh)


async def test_an_unknown_subject_refuses_the_whole_call_and_stores_nothing(exchange_mesh: Mesh) -> None:
    unknown = enterprise(1)
    unknown.subject = "subjects/999.999"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await exchange_mesh.exchange_stub("department/AIC").Publish(pb.PublishRequest(records=[enterprise(0), unknown]))
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert details_of(refused.value)["ResourceInfo"].resource_name == "subjects/999.999"  # type: ignore[attr-defined]
    await _nothing_published(exchange_mesh)


async def test_publishing_a_subject_another_department_provides_is_refused_and_stores_nothing(
    exchange_mesh: Mesh,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await exchange_mesh.exchange_stub("department/LTAX").Publish(pb.PublishRequest(records=[enterprise(0)]))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert reason_of(refused.value) == "NOT_PROVIDER"
    assert details_of(refused.value)["ErrorInfo"].domain == "authz.govmesh"  # type: ignore[attr-defined]
    await _nothing_published(exchange_mesh)


async def test_a_malformed_subject_name_is_a_field_violation(exchange_mesh: Mesh) -> None:
    record = enterprise(0)
    record.subject = "102.001"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await exchange_mesh.exchange_stub("department/AIC").Publish(pb.PublishRequest(records=[record]))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(refused.value) == ["records[0].subject"]


async def test_acknowledging_deliveries_that_are_not_yours_is_refused_and_changes_nothing(exchange_mesh: Mesh) -> None:
    qts = exchange_mesh.exchange_stub("department/QTS")
    ltax = exchange_mesh.exchange_stub("department/LTAX")
    await subscribe(qts, "qts-own")
    await subscribe(ltax, "ltax-own")
    await exchange_mesh.exchange_stub("department/AIC").Publish(pb.PublishRequest(records=[enterprise(0)]))
    theirs = (await receive(qts, "qts-own", 1, acknowledge=False))[0]
    mine = (await receive(ltax, "ltax-own", 1, acknowledge=False))[0]

    # Another department's subscription, and another subscription's delivery in one's own call.
    with pytest.raises(grpc.aio.AioRpcError) as foreign_subscription:
        await ltax.AcknowledgeDeliveries(
            pb.AcknowledgeDeliveriesRequest(subscription="subscriptions/qts-own", delivery_ids=[theirs.delivery_id])
        )
    assert foreign_subscription.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as foreign_delivery:
        await ltax.AcknowledgeDeliveries(
            pb.AcknowledgeDeliveriesRequest(
                subscription="subscriptions/ltax-own", delivery_ids=[mine.delivery_id, theirs.delivery_id]
            )
        )
    assert foreign_delivery.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert reason_of(foreign_delivery.value) == "NOT_OWNER"
    with pytest.raises(grpc.aio.AioRpcError) as never_sent:
        await ltax.AcknowledgeDeliveries(
            pb.AcknowledgeDeliveriesRequest(subscription="subscriptions/ltax-own", delivery_ids=["ltax-own.999999"])
        )
    assert never_sent.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    for stub, name in ((qts, "qts-own"), (ltax, "ltax-own")):
        lag = (await stub.GetSubscription(pb.GetSubscriptionRequest(name=f"subscriptions/{name}"))).subscription.lag
        assert (lag.in_flight_count, lag.acknowledged_count) == (1, 0)


async def test_a_resent_idempotency_key_is_acknowledged_and_never_delivered_twice(exchange_mesh: Mesh) -> None:
    qts = exchange_mesh.exchange_stub("department/QTS")
    await subscribe(qts, "qts-once")
    aic = exchange_mesh.exchange_stub("department/AIC")
    first = await aic.Publish(pb.PublishRequest(records=[enterprise(0), enterprise(1)]))
    again = await aic.Publish(pb.PublishRequest(records=[enterprise(1), enterprise(2), enterprise(2)]))
    assert [r.status for r in again.results] == [
        pb.RECORD_STATUS_DUPLICATE,
        pb.RECORD_STATUS_ACCEPTED,
        pb.RECORD_STATUS_DUPLICATE,
    ]
    assert again.results[0].record_id == first.results[1].record_id
    assert again.results[2].record_id == again.results[1].record_id
    changed = enterprise(0, name="另一家公司")
    conflict = await aic.Publish(pb.PublishRequest(records=[changed]))
    assert conflict.results[0].status == pb.RECORD_STATUS_CONFLICT and conflict.conflict_count == 1

    delivered = await receive(qts, "qts-once", 3)
    assert sorted(d.record.idempotency_key for d in delivered) == ["aic-0", "aic-1", "aic-2"]
    assert await quiet(qts, "qts-once") == []


async def test_a_publish_stream_commits_each_message_and_totals_the_stream(exchange_mesh: Mesh) -> None:
    invalid = enterprise(3)
    invalid.division_code = ""

    async def messages():  # type: ignore[no-untyped-def]
        yield pb.PublishStreamRequest(records=[enterprise(n, TIANHE) for n in range(3)])
        yield pb.PublishStreamRequest(records=[invalid, enterprise(0)])

    answer = await exchange_mesh.exchange_stub("department/AIC").PublishStream(messages())
    assert (answer.accepted_count, answer.duplicate_count, answer.invalid_count) == (3, 1, 1)
    assert [(r.index, r.status) for r in answer.rejected] == [(3, pb.RECORD_STATUS_INVALID)]
    stats = await exchange_mesh.exchange_stub("auditor/audit").GetLedgerStats(
        pb.GetLedgerStatsRequest(subject=ENTERPRISES)
    )
    assert stats.total.published_records == 3
