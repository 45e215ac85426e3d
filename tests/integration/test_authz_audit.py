"""The audit log: every grant change and every denial, queried by auditors, paged, exported as CSV and JSON Lines."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import grpc
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from govmesh.cli.app import app
from govmesh.contracts.authz.v1 import authz_pb2 as pb
from govmesh.runtime import config
from govmesh.runtime.database import make_engine
from tests.integration.authz_support import CONDITIONAL, application, approved_grant, check
from tests.integration.helpers import reason_of
from tests.integration.mesh import Mesh


async def _a_day_of_decisions(mesh: Mesh) -> pb.Grant:
    """A grant applied and approved, a consumer without a grant denied, and a refused approval."""
    grant = await approved_grant(mesh.authz_stub, application())
    denied = await check(mesh.authz_stub("department/QTS"), CONDITIONAL)
    assert denied.decision == pb.DECISION_DENY
    with pytest.raises(grpc.aio.AioRpcError):
        await mesh.authz_stub("department/LTAX").ApproveGrant(pb.ApproveGrantRequest(name=grant.name))
    return grant


async def test_auditors_find_grant_changes_and_denials_by_any_filter(authz_mesh: Mesh) -> None:
    grant = await _a_day_of_decisions(authz_mesh)
    auditor = authz_mesh.authz_stub("auditor/audit")
    everything = (await auditor.ListAuditEntries(pb.ListAuditEntriesRequest())).entries
    assert [(e.action, e.reason) for e in everything] == [
        (pb.ACTION_GRANT_APPROVE, pb.REASON_CODE_NOT_PROVIDER),
        (pb.ACTION_READ, pb.REASON_CODE_NO_GRANT),
        (pb.ACTION_GRANT_APPROVE, pb.REASON_CODE_PROVIDER),
        (pb.ACTION_GRANT_APPLY, pb.REASON_CODE_ROLE),
    ]
    assert [e.sequence for e in everything] == sorted((e.sequence for e in everything), reverse=True)
    assert all(len(e.trace_id) == 32 and e.recorded_by == "principals/service/authz" for e in everything)
    refused, no_grant, approval, applied = everything
    assert (refused.principal, refused.decision, refused.object) == (
        "principals/department/LTAX",
        pb.DECISION_DENY,
        grant.name,
    )
    assert (no_grant.principal, list(no_grant.items)) == ("principals/department/QTS", CONDITIONAL)
    assert (approval.kind, approval.grant, approval.policy_revision) == (
        pb.AUDIT_ENTRY_KIND_GRANT_CHANGE,
        grant.name,
        grant.revision,
    )

    async def matching(**filters: object) -> list[int]:
        reply = await auditor.ListAuditEntries(pb.ListAuditEntriesRequest(**filters))  # type: ignore[arg-type]
        return [e.sequence for e in reply.entries]

    assert await matching(decision=pb.DECISION_DENY) == [refused.sequence, no_grant.sequence]
    assert await matching(kind=pb.AUDIT_ENTRY_KIND_GRANT_CHANGE) == [approval.sequence, applied.sequence]
    assert await matching(reason=pb.REASON_CODE_NOT_PROVIDER) == [refused.sequence]
    assert await matching(principal="principals/department/QTS") == [no_grant.sequence]
    assert await matching(grant=grant.name) == [refused.sequence, approval.sequence, applied.sequence]
    assert await matching(actions=[pb.ACTION_GRANT_APPLY, pb.ACTION_READ]) == [no_grant.sequence, applied.sequence]
    assert await matching(subject="subjects/102.001", trace_id=no_grant.trace_id) == [no_grant.sequence]
    assert await matching(oldest_first=True) == [e.sequence for e in reversed(everything)]
    assert await matching(start_time=refused.create_time) == [refused.sequence]

    pages: list[int] = []
    token = ""
    while True:
        page = await auditor.ListAuditEntries(pb.ListAuditEntriesRequest(page_size=1, page_token=token))
        pages += [e.sequence for e in page.entries]
        token = page.next_page_token
        if not token:
            break
    assert pages == [e.sequence for e in everything]


async def test_only_auditors_and_administrators_read_the_audit_log_and_nobody_edits_it(
    authz_mesh: Mesh, database_url: str
) -> None:
    await _a_day_of_decisions(authz_mesh)
    assert (await authz_mesh.authz_stub("admin/hub").ListAuditEntries(pb.ListAuditEntriesRequest())).entries
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await authz_mesh.authz_stub("department/AIC").ListAuditEntries(pb.ListAuditEntriesRequest())
    assert (refused.value.code(), reason_of(refused.value)) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")
    with pytest.raises(grpc.aio.AioRpcError) as appended:
        await authz_mesh.authz_stub("department/AIC").AppendAuditEntries(pb.AppendAuditEntriesRequest())
    assert appended.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # Written by authz's background writer; reading through the RPC flushes it first.
    await authz_mesh.authz_stub("auditor/audit").ListAuditEntries(pb.ListAuditEntriesRequest())
    engine = make_engine(database_url)
    count = text("SELECT count(*), max(message) FROM authz_audit_entries")
    try:
        with engine.connect() as connection:
            before = tuple(connection.execute(count).one())
        for statement in ("UPDATE authz_audit_entries SET message = 'edited'", "DELETE FROM authz_audit_entries"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
        with engine.connect() as connection:
            assert tuple(connection.execute(count).one()) == before and before[0] >= 6
    finally:
        engine.dispose()


async def test_the_audit_command_exports_csv_and_json_lines(
    authz_mesh: Mesh, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    await _a_day_of_decisions(authz_mesh)
    monkeypatch.setenv("GOVMESH_DATA_DIR", str(authz_mesh.settings.data_dir))
    monkeypatch.setenv("COLUMNS", "250")  # the table keeps whole principal names on one line
    config.settings.cache_clear()
    runner = CliRunner()
    try:
        target = ["--target", authz_mesh.gateway_address]
        exported = tmp_path / "audit.csv"
        result = await asyncio.to_thread(
            runner.invoke, app, ["audit", "--format", "csv", "--oldest-first", "-o", str(exported), *target]
        )
        assert result.exit_code == 0, result.output
        with exported.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert [(r["action"], r["decision"], r["reason"]) for r in rows] == [
            ("grant_apply", "allow", "role"),
            ("grant_approve", "allow", "provider"),
            ("read", "deny", "no_grant"),
            ("grant_approve", "deny", "not_provider"),
        ]
        assert rows[2]["items"] == " ".join(CONDITIONAL)
        denials = await asyncio.to_thread(
            runner.invoke, app, ["audit", "--decision", "deny", "--format", "jsonl", *target]
        )
        assert denials.exit_code == 0, denials.output
        records = [json.loads(line) for line in denials.stdout.splitlines()]
        assert [r["reason"] for r in records] == ["not_provider", "no_grant"]
        assert records[1]["principal"] == "principals/department/QTS"
        shown = await asyncio.to_thread(runner.invoke, app, ["audit", "--reason", "not_provider", *target])
        assert shown.exit_code == 0 and "department/LTAX" in shown.stdout
        refused = await asyncio.to_thread(runner.invoke, app, ["audit", "--as", "department/AIC", *target])
        assert refused.exit_code == 1 and "ROLE_REQUIRED" in refused.stdout
    finally:
        config.settings.cache_clear()
