"""The catalog.v1 servicer: translates each call to one use case and back, nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TypeAlias

import grpc

from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc
from govmesh.kernel.catalog import convert as model_convert
from govmesh.kernel.catalog.model import Version
from govmesh.kernel.catalog.plan import SUBJECT_FIELDS
from govmesh.kernel.catalog.validation import RecordViolation, TypedValue
from govmesh.runtime.errors import ViolationCollector
from govmesh.runtime.identity import current_principal
from govmesh.runtime.paging import page_request
from govmesh.runtime.signals import Signals, wait
from govmesh.services.catalog import convert
from govmesh.services.catalog.usecases import ITEM_FIELDS, Catalog

# grpc ships no type hints; the alias keeps signatures readable.
Context: TypeAlias = grpc.aio.ServicerContext


# The one topic the catalog's watchers wait on: the catalog moved on.
CATALOG_TOPIC = "catalog"


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(self, catalog: Catalog, signals: Signals):
        self.catalog = catalog
        self._signals = signals

    async def ListDepartments(self, request: pb.ListDepartmentsRequest, context: Context) -> pb.ListDepartmentsResponse:
        page = self.catalog.list_departments(page_request(request.page_size, request.page_token))
        return pb.ListDepartmentsResponse(
            departments=[model_convert.department_to_proto(d) for d in page.items],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def GetDepartment(self, request: pb.GetDepartmentRequest, context: Context) -> pb.GetDepartmentResponse:
        (code,) = model_convert.parse_name(request.name, "name", "departments")
        return pb.GetDepartmentResponse(department=model_convert.department_to_proto(self.catalog.get_department(code)))

    async def ListSubjects(self, request: pb.ListSubjectsRequest, context: Context) -> pb.ListSubjectsResponse:
        found = ViolationCollector()
        category = model_convert.CATEGORY.optional(request.category, "category", found)
        found.raise_if_any()
        page = self.catalog.list_subjects(
            page_request(request.page_size, request.page_token),
            provider=request.provider,
            category=category,
            include_deprecated=request.include_deprecated,
        )
        return pb.ListSubjectsResponse(
            subjects=[model_convert.subject_to_proto(s, with_items=request.include_items) for s in page.items],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def GetSubject(self, request: pb.GetSubjectRequest, context: Context) -> pb.GetSubjectResponse:
        code = model_convert.subject_code_of(request.name)
        if request.version:
            subject = await asyncio.to_thread(self.catalog.get_subject, code, request.version)
        else:
            subject = self.catalog.get_subject(code)
        return pb.GetSubjectResponse(subject=model_convert.subject_to_proto(subject))

    async def ListSubjectVersions(
        self, request: pb.ListSubjectVersionsRequest, context: Context
    ) -> pb.ListSubjectVersionsResponse:
        code = model_convert.subject_code_of(request.name)
        page = await asyncio.to_thread(
            self.catalog.list_versions, code, page_request(request.page_size, request.page_token)
        )
        return pb.ListSubjectVersionsResponse(
            versions=[convert.version_to_proto(v) for v in page.items], next_page_token=page.next_page_token
        )

    async def ListItems(self, request: pb.ListItemsRequest, context: Context) -> pb.ListItemsResponse:
        code = model_convert.subject_code_of(request.parent, "parent")
        found = ViolationCollector()
        sharing = model_convert.SHARING.optional(request.sharing_type, "sharing_type", found)
        found.raise_if_any()
        page = self.catalog.list_items(code, page_request(request.page_size, request.page_token), sharing_type=sharing)
        return pb.ListItemsResponse(
            items=[model_convert.item_to_proto(i) for i in page.items],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def GetItem(self, request: pb.GetItemRequest, context: Context) -> pb.GetItemResponse:
        subject_code, item_code = model_convert.parse_name(request.name, "name", "subjects", "items")
        return pb.GetItemResponse(item=model_convert.item_to_proto(self.catalog.get_item(subject_code, item_code)))

    async def Search(self, request: pb.SearchRequest, context: Context) -> pb.SearchResponse:
        found = ViolationCollector()
        sharing = model_convert.SHARING.optional(request.sharing_type, "sharing_type", found)
        kinds = set()
        for n, kind in enumerate(request.kinds):
            if kind not in convert.RESOURCE_KINDS:
                found.add(f"kinds[{n}]", "must be DEPARTMENT, SUBJECT or ITEM")
            else:
                kinds.add(convert.RESOURCE_KINDS[kind])
        found.raise_if_any()
        page = self.catalog.search(
            request.query,
            page_request(request.page_size, request.page_token),
            kinds=frozenset(kinds),
            department=request.department,
            sharing_type=sharing,
        )
        return pb.SearchResponse(
            results=[convert.hit_to_proto(h) for h in page.items],
            next_page_token=page.next_page_token,
            total_size=page.total_size,
        )

    async def GetCatalogStats(self, request: pb.GetCatalogStatsRequest, context: Context) -> pb.GetCatalogStatsResponse:
        departments, subjects, items, per_type, revision = self.catalog.stats()
        return pb.GetCatalogStatsResponse(
            departments=departments,
            subjects=subjects,
            items=items,
            by_sharing_type=[
                pb.SharingTypeCount(sharing_type=model_convert.SHARING.to_proto(t), items=n)  # type: ignore[arg-type]
                for t, n in per_type.items()
            ],
            revision=revision,
        )

    async def ListCatalogChanges(
        self, request: pb.ListCatalogChangesRequest, context: Context
    ) -> pb.ListCatalogChangesResponse:
        code = model_convert.subject_code_of(request.subject, "subject") if request.subject else ""
        page = await asyncio.to_thread(
            self.catalog.list_changes, code, page_request(request.page_size, request.page_token)
        )
        return pb.ListCatalogChangesResponse(
            changes=[convert.catalog_change_to_proto(c) for c in page.items], next_page_token=page.next_page_token
        )

    async def WatchCatalog(
        self, request: pb.WatchCatalogRequest, context: Context
    ) -> AsyncIterator[pb.WatchCatalogResponse]:
        revision = request.after_revision or self.catalog.view.revision
        with self._signals.watch(CATALOG_TOPIC) as moved:
            while True:
                moved.clear()
                changes = await asyncio.to_thread(self.catalog.changes_after, revision)
                for change in changes:
                    revision = change.revision
                    yield pb.WatchCatalogResponse(change=convert.catalog_change_to_proto(change))
                if not changes:
                    await wait(moved, 1.0)

    async def CreateSubject(self, request: pb.CreateSubjectRequest, context: Context) -> pb.CreateSubjectResponse:
        subject = model_convert.subject_from_proto(request.subject)
        result = await asyncio.to_thread(
            self.catalog.create_subject,
            current_principal.get(),
            subject,
            reason=request.reason,
            validate_only=request.validate_only,
        )
        self._signals.fire(CATALOG_TOPIC)
        return pb.CreateSubjectResponse(
            subject=model_convert.subject_to_proto(result.subject),
            change=convert.change_to_proto(result.change),
        )

    async def UpdateSubject(self, request: pb.UpdateSubjectRequest, context: Context) -> pb.UpdateSubjectResponse:
        code = model_convert.subject_code_of(request.subject.name, "subject.name")
        paths = list(request.update_mask.paths) or sorted(SUBJECT_FIELDS)
        fields = convert.subject_fields(request.subject, paths)
        result = await asyncio.to_thread(
            self.catalog.update_subject,
            current_principal.get(),
            code,
            fields,
            reason=request.reason,
            major=request.major,
            validate_only=request.validate_only,
            expected_version=request.expected_version,
        )
        self._signals.fire(CATALOG_TOPIC)
        return pb.UpdateSubjectResponse(
            subject=model_convert.subject_to_proto(result.subject),
            change=convert.change_to_proto(result.change),
        )

    async def DeprecateSubject(
        self, request: pb.DeprecateSubjectRequest, context: Context
    ) -> pb.DeprecateSubjectResponse:
        code = model_convert.subject_code_of(request.name)
        result = await asyncio.to_thread(
            self.catalog.deprecate_subject,
            current_principal.get(),
            code,
            reason=request.reason,
            validate_only=request.validate_only,
        )
        self._signals.fire(CATALOG_TOPIC)
        return pb.DeprecateSubjectResponse(
            subject=model_convert.subject_to_proto(result.subject),
            change=convert.change_to_proto(result.change),
        )

    async def CreateItem(self, request: pb.CreateItemRequest, context: Context) -> pb.CreateItemResponse:
        code = model_convert.subject_code_of(request.parent, "parent")
        found = ViolationCollector()
        item = model_convert.item_from_proto(request.item, code, "item", found)
        found.raise_if_any()
        created, change = await asyncio.to_thread(
            self.catalog.create_item,
            current_principal.get(),
            code,
            item,
            reason=request.reason,
            validate_only=request.validate_only,
        )
        self._signals.fire(CATALOG_TOPIC)
        return pb.CreateItemResponse(item=model_convert.item_to_proto(created), change=convert.change_to_proto(change))

    async def UpdateItem(self, request: pb.UpdateItemRequest, context: Context) -> pb.UpdateItemResponse:
        subject_code, item_code = model_convert.parse_name(request.item.name, "item.name", "subjects", "items")
        paths = list(request.update_mask.paths) or sorted(ITEM_FIELDS)
        fields = convert.item_fields(request.item, paths)
        updated, change = await asyncio.to_thread(
            self.catalog.update_item,
            current_principal.get(),
            subject_code,
            item_code,
            fields,
            reason=request.reason,
            major=request.major,
            validate_only=request.validate_only,
        )
        self._signals.fire(CATALOG_TOPIC)
        return pb.UpdateItemResponse(item=model_convert.item_to_proto(updated), change=convert.change_to_proto(change))

    async def DeprecateItem(self, request: pb.DeprecateItemRequest, context: Context) -> pb.DeprecateItemResponse:
        subject_code, item_code = model_convert.parse_name(request.name, "name", "subjects", "items")
        updated, change = await asyncio.to_thread(
            self.catalog.deprecate_item,
            current_principal.get(),
            subject_code,
            item_code,
            reason=request.reason,
            validate_only=request.validate_only,
        )
        self._signals.fire(CATALOG_TOPIC)
        return pb.DeprecateItemResponse(
            item=model_convert.item_to_proto(updated), change=convert.change_to_proto(change)
        )

    async def ValidateRecords(self, request: pb.ValidateRecordsRequest, context: Context) -> pb.ValidateRecordsResponse:
        code = model_convert.subject_code_of(request.subject, "subject")
        records = [model_convert.record_values(r) for r in request.records]
        version, verdicts = await self._validate(code, request.version, records)
        return pb.ValidateRecordsResponse(
            version=str(version),
            verdicts=[model_convert.verdict_to_proto(n, v) for n, v in enumerate(verdicts)],
            invalid_count=sum(1 for v in verdicts if v),
        )

    async def ValidateRecordStream(
        self, request_iterator: AsyncIterator[pb.ValidateRecordStreamRequest], context: Context
    ) -> AsyncIterator[pb.ValidateRecordStreamResponse]:
        index = 0
        async for request in request_iterator:
            code = model_convert.subject_code_of(request.subject, "subject")
            version, verdicts = await self._validate(
                code, request.version, [model_convert.record_values(request.record)]
            )
            yield pb.ValidateRecordStreamResponse(
                version=str(version), verdict=model_convert.verdict_to_proto(index, verdicts[0])
            )
            index += 1

    async def _validate(
        self, code: str, version: str, records: list[dict[str, TypedValue]]
    ) -> tuple[Version, list[list[RecordViolation]]]:
        # The current version is in memory; an older one may need one read before it is cached.
        if version and not self.catalog.has_cached_version(code, version):
            return await asyncio.to_thread(self.catalog.validate_records, code, version, records)
        return self.catalog.validate_records(code, version, records)
