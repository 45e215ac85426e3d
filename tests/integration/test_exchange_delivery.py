"""Durable delivery: explicit acks, redelivery, dead letters and replay, cursors, backpressure, shared streams."""

from __future__ import annotations

import asyncio

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from tests.integration.exchange_support import enterprise, quiet, receive, subscribe
from tests.integration.mesh import Mesh


async def _publish(mesh: Mesh, count: int, start: int = 0) -> pb.PublishResponse:
    records = [enterprise(n) for n in range(start, start + count)]
    return await mesh.exchange_stub("department/AIC").Publish(pb.PublishRequest(records=records))


async def test_a_negatively_acknowledged_delivery_comes_again_then_becomes_a_dead_letter_that_can_be_replayed(
    exchange_mesh: Mesh,
) -> None:
    qts = exchange_mesh.exchange_stub("department/QTS")
    await subscribe(qts, "qts-retry", max_attempts=2)
    await _publish(exchange_mesh, 1)
    name = "subscriptions/qts-retry"

    first = (await receive(qts, "qts-retry", 1, acknowledge=False))[0]
    assert first.attempt == 1
    nack = pb.Nack(delivery_id=first.delivery_id, reason="register locked", retry_delay=Duration(seconds=0))
    answer = await qts.AcknowledgeDeliveries(pb.AcknowledgeDeliveriesRequest(subscription=name, nacks=[nack]))
    assert answer.nacked_count == 1

    second = (await receive(qts, "qts-retry", 1, acknowledge=False))[0]
    assert (second.delivery_id, second.attempt) == (first.delivery_id, 2)
    await qts.AcknowledgeDeliveries(pb.AcknowledgeDeliveriesRequest(subscription=name, nacks=[nack]))

    # The second attempt was the last: the next time it is due, it moves to the dead letters.
    assert await quiet(qts, "qts-retry") == []
    letters = await qts.ListDeadLetters(pb.ListDeadLettersRequest(parent=name))
    assert letters.total_size == 1
    letter = letters.dead_letters[0]
    assert letter.delivery_id == first.delivery_id and letter.attempts == 2
    assert letter.reason == pb.DEAD_LETTER_REASON_MAX_ATTEMPTS_EXCEEDED and letter.message == "register locked"
    assert letter.record.record_id == first.record.record_id
    lag = (await qts.GetSubscription(pb.GetSubscriptionRequest(name=name))).subscription.lag
    assert lag.dead_letter_count == 1

    replayed = await qts.ReplayDeadLetters(pb.ReplayDeadLettersRequest(parent=name, names=[letter.name]))
    assert replayed.replayed_count == 1
    again = (await receive(qts, "qts-retry", 1))[0]
    assert (again.delivery_id, again.attempt) == (first.delivery_id, 1)
    assert (await qts.ListDeadLetters(pb.ListDeadLettersRequest(parent=name))).total_size == 0


async def test_a_rejected_delivery_goes_to_the_dead_letters_at_once(exchange_mesh: Mesh) -> None:
    qts = exchange_mesh.exchange_stub("department/QTS")
    await subscribe(qts, "qts-reject")
    await _publish(exchange_mesh, 2)
    deliveries = await receive(qts, "qts-reject", 2, acknowledge=False)
    poison, fine = deliveries
    answer = await qts.AcknowledgeDeliveries(
        pb.AcknowledgeDeliveriesRequest(
            subscription="subscriptions/qts-reject",
            delivery_ids=[fine.delivery_id, fine.delivery_id],
            nacks=[pb.Nack(delivery_id=poison.delivery_id, reason="cannot parse", dead_letter=True)],
        )
    )
    assert (answer.acknowledged_count, answer.already_acknowledged_count, answer.nacked_count) == (1, 1, 1)
    letters = await qts.ListDeadLetters(pb.ListDeadLettersRequest(parent="subscriptions/qts-reject"))
    assert [(d.delivery_id, d.reason) for d in letters.dead_letters] == [
        (poison.delivery_id, pb.DEAD_LETTER_REASON_REJECTED)
    ]
    assert await quiet(qts, "qts-reject") == []


async def test_an_unacknowledged_delivery_comes_again_after_its_ack_deadline(exchange_mesh: Mesh) -> None:
    qts = exchange_mesh.exchange_stub("department/QTS")
    await subscribe(qts, "qts-deadline", ack_deadline=Duration(seconds=10))
    await _publish(exchange_mesh, 1)
    call = qts.Subscribe(pb.SubscribeRequest(subscription="subscriptions/qts-deadline"))
    try:
        first = (await asyncio.wait_for(call.read(), 10)).deliveries[0]
        assert first.ack_expire_time.ToSeconds() - first.deliver_time.ToSeconds() == 10
        # The same stream sends it again once the deadline passed, as the next attempt.
        again = await asyncio.wait_for(call.read(), 20)
        while not again.deliveries:
            again = await asyncio.wait_for(call.read(), 20)
        assert (again.deliveries[0].delivery_id, again.deliveries[0].attempt) == (first.delivery_id, 2)
    finally:
        call.cancel()


