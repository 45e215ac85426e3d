"""The gateway's own refusals are denials like any other: an auditor finds each in the audit log by its trace."""

from __future__ import annotations

import asyncio
import secrets

import grpc
import pytest

from govmesh.contracts.authz.v1 import authz_pb2
from govmesh.contracts.catalog.v1 import catalog_pb2
from govmesh.runtime.certs import CertificateAuthority
from govmesh.runtime.config import Settings
from govmesh.runtime.identity import Principal
from govmesh.services.authz import main as authz_main
from tests.integration.helpers import reason_of
from tests.integration.http_support import client, error_of
from tests.integration.mesh import Mesh

DEPRECATE_ITEM = "/catalog.v1.CatalogService/DeprecateItem"
ITEM = {"name": "subjects/102.001/items/102.001.003", "reason": "try"}


@pytest.fixture
def mesh_settings(mesh_settings: Settings) -> Settings:
    return mesh_settings.model_copy(update={"http_port": 0})


def _traceparent() -> tuple[str, str]:
    """A fresh trace id and the traceparent header a caller's tracing would send with it."""
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


async def _denials_of(mesh: Mesh, trace_id: str) -> list[authz_pb2.AuditEntry]:
    """What an auditor finds, asked right after the caller was answered (no waiting: it must already be there)."""
    reply = await mesh.authz_stub("auditor/audit").ListAuditEntries(
        authz_pb2.ListAuditEntriesRequest(trace_id=trace_id, decision=authz_pb2.DECISION_DENY)
    )
    return list(reply.entries)


def _assert_refusal_entry(entry: authz_pb2.AuditEntry, principal: str, reason: int, method: str) -> None:
    assert entry.kind == authz_pb2.AUDIT_ENTRY_KIND_DECISION
    assert (entry.principal, entry.reason, entry.object) == (principal, reason, method)
    # A refusal of the method itself: no action, subject or items were decided.
    assert (entry.action, entry.subject, list(entry.items)) == (authz_pb2.ACTION_UNSPECIFIED, "", [])
    assert entry.recorded_by == "principals/service/gateway"
    assert entry.policy_revision > 0


async def test_a_role_refusal_over_grpc_is_in_the_audit_log_under_the_calls_trace(authz_mesh: Mesh) -> None:
    trace_id, traceparent = _traceparent()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await authz_mesh.catalog_stub("department/AIC").DeprecateItem(
            catalog_pb2.DeprecateItemRequest(**ITEM), metadata=(("traceparent", traceparent),)
        )
    assert (caught.value.code(), reason_of(caught.value)) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")

    [entry] = await _denials_of(authz_mesh, trace_id)
    _assert_refusal_entry(entry, "principals/department/AIC", authz_pb2.REASON_CODE_ROLE_REQUIRED, DEPRECATE_ITEM)
    assert entry.trace_id == trace_id
    assert "needs the role catalog-maintainer" in entry.message
    by_method = await authz_mesh.authz_stub("auditor/audit").ListAuditEntries(
        authz_pb2.ListAuditEntriesRequest(object=DEPRECATE_ITEM, principal="principals/department/AIC")
    )
    assert [e.sequence for e in by_method.entries] == [entry.sequence]


async def test_a_role_refusal_over_http_json_is_in_the_audit_log_under_the_calls_trace(authz_mesh: Mesh) -> None:
    trace_id, traceparent = _traceparent()
    async with client(authz_mesh, "department/LTAX") as http:
        refused = error_of(await http.post(DEPRECATE_ITEM, json=ITEM, headers={"traceparent": traceparent}))
    assert (refused.code, refused.reason) == ("permission_denied", "ROLE_REQUIRED")

    [entry] = await _denials_of(authz_mesh, trace_id)
    _assert_refusal_entry(entry, "principals/department/LTAX", authz_pb2.REASON_CODE_ROLE_REQUIRED, DEPRECATE_ITEM)
    assert entry.trace_id == trace_id


async def test_a_principal_the_hub_does_not_know_is_in_the_audit_log_when_refused(authz_mesh: Mesh) -> None:
    CertificateAuthority(authz_mesh.settings.certs_dir).issue_client(Principal("department", "NOPE"))
    trace_id, traceparent = _traceparent()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await authz_mesh.catalog_stub("department/NOPE").GetCatalogStats(
            catalog_pb2.GetCatalogStatsRequest(), metadata=(("traceparent", traceparent),)
        )
    assert reason_of(caught.value) == "UNKNOWN_PRINCIPAL"

    [entry] = await _denials_of(authz_mesh, trace_id)
    stats = "/catalog.v1.CatalogService/GetCatalogStats"
    _assert_refusal_entry(entry, "principals/department/NOPE", authz_pb2.REASON_CODE_UNKNOWN_PRINCIPAL, stats)


async def test_a_refusal_while_authz_is_down_is_answered_and_written_once_authz_is_back(
    authz_mesh: Mesh, database_url: str
) -> None:
    assert authz_mesh.authz is not None
    await authz_mesh.authz.stop(0)
    trace_id, traceparent = _traceparent()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await authz_mesh.catalog_stub("department/AIC").DeprecateItem(
            catalog_pb2.DeprecateItemRequest(**ITEM), metadata=(("traceparent", traceparent),)
        )
    assert (caught.value.code(), reason_of(caught.value)) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")

    settings = authz_mesh.settings.model_copy(update={"catalog_targets": authz_mesh.catalog_address})
    authz_mesh.authz = await authz_main.build(settings, database_url)
    await authz_mesh.authz.start(authz_mesh.authz_address)
    auditor = authz_mesh.authz_stub("auditor/audit")
    request = authz_pb2.ListAuditEntriesRequest(trace_id=trace_id, decision=authz_pb2.DECISION_DENY)
    # The gateway's background writer appends what it queued once authz answers again.
    for _ in range(300):
        found = (await auditor.ListAuditEntries(request, wait_for_ready=True)).entries
        if found:
            break
        await asyncio.sleep(0.1)
    [entry] = found
    _assert_refusal_entry(entry, "principals/department/AIC", authz_pb2.REASON_CODE_ROLE_REQUIRED, DEPRECATE_ITEM)
