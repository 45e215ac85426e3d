"""The grants an application needs, shipped beside it and applied on a development hub at start.

On a development hub (`govmesh up`, `govmesh demo`) one directory holds every department's
certificate, so the grants are applied for as the hub administrator and approved as each providing
department. On a real hub each provider approves them from its own backend (`govmesh grants approve`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
import yaml

from govmesh.contracts.authz.v1 import authz_pb2 as apb
from govmesh.contracts.authz.v1 import authz_pb2_grpc


@dataclass(frozen=True)
class ShippedGrant:
    subject: str
    items: tuple[str, ...]
    consumers: tuple[str, ...]
    groups: tuple[str, ...]
    purpose: str
    legal_basis: str
    days: int = 365
    division: str = ""
    actions: tuple[str, ...] = ()  # e.g. ("verify",); empty means what a grant covers by default


def load_grants(path: Path) -> list[ShippedGrant]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        ShippedGrant(
            subject=str(g["subject"]),
            items=tuple(str(i) for i in g["items"]),
            consumers=tuple(g.get("consumers", ())),
            groups=tuple(g.get("groups", ())),
            purpose=str(g["purpose"]),
            legal_basis=str(g.get("legal_basis", "")),
            days=int(g.get("days", 365)),
            division=str(g.get("division", "")),
            actions=tuple(str(a) for a in g.get("actions", ())),
        )
        for g in document.get("grants", [])
    ]


StubOf = Callable[[str], authz_pb2_grpc.AuthzServiceStub]


async def ensure_grants(stub_of: StubOf, grants: list[ShippedGrant], *, now: dt.datetime | None = None) -> list[str]:
    """Applies for (as admin/hub) and approves (as the provider) each grant not approved yet; returns new names."""
    admin = stub_of("admin/hub")
    created: list[str] = []
    for shipped in grants:
        subject = f"subjects/{shipped.subject}"
        existing = await admin.ListGrants(
            apb.ListGrantsRequest(subject=subject, states=[apb.GRANT_STATE_APPROVED], page_size=1000)
        )
        if any(g.purpose == shipped.purpose for g in existing.grants):
            continue
        grant = apb.Grant(
            subject=subject,
            items=list(shipped.items),
            mode=apb.GRANT_MODE_POINT_TO_POINT
            if len(shipped.consumers) == 1 and not shipped.groups
            else apb.GRANT_MODE_ONE_TO_MANY,
            consumer_departments=list(shipped.consumers),
            consumer_groups=list(shipped.groups),
            purpose=shipped.purpose,
            legal_basis=shipped.legal_basis,
            actions=[apb.Action.Name(apb.Action.Value(f"ACTION_{a.upper()}")) for a in shipped.actions],
        )
        grant.end_time.FromDatetime((now or dt.datetime.now(dt.UTC)) + dt.timedelta(days=shipped.days))
        if shipped.division:
            grant.row_scope.division_codes.append(shipped.division)
        applied = await _apply_once_authz_knows_the_catalog(admin, grant)
        provider = stub_of(f"department/{applied.provider}")
        await provider.ApproveGrant(apb.ApproveGrantRequest(name=applied.name, reason="shipped with the application"))
        created.append(applied.name)
    return created


async def _apply_once_authz_knows_the_catalog(
    admin: authz_pb2_grpc.AuthzServiceStub, grant: apb.Grant, *, within_seconds: float = 30
) -> apb.Grant:
    """Applies for a grant, waiting while authz has not yet followed a catalog change made just before.

    A shipped catalog change (an item made CONDITIONAL) reaches authz through its catalog follower a
    moment later; until then authz rightly refuses the item as NOT_SHARED.
    """
    deadline = asyncio.get_running_loop().time() + within_seconds
    while True:
        try:
            applied: apb.Grant = (await admin.ApplyGrant(apb.ApplyGrantRequest(grant=grant))).grant
            return applied
        except grpc.aio.AioRpcError as error:
            not_yet = error.code() == grpc.StatusCode.FAILED_PRECONDITION and "NOT_SHARED" in (error.details() or "")
            if not not_yet or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
