"""The masters.v1 servicer: translates each call to one use case or query and back, nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeAlias

import grpc

from govmesh.contracts.masters.v1 import masters_pb2 as pb
from govmesh.contracts.masters.v1 import masters_pb2_grpc
from govmesh.runtime import errors
from govmesh.runtime.identity import current_principal
from govmesh.runtime.paging import page_request
from govmesh.services.masters import convert
from govmesh.services.masters.queries import Queries
from govmesh.services.masters.usecases import Masters

Context: TypeAlias = grpc.aio.ServicerContext


class MastersServicer(masters_pb2_grpc.MastersServiceServicer):
    def __init__(self, masters: Masters, queries: Queries, published: Callable[[], None]):
        self.masters = masters
        self.queries = queries
        self._published = published  # wakes the publisher after a change

    async def GetMasterRecord(self, request: pb.GetMasterRecordRequest, context: Context) -> pb.GetMasterRecordResponse:
        view = await asyncio.to_thread(self.queries.view, current_principal.get(), convert.master_id(request.name))
        return pb.GetMasterRecordResponse(master_record=convert.master_record(view))

    async def LookupMasterRecords(
        self, request: pb.LookupMasterRecordsRequest, context: Context
    ) -> pb.LookupMasterRecordsResponse:
        key = convert.lookup_key(request)
        size = convert.page_size(request.page_size, 20, 200)
        views = await asyncio.to_thread(
            self.queries.lookup, current_principal.get(), key, request.query, self.masters.find, size
        )
        return pb.LookupMasterRecordsResponse(master_records=[convert.master_record(v) for v in views])

    async def ListReviewItems(self, request: pb.ListReviewItemsRequest, context: Context) -> pb.ListReviewItemsResponse:
        page = page_request(request.page_size, request.page_token, default=50, maximum=500)
        state = convert.review_state(request.state)
        found = await asyncio.to_thread(self.queries.reviews, state, page)
        return pb.ListReviewItemsResponse(
            review_items=[convert.review_item(item) for item in found.items], next_page_token=found.next_page_token
        )

    async def ConfirmReviewItem(
        self, request: pb.ConfirmReviewItemRequest, context: Context
    ) -> pb.ConfirmReviewItemResponse:
        item = await asyncio.to_thread(
            self.masters.confirm, current_principal.get(), convert.review_id(request.name), request.reason
        )
        self._published()
        return pb.ConfirmReviewItemResponse(review_item=convert.review_item(item))

    async def RejectReviewItem(
        self, request: pb.RejectReviewItemRequest, context: Context
    ) -> pb.RejectReviewItemResponse:
        item = await asyncio.to_thread(
            self.masters.reject, current_principal.get(), convert.review_id(request.name), request.reason
        )
        self._published()
        return pb.RejectReviewItemResponse(review_item=convert.review_item(item))

    async def SplitMasterRecord(
        self, request: pb.SplitMasterRecordRequest, context: Context
    ) -> pb.SplitMasterRecordResponse:
        principal = current_principal.get()
        source = convert.master_id(request.name)
        created = await asyncio.to_thread(
            self.masters.split, principal, source, convert.record_keys(request.records), request.reason
        )
        self._published()
        return pb.SplitMasterRecordResponse(
            source=convert.master_record(await asyncio.to_thread(self.queries.view, principal, source)),
            created=convert.master_record(await asyncio.to_thread(self.queries.view, principal, created)),
        )

    async def MergeMasterRecords(
        self, request: pb.MergeMasterRecordsRequest, context: Context
    ) -> pb.MergeMasterRecordsResponse:
        principal = current_principal.get()
        keep = convert.master_id(request.name)
        absorbed = convert.master_id(request.absorbed, "absorbed")
        await asyncio.to_thread(self.masters.merge, principal, keep, absorbed, request.reason)
        self._published()
        view = await asyncio.to_thread(self.queries.view, principal, keep)
        return pb.MergeMasterRecordsResponse(master_record=convert.master_record(view))

    async def GetLifecycle(self, request: pb.GetLifecycleRequest, context: Context) -> pb.GetLifecycleResponse:
        events, hidden = await asyncio.to_thread(
            self.queries.lifecycle, current_principal.get(), convert.master_id(request.name)
        )
        return pb.GetLifecycleResponse(events=[convert.lifecycle_event(e) for e in events], hidden_count=hidden)

    async def ResolveHolders(self, request: pb.ResolveHoldersRequest, context: Context) -> pb.ResolveHoldersResponse:
        found = await asyncio.to_thread(self.queries.holders, current_principal.get(), convert.master_id(request.name))
        return pb.ResolveHoldersResponse(
            holders=[pb.Holder(department=d, subject=f"subjects/{s}" if s else "", key=k) for d, s, k in found]
        )

    async def LoadRecords(self, request: pb.LoadRecordsRequest, context: Context) -> pb.LoadRecordsResponse:
        principal = current_principal.get()
        if principal.kind != "department":
            raise errors.PermissionDenied(
                f"{principal} is not a department; a department loads its own records", reason="ROLE_REQUIRED"
            )
        arrivals = convert.arrivals(principal.code, request.records)
        linked = await asyncio.to_thread(self.masters.ingest, arrivals)
        self._published()
        return pb.LoadRecordsResponse(results=[convert.load_result(item) for item in linked])

    async def GetQualityReport(
        self, request: pb.GetQualityReportRequest, context: Context
    ) -> pb.GetQualityReportResponse:
        rows, masters = await asyncio.to_thread(self.queries.quality)
        return pb.GetQualityReportResponse(rows=[convert.quality_row(row) for row in rows], master_count=masters)