async def test_a_resumed_stream_continues_after_its_cursor_with_nothing_lost(exchange_mesh: Mesh) -> None:
    ltax = exchange_mesh.exchange_stub("department/LTAX")
    await subscribe(ltax, "ltax-resume")
    await _publish(exchange_mesh, 10)
    call = ltax.Subscribe(pb.SubscribeRequest(subscription="subscriptions/ltax-resume"))
    sent = list((await asyncio.wait_for(call.read(), 10)).deliveries)
    assert len(sent) == 10
    # The consumer stored and acknowledged 4, then its stream broke with 6 in flight.
    await ltax.AcknowledgeDeliveries(
        pb.AcknowledgeDeliveriesRequest(
            subscription="subscriptions/ltax-resume", delivery_ids=[d.delivery_id for d in sent[:4]]
        )
    )
    call.cancel()
    cursor = sent[3].cursor
    await _publish(exchange_mesh, 5, start=10)
    rest = await receive(ltax, "ltax-resume", 11, cursor=cursor)
    assert len(rest) == 11
    seen = {d.record.idempotency_key for d in [*sent[:4], *rest]}
    assert seen == {f"aic-{n}" for n in range(15)}
    assert all(int(d.cursor) > int(cursor) for d in rest)
    assert {d.attempt for d in rest if d.record.idempotency_key in {s.record.idempotency_key for s in sent}} == {2}


async def test_a_slow_consumer_holds_no_more_than_max_in_flight_until_it_acknowledges(exchange_mesh: Mesh) -> None:
    ntax = exchange_mesh.exchange_stub("department/NTAX")
    await subscribe(ntax, "ntax-slow")
    await _publish(exchange_mesh, 30)
    call = ntax.Subscribe(pb.SubscribeRequest(subscription="subscriptions/ntax-slow", max_in_flight=10))
    try:
        held = list((await asyncio.wait_for(call.read(), 10)).deliveries)
        assert len(held) == 10
        waiting = asyncio.ensure_future(call.read())
        done, _ = await asyncio.wait([waiting], timeout=1.5)
        assert not done  # nothing more until some are acknowledged
        await ntax.AcknowledgeDeliveries(
            pb.AcknowledgeDeliveriesRequest(
                subscription="subscriptions/ntax-slow", delivery_ids=[d.delivery_id for d in held[:5]]
            )
        )
        more = (await asyncio.wait_for(waiting, 10)).deliveries
        assert len(more) == 5
        lag = (await ntax.GetSubscription(pb.GetSubscriptionRequest(name="subscriptions/ntax-slow"))).subscription.lag
        assert (lag.in_flight_count, lag.pending_count, lag.open_streams) == (10, 15, 1)
    finally:
        call.cancel()


async def test_two_streams_on_one_subscription_share_its_deliveries(exchange_mesh: Mesh) -> None:
    qts = exchange_mesh.exchange_stub("department/QTS")
    await subscribe(qts, "qts-shared")
    await _publish(exchange_mesh, 40)
    left, right = await asyncio.gather(
        receive(qts, "qts-shared", 40, timeout=4, max_in_flight=5),
        receive(qts, "qts-shared", 40, timeout=4, max_in_flight=5),
    )
    keys = [d.record.idempotency_key for d in [*left, *right]]
    assert sorted(set(keys)) == sorted(f"aic-{n}" for n in range(40))
    assert len(keys) == 40  # no record went to both


async def test_a_deleted_subscription_takes_its_deliveries_with_it(exchange_mesh: Mesh) -> None:
    qts = exchange_mesh.exchange_stub("department/QTS")
    await subscribe(qts, "qts-gone")
    await _publish(exchange_mesh, 3)
    await receive(qts, "qts-gone", 3, acknowledge=False)
    await qts.DeleteSubscription(pb.DeleteSubscriptionRequest(name="subscriptions/qts-gone"))
    listed = await qts.ListSubscriptions(pb.ListSubscriptionsRequest())
    assert [s.name for s in listed.subscriptions] == []


async def test_a_subscription_starting_in_the_past_receives_what_was_published_since_then(
    exchange_mesh: Mesh,
) -> None:
    await _publish(exchange_mesh, 3)
    await asyncio.sleep(0.05)
    since = Timestamp()
    since.GetCurrentTime()
    await asyncio.sleep(0.05)
    await _publish(exchange_mesh, 2, start=3)
    qts = exchange_mesh.exchange_stub("department/QTS")
    await subscribe(qts, "qts-since", start_time=since)
    await subscribe(qts, "qts-from-now")
    late = await receive(qts, "qts-since", 2)
    assert sorted(d.record.idempotency_key for d in late) == ["aic-3", "aic-4"]
    assert await quiet(qts, "qts-from-now") == []
