"""The authz.v1 servicer: translates each call to one use case and back, nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeAlias

import grpc

from govmesh.contracts.authz.v1 import authz_pb2 as pb
from govmesh.contracts.authz.v1 import authz_pb2_grpc
from govmesh.kernel.policy import convert as policy_convert
from govmesh.kernel.policy.model import Action, PolicyChange, SnapshotContents
from govmesh.runtime.errors import FieldViolation, InvalidArgument, ViolationCollector
from govmesh.runtime.identity import current_principal
from govmesh.runtime.paging import page_request
from govmesh.runtime.signals import Signals, wait
from govmesh.services.authz import convert
from govmesh.services.authz.usecases import Authz

# grpc ships no type hints; the alias keeps signatures readable.
Context: TypeAlias = grpc.aio.ServicerContext

# The longest a watcher waits without a message: heartbeats keep every copy's freshness known.
HEARTBEAT_SECONDS = 0.5
# Well under the default 4 MB message limit of every channel that reads the policy.
CHUNK_BYTES = 1024 * 1024


# The one topic authz's watchers wait on: the policy moved on.
POLICY_TOPIC = "policy"


def _snapshot_chunks(contents: SnapshotContents) -> list[pb.ReadPolicySnapshotResponse]:
    """The snapshot cut into messages of at most about CHUNK_BYTES each, principals first."""
    chunks: list[pb.ReadPolicySnapshotResponse] = []
    size = CHUNK_BYTES

    def room(message_bytes: int) -> pb.ReadPolicySnapshotResponse:
        nonlocal size
        if not chunks or size + message_bytes > CHUNK_BYTES:
            chunks.append(
                pb.ReadPolicySnapshotResponse(revision=contents.revision, catalog_revision=contents.catalog_revision)
            )
            size = 0
        size += message_bytes
        return chunks[-1]

    for principal in map(policy_convert.principal_to_proto, contents.principals):
        room(principal.ByteSize()).principals.append(principal)
    for item in map(policy_convert.item_policy_to_proto, contents.items):
        room(item.ByteSize()).items.append(item)
    for grant in map(policy_convert.grant_to_proto, contents.grants):
        room(grant.ByteSize()).grants.append(grant)
    if not chunks:
        room(0)
    return chunks


def _change_batches(changes: list[PolicyChange]) -> list[list[pb.PolicyChange]]:
    """Changes as messages of at most about CHUNK_BYTES (a grant may name thousands of entity keys)."""
    batches: list[list[pb.PolicyChange]] = []
    size = CHUNK_BYTES
    for change in changes:
        message = policy_convert.change_to_proto(change)
        message_bytes = message.ByteSize()
        if size + message_bytes > CHUNK_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(message)
        size += message_bytes
    return batches


class AuthzServicer(authz_pb2_grpc.AuthzServiceServicer):
    def __init__(self, authz: Authz, signals: Signals):
        self.authz = authz
        self._signals = signals

    async def _fresh(self, at_least_revision: int, field: str = "at_least_revision") -> None:
        if at_least_revision < 0:
            raise InvalidArgument("negative revision", [FieldViolation(field, "must not be negative")])
        if at_least_revision > self.authz.policy.revision:
            await asyncio.to_thread(self.authz.policy.catch_up_to, at_least_revision)

    # -- decisions -----------------------------------------------------------------------------

    async def Check(self, request: pb.CheckRequest, context: Context) -> pb.CheckResponse:
        caller = current_principal.get()
        found = ViolationCollector()
        query = convert.query_from_proto(request.query, (caller.kind, caller.code), "query", found)
        found.raise_if_any()
        await self._fresh(request.at_least_revision)
        response = pb.CheckResponse()
        policy_convert.fill_decision(response.decision, self.authz.decisions.check(caller, query))
        return response

    async def BatchCheck(self, request: pb.BatchCheckRequest, context: Context) -> pb.BatchCheckResponse:
        caller = current_principal.get()
        found = ViolationCollector()
        me = (caller.kind, caller.code)
        queries = [convert.query_from_proto(q, me, f"queries[{n}]", found) for n, q in enumerate(request.queries)]
        found.raise_if_any()
        await self._fresh(request.at_least_revision)
        decisions, revision = self.authz.decisions.batch_check(caller, queries)
        response = pb.BatchCheckResponse(policy_revision=revision)
        for decision in decisions:
            policy_convert.fill_decision(response.decisions.add(), decision)
        return response

    async def ListAllowed(self, request: pb.ListAllowedRequest, context: Context) -> pb.ListAllowedResponse:
        caller = current_principal.get()
        found = ViolationCollector()
        principal = (caller.kind, caller.code)
        if request.principal:
            principal = convert.principal_of(request.principal, "principal", found) or principal
        action = policy_convert.ACTION.optional(request.action, "action", found) or Action.READ
        code = convert.subject_of(request.subject, "subject", found, allow_all=True)
        found.raise_if_any()
        page = page_request(request.page_size, "", default=1000, maximum=5000)
        await self._fresh(request.at_least_revision)
        items, token, revision = self.authz.decisions.list_allowed(
            caller,
            principal,
            action,
            None if code == "-" else code,
            include_denied=request.include_denied,
            page=page,
            page_token=request.page_token,
        )
        return pb.ListAllowedResponse(
            items=[policy_convert.item_decision_message(i) for i in items],
            next_page_token=token,
            policy_revision=revision,
        )

    # -- watch and snapshot --------------------------------------------------------------------

    async def WatchPolicy(
        self, request: pb.WatchPolicyRequest, context: Context
    ) -> AsyncIterator[pb.WatchPolicyResponse]:
        self.authz.feed.require_reader(current_principal.get())
        await self._fresh(request.after_revision, "after_revision")
        revision = request.after_revision or self.authz.policy.revision
        while True:
            changes = await asyncio.to_thread(self.authz.feed.changes_after, revision)
            for batch in _change_batches(changes):
                revision = batch[-1].revision
                yield pb.WatchPolicyResponse(changes=batch, revision=revision)
            if changes:
                continue
            with self._signals.watch(POLICY_TOPIC) as moved:
                if self.authz.policy.revision <= revision:
                    await wait(moved, HEARTBEAT_SECONDS)
            if self.authz.policy.revision <= revision:
                yield pb.WatchPolicyResponse(revision=self.authz.policy.revision)

    async def ReadPolicySnapshot(
        self, request: pb.ReadPolicySnapshotRequest, context: Context
    ) -> AsyncIterator[pb.ReadPolicySnapshotResponse]:
        self.authz.feed.require_reader(current_principal.get())
        await self._fresh(request.at_least_revision)
        chunks = await asyncio.to_thread(lambda: _snapshot_chunks(self.authz.feed.snapshot()))
        for chunk in chunks:
            yield chunk

    # -- principals ----------------------------------------------------------------------------

    async def GetPrincipal(self, request: pb.GetPrincipalRequest, context: Context) -> pb.GetPrincipalResponse:
        found = ViolationCollector()
        parsed = convert.principal_of(request.name, "name", found)
        found.raise_if_any()
        assert parsed is not None
        principal = self.authz.principals.get_principal(current_principal.get(), *parsed)
        return pb.GetPrincipalResponse(principal=policy_convert.principal_to_proto(principal))

    async def ListPrincipals(self, request: pb.ListPrincipalsRequest, context: Context) -> pb.ListPrincipalsResponse:
        found = ViolationCollector()
        kind = policy_convert.KIND.optional(request.kind, "kind", found)
        found.raise_if_any()
        page = self.authz.principals.list_principals(
            current_principal.get(), kind, page_request(request.page_size, request.page_token, default=100)
        )
        return pb.ListPrincipalsResponse(
            principals=[policy_convert.principal_to_proto(p) for p in page.items], next_page_token=page.next_page_token
        )

    # -- grants --------------------------------------------------------------------------------

    async def ApplyGrant(self, request: pb.ApplyGrantRequest, context: Context) -> pb.ApplyGrantResponse:
        found = ViolationCollector()
        application = convert.application_from_proto(request.grant, found)
        found.raise_if_any("the application has invalid fields")
        grant = await asyncio.to_thread(
            self.authz.grants.apply_grant,
            current_principal.get(),
            application,
            validate_only=request.validate_only,
            request_id=request.request_id,
        )
        return pb.ApplyGrantResponse(grant=policy_convert.grant_to_proto(grant))

    async def ApproveGrant(self, request: pb.ApproveGrantRequest, context: Context) -> pb.ApproveGrantResponse:
        grant_id = convert.grant_id_of(request.name)
        grant = await asyncio.to_thread(
            self.authz.grants.approve_grant, current_principal.get(), grant_id, request.reason
        )
        return pb.ApproveGrantResponse(grant=policy_convert.grant_to_proto(grant))

    async def RejectGrant(self, request: pb.RejectGrantRequest, context: Context) -> pb.RejectGrantResponse:
        grant_id = convert.grant_id_of(request.name)
        grant = await asyncio.to_thread(
            self.authz.grants.reject_grant, current_principal.get(), grant_id, request.reason
        )
        return pb.RejectGrantResponse(grant=policy_convert.grant_to_proto(grant))

    async def RevokeGrant(self, request: pb.RevokeGrantRequest, context: Context) -> pb.RevokeGrantResponse:
        grant_id = convert.grant_id_of(request.name)
        grant = await asyncio.to_thread(
            self.authz.grants.revoke_grant, current_principal.get(), grant_id, request.reason
        )
        return pb.RevokeGrantResponse(grant=policy_convert.grant_to_proto(grant))

    async def GetGrant(self, request: pb.GetGrantRequest, context: Context) -> pb.GetGrantResponse:
        grant_id = convert.grant_id_of(request.name)
        grant, history = await asyncio.to_thread(self.authz.grants.get_grant, current_principal.get(), grant_id)
        return pb.GetGrantResponse(
            grant=policy_convert.grant_to_proto(grant), history=[policy_convert.history_to_proto(h) for h in history]
        )

    async def ListGrants(self, request: pb.ListGrantsRequest, context: Context) -> pb.ListGrantsResponse:
        found = ViolationCollector()
        filters = convert.grant_filter_from_proto(request, found)
        found.raise_if_any()
        page = await asyncio.to_thread(
            self.authz.grants.list_grants,
            current_principal.get(),
            filters,
            page_request(request.page_size, request.page_token, default=100),
        )
        return pb.ListGrantsResponse(
            grants=[policy_convert.grant_to_proto(g) for g in page.items],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def ListGrantHistory(
        self, request: pb.ListGrantHistoryRequest, context: Context
    ) -> pb.ListGrantHistoryResponse:
        grant_id = convert.grant_id_of(request.name)
        page = await asyncio.to_thread(
            self.authz.grants.grant_history,
            current_principal.get(),
            grant_id,
            page_request(request.page_size, request.page_token, default=100),
        )
        return pb.ListGrantHistoryResponse(
            entries=[policy_convert.history_to_proto(h) for h in page.items], next_page_token=page.next_page_token
        )

    # -- audit ---------------------------------------------------------------------------------

    async def ListAuditEntries(
        self, request: pb.ListAuditEntriesRequest, context: Context
    ) -> pb.ListAuditEntriesResponse:
        found = ViolationCollector()
        filters = convert.audit_filter_from_proto(request, found)
        found.raise_if_any()
        size = page_request(request.page_size, "", default=100, maximum=10_000).size
        entries, token = await asyncio.to_thread(
            self.authz.audit.list_audit,
            current_principal.get(),
            filters,
            page_size=size,
            page_token=request.page_token,
            oldest_first=request.oldest_first,
        )
        return pb.ListAuditEntriesResponse(
            entries=[policy_convert.audit_to_proto(e) for e in entries], next_page_token=token
        )

    async def AppendAuditEntries(
        self, request: pb.AppendAuditEntriesRequest, context: Context
    ) -> pb.AppendAuditEntriesResponse:
        found = ViolationCollector()
        now = self.authz.clock()
        entries = [convert.audit_from_proto(e, f"entries[{n}]", found, now) for n, e in enumerate(request.entries)]
        found.raise_if_any()
        first, count = await asyncio.to_thread(self.authz.audit.append_audit, current_principal.get(), entries)
        return pb.AppendAuditEntriesResponse(first_sequence=first, appended_count=count)
