"""The green channel end to end: one publish by the business bureau, many deliveries, each as its grants allow."""

from __future__ import annotations

import grpc
import pytest

from govmesh.contracts.authz.v1 import authz_pb2 as apb
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from tests.integration.exchange_support import (
    ENTERPRISES,
    PHONE,
    REPRESENTATIVE_ID,
    STATEMENTS,
    TIANHE,
    YUEXIU,
    enterprise,
    grant,
    receive,
    subscribe,
    values_of,
)
from tests.integration.helpers import details_of, reason_of
from tests.integration.mesh import Mesh

SHARED = {"102.001.001", "102.001.003", "102.001.012", "102.001.015"}


async def test_a_new_enterprise_reaches_quality_local_and_national_tax_each_with_exactly_its_allowed_items(
    exchange_mesh: Mesh,
) -> None:
    # The tax bureaus may have the legal representative's ID and the phone; quality supervision may not.
    await grant(exchange_mesh, subject=ENTERPRISES, items=[REPRESENTATIVE_ID, PHONE], groups=["tax-bureaus"])
    stubs = {code: exchange_mesh.exchange_stub(f"department/{code}") for code in ("QTS", "LTAX", "NTAX")}
    for code, stub in stubs.items():
        subscription = await subscribe(stub, f"{code.lower()}-new-enterprises", description="green channel")
        assert subscription.state == pb.SUBSCRIPTION_STATE_ACTIVE
    published = await exchange_mesh.exchange_stub("department/AIC").Publish(
        pb.PublishRequest(records=[enterprise(n, TIANHE if n % 2 else YUEXIU) for n in range(20)])
    )
    assert published.accepted_count == 20, published

    for code, stub in stubs.items():
        deliveries = await receive(stub, f"{code.lower()}-new-enterprises", 20)
        assert len(deliveries) == 20
        expected = SHARED if code == "QTS" else SHARED | {REPRESENTATIVE_ID, PHONE}
        for delivery in deliveries:
            assert values_of(delivery.record) == expected, code
            assert STATEMENTS not in delivery.record.values  # not shared: absent, never empty
            assert delivery.record.publisher == "AIC" and delivery.attempt == 1
            assert delivery.record.digest and delivery.record.digest != ""
        ids = {d.record.record_id for d in deliveries}
        assert ids == {r.record_id for r in published.results}
        if code != "QTS":
            assert all(d.grants for d in deliveries)


async def test_a_district_receives_only_the_rows_of_its_own_jurisdiction(exchange_mesh: Mesh) -> None:
    # District return: Tianhe may have the conditional ID of enterprises registered in Tianhe only.
    await grant(
        exchange_mesh,
        subject=ENTERPRISES,
        items=[REPRESENTATIVE_ID],
        consumers=["TIANHE"],
        row_scope=apb.RowScope(division_codes=[TIANHE]),
    )
    tianhe = exchange_mesh.exchange_stub("department/TIANHE")
    own = await subscribe(tianhe, "tianhe-own", row_filter=pb.RowFilter(division_codes=[TIANHE]))
    everything = await subscribe(tianhe, "tianhe-all")
    assert own.state == everything.state == pb.SUBSCRIPTION_STATE_ACTIVE
    await exchange_mesh.exchange_stub("department/AIC").Publish(
        pb.PublishRequest(records=[enterprise(n, TIANHE if n < 4 else YUEXIU) for n in range(10)])
    )

    mine = await receive(tianhe, "tianhe-own", 4)
    assert len(mine) == 4
    assert {d.record.division_code for d in mine} == {TIANHE}
    assert all(REPRESENTATIVE_ID in d.record.values for d in mine)
    assert all(list(d.row_scope.division_codes) == [TIANHE] or d.row_scope.all_rows for d in mine)

    # Without its own filter it receives every row, but the conditional item only on its own rows.
    every = await receive(tianhe, "tianhe-all", 10)
    assert len(every) == 10
    for delivery in every:
        has_id = REPRESENTATIVE_ID in delivery.record.values
        assert has_id == (delivery.record.division_code == TIANHE)


async def test_a_subscription_with_no_allowed_item_is_refused_with_the_reason_of_each_item(
    exchange_mesh: Mesh,
) -> None:
    qts = exchange_mesh.exchange_stub("department/QTS")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await subscribe(qts, "qts-secrets", items=[REPRESENTATIVE_ID, STATEMENTS])
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    violations = details_of(refused.value)["PreconditionFailure"].violations  # type: ignore[attr-defined]
    assert {(v.subject.rsplit("/", 1)[-1], v.type) for v in violations} == {
        (REPRESENTATIVE_ID, "NO_GRANT"),
        (STATEMENTS, "NOT_SHAREABLE"),
    }
    assert reason_of(refused.value) == "NO_GRANT"
    listed = await qts.ListSubscriptions(pb.ListSubscriptionsRequest())
    assert list(listed.subscriptions) == []


async def test_a_subscription_shows_every_item_decision_and_its_consumer_lag(exchange_mesh: Mesh) -> None:
    ltax = exchange_mesh.exchange_stub("department/LTAX")
    await subscribe(ltax, "ltax-lag")
    await exchange_mesh.exchange_stub("department/AIC").Publish(
        pb.PublishRequest(records=[enterprise(n) for n in range(3)])
    )
    got = (await ltax.GetSubscription(pb.GetSubscriptionRequest(name="subscriptions/ltax-lag"))).subscription
    decisions = {d.item: apb.ReasonCode.Name(d.reason) for d in got.item_decisions}
    assert len(decisions) == 30
    assert decisions[STATEMENTS] == "REASON_CODE_NOT_SHAREABLE"
    assert decisions["102.001.001"] == "REASON_CODE_UNCONDITIONAL"
    assert got.lag.pending_count == 3 and got.lag.in_flight_count == 0
    assert got.lag.oldest_unacknowledged_age.ToTimedelta().total_seconds() >= 0

    await receive(ltax, "ltax-lag", 3)
    after = (await ltax.GetSubscription(pb.GetSubscriptionRequest(name="subscriptions/ltax-lag"))).subscription
    assert (after.lag.pending_count, after.lag.in_flight_count, after.lag.acknowledged_count) == (0, 0, 3)
    assert after.lag.HasField("last_acknowledge_time")
