"""A district's subscriptions to the business, quality and tax subjects, narrowed to its own division and
started from the beginning of what the hub retains: the initial load, then every change as it comes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import grpc

from govmesh.apps.mesh import Stub
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb

# Business (establishment, change, deregistration), quality (organization codes) and tax (registrations).
SUBJECTS = ("102.001", "102.003", "102.002", "102.010", "102.020", "102.030")
# Before the hub's first record: a subscription starting here delivers everything retained.
BEGINNING = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def subscription_id(subject: str) -> str:
    return f"district-return-{subject.replace('.', '-')}"


async def ensure_feed(stub: Stub, division_code: str, subjects: Sequence[str] = SUBJECTS) -> list[str]:
    """Creates the district's subscriptions once; the row filter keeps every other district's rows out,
    whatever the items' sharing type (the row scopes of its grants narrow the conditional ones too)."""
    created = []
    for subject in subjects:
        subscription = pb.Subscription(
            subject=f"subjects/{subject}",
            row_filter=pb.RowFilter(division_codes=[division_code]),
            description=f"district return {division_code}",
        )
        subscription.start_time.FromDatetime(BEGINNING)
        try:
            await stub.CreateSubscription(
                pb.CreateSubscriptionRequest(subscription=subscription, subscription_id=subscription_id(subject))
            )
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.ALREADY_EXISTS:
                raise
        created.append(subscription_id(subject))
    return created
