"""What the exchange integration tests share: records of the shipped subjects, grants, and stream readers."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

import grpc

from govmesh.contracts.authz.v1 import authz_pb2 as apb
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.contracts.exchange.v1 import exchange_pb2_grpc
from govmesh.kernel.catalog.standards import make_citizen_id, make_credit_code
from tests.integration.authz_support import approved_grant, days_from_now
from tests.integration.mesh import Mesh

# Subject 102.001 (enterprise establishment, provided by AIC): .001 credit code, .003 name, .012
# division code and .015 establishment date are required and UNCONDITIONAL; .006 (legal
# representative's citizen ID) and .021 (contact phone) are CONDITIONAL; .030 is NOT_SHARED.
ENTERPRISES = "subjects/102.001"
CREDIT_CODE, NAME, DIVISION, ESTABLISHED = "102.001.001", "102.001.003", "102.001.012", "102.001.015"
REPRESENTATIVE_ID, PHONE, STATEMENTS = "102.001.006", "102.001.021", "102.001.030"
# Subjects 301.001 (LTAX) and 301.002 (NTAX): annual tax totals; .005 is CONDITIONAL, the taxes
# behind it NOT_SHARED.
LOCAL_TAX, NATIONAL_TAX = "subjects/301.001", "subjects/301.002"
TIANHE, YUEXIU = "440106", "440104"


def enterprise(n: int, division: str = TIANHE, *, key_prefix: str = "aic", name: str = "") -> pb.Record:
    """A valid new-enterprise record of 102.001 with items of every sharing type: shared, conditional, not."""
    code = make_credit_code(division, n)
    record = pb.Record(
        subject=ENTERPRISES, entity_key=code, division_code=division, idempotency_key=f"{key_prefix}-{n}"
    )
    record.event_time.FromDatetime(dt.datetime(2009, 3, 2, 9, 30, tzinfo=dt.UTC) + dt.timedelta(minutes=n))
    values = record.values
    values[CREDIT_CODE].string_value = code
    values[NAME].string_value = name or f"广州某某贸易有限公司{n}"
    values[DIVISION].string_value = division
    values[ESTABLISHED].date_value = "2009-03-02"
    values[REPRESENTATIVE_ID].string_value = make_citizen_id(division, dt.date(1975, 5, 17), n % 1000)
    values[PHONE].string_value = "13800138000"
    values[STATEMENTS].bytes_value = b"balance sheet"
    return record


def tax_total(subject: str, credit_code: str, total: str, year: int = 2008) -> pb.Record:
    """An annual tax total of 301.001 (local) or 301.002 (national), with a not-shared breakdown."""
    code = subject.removeprefix("subjects/")
    breakdown = "301.001.006" if code == "301.001" else "301.002.006"
    division = f"{code}.016" if code == "301.001" else f"{code}.013"
    record = pb.Record(subject=subject, entity_key=credit_code, division_code=TIANHE)
    record.event_time.FromDatetime(dt.datetime(2009, 1, 15, tzinfo=dt.UTC))
    record.values[f"{code}.001"].string_value = credit_code
    record.values[f"{code}.002"].string_value = "广州某某贸易有限公司"
    record.values[f"{code}.004"].integer_value = year
    record.values[f"{code}.005"].decimal_value = total
    record.values[breakdown].decimal_value = "1000.00"
    record.values[division].string_value = TIANHE
    return record


async def grant(
    mesh: Mesh,
    *,
    subject: str,
    items: Sequence[str],
    consumers: Sequence[str] = (),
    groups: Sequence[str] = (),
    row_scope: apb.RowScope | None = None,
    actions: Sequence[int] = (),
) -> apb.Grant:
    """A grant the consumer applied for and the provider approved; returns once the exchange decides under it."""
    mode = apb.GRANT_MODE_POINT_TO_POINT if len(consumers) == 1 and not groups else apb.GRANT_MODE_ONE_TO_MANY
    application = apb.Grant(
        subject=subject,
        items=list(items),
        mode=mode,
        consumer_departments=list(consumers),
        consumer_groups=list(groups),
        actions=list(actions),
        purpose="政务信息共享",
        legal_basis="穗府办〔2008〕1号",
        end_time=days_from_now(30),
    )
    if row_scope is not None:
        application.row_scope.CopyFrom(row_scope)
    applicant = f"department/{consumers[0]}" if consumers else "admin/hub"
    approved = await approved_grant(mesh.authz_stub, application, applicant)
    await exchange_knows(mesh, approved.revision)
    return approved


async def exchange_knows(mesh: Mesh, revision: int, timeout: float = 10.0) -> None:
    assert mesh.exchange_app is not None
    deadline = asyncio.get_running_loop().time() + timeout
    while mesh.exchange_app.policy.revision < revision:
        assert asyncio.get_running_loop().time() < deadline, "the exchange's policy copy did not catch up"
        await asyncio.sleep(0.05)


async def subscribe(
    stub: exchange_pb2_grpc.ExchangeServiceStub, subscription_id: str, subject: str = ENTERPRISES, **fields: object
) -> pb.Subscription:
    request = pb.CreateSubscriptionRequest(
        subscription=pb.Subscription(subject=subject, **fields),  # type: ignore[arg-type]
        subscription_id=subscription_id,
    )
    return (await stub.CreateSubscription(request)).subscription


async def receive(
    stub: exchange_pb2_grpc.ExchangeServiceStub,
    subscription_id: str,
    count: int,
    *,
    timeout: float = 20.0,
    acknowledge: bool = True,
    cursor: str = "",
    max_in_flight: int = 0,
) -> list[pb.Delivery]:
    """Reads deliveries until `count` distinct records arrived (acknowledging them), or the time runs out."""
    got: dict[str, pb.Delivery] = {}
    call = stub.Subscribe(
        pb.SubscribeRequest(subscription=f"subscriptions/{subscription_id}", cursor=cursor, max_in_flight=max_in_flight)
    )
    try:
        async with asyncio.timeout(timeout):
            async for response in call:
                for delivery in response.deliveries:
                    got.setdefault(delivery.record.record_id, delivery)
                if acknowledge and response.deliveries:
                    await stub.AcknowledgeDeliveries(
                        pb.AcknowledgeDeliveriesRequest(
                            subscription=f"subscriptions/{subscription_id}",
                            delivery_ids=[d.delivery_id for d in response.deliveries],
                        )
                    )
                if len(got) >= count:
                    break
    except TimeoutError:
        pass
    finally:
        call.cancel()
    return list(got.values())


async def quiet(
    stub: exchange_pb2_grpc.ExchangeServiceStub, subscription_id: str, seconds: float = 1.5
) -> list[pb.Delivery]:
    """Whatever a subscription delivers within `seconds` (nothing, when the test expects nothing)."""
    return await receive(stub, subscription_id, 1_000_000, timeout=seconds, acknowledge=False)


async def read_inbox(
    stub: exchange_pb2_grpc.ExchangeServiceStub, count: int = 1, timeout: float = 10.0
) -> tuple[grpc.aio.UnaryStreamCall, list[pb.IncomingRequest]]:
    """Opens the caller's inbox and reads until `count` requests came; the stream stays open (online)."""
    call = stub.StreamInbox(pb.StreamInboxRequest())
    found: list[pb.IncomingRequest] = []
    async with asyncio.timeout(timeout):
        while len(found) < count:
            response = await call.read()
            found += response.requests
    return call, found


def values_of(record: pb.Record) -> set[str]:
    return set(record.values)
