"""What the authz integration tests share: the shipped catalog's facts they rely on, and request builders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from govmesh.contracts.authz.v1 import authz_pb2 as pb
from govmesh.contracts.authz.v1 import authz_pb2_grpc

# Subject 102.001 (enterprise registration) is provided by the business bureau AIC; in the shipped
# catalog 102.001.006 and 102.001.021-026 are CONDITIONAL, 102.001.030 is NOT_SHARED and the rest
# UNCONDITIONAL. LTAX and NTAX form the group `tax-bureaus`; QTS and PSB are in neither.
SUBJECT = "subjects/102.001"
PROVIDER = "AIC"
CONDITIONAL = ["102.001.021", "102.001.022"]
ANOTHER_CONDITIONAL = "102.001.006"
NOT_SHARED = "102.001.030"
UNCONDITIONAL = "102.001.001"


def stamp(value: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(value)
    return result


def days_from_now(days: float) -> Timestamp:
    return stamp(datetime.now(UTC) + timedelta(days=days))


def application(
    *,
    consumers: Sequence[str] = ("LTAX",),
    groups: Sequence[str] = (),
    items: Sequence[str] = tuple(CONDITIONAL),
    subject: str = SUBJECT,
    end_in_days: float = 30,
    row_scope: pb.RowScope | None = None,
    actions: Sequence[int] = (),
) -> pb.Grant:
    mode = pb.GRANT_MODE_POINT_TO_POINT if len(consumers) == 1 and not groups else pb.GRANT_MODE_ONE_TO_MANY
    grant = pb.Grant(
        subject=subject,
        items=list(items),
        mode=mode,
        consumer_departments=list(consumers),
        consumer_groups=list(groups),
        actions=list(actions),
        purpose="tax registration of new enterprises",
        legal_basis="穗府办〔2008〕1号",
        end_time=days_from_now(end_in_days),
    )
    if row_scope is not None:
        grant.row_scope.CopyFrom(row_scope)
    return grant


async def check(
    stub: authz_pb2_grpc.AuthzServiceStub,
    items: Sequence[str],
    *,
    principal: str = "",
    action: int = pb.ACTION_READ,
    subject: str = SUBJECT,
    row: pb.Row | None = None,
    at_least_revision: int = 0,
) -> pb.AccessDecision:
    query = pb.AccessQuery(principal=principal, action=action, subject=subject, items=list(items))
    if row is not None:
        query.row.CopyFrom(row)
    reply = await stub.Check(pb.CheckRequest(query=query, at_least_revision=at_least_revision))
    return reply.decision


async def approved_grant(
    stub_of: Callable[[str], authz_pb2_grpc.AuthzServiceStub], grant: pb.Grant, applicant: str = "department/LTAX"
) -> pb.Grant:
    """Applies as `applicant` and approves as the provider; returns the approved grant."""
    applied = (await stub_of(applicant).ApplyGrant(pb.ApplyGrantRequest(grant=grant))).grant
    provider = stub_of(f"department/{applied.provider}")
    return (await provider.ApproveGrant(pb.ApproveGrantRequest(name=applied.name, reason="批准 2009-17"))).grant


def reasons(decision: pb.AccessDecision) -> dict[str, str]:
    return {i.item: pb.ReasonCode.Name(i.reason).removeprefix("REASON_CODE_") for i in decision.items}
