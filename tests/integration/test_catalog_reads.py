"""Reading the catalog through the gateway: the shipped catalog, lookups, search, pagination, bad input."""

from __future__ import annotations

import grpc
import pytest

from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from tests.integration.helpers import details_of, violated_fields
from tests.integration.mesh import Mesh


async def test_the_shipped_catalog_has_46_departments_269_subjects_and_4537_items(mesh: Mesh) -> None:
    stats = await mesh.catalog_stub().GetCatalogStats(pb.GetCatalogStatsRequest())
    assert (stats.departments, stats.subjects, stats.items) == (46, 269, 4537)
    per_type = {c.sharing_type: c.items for c in stats.by_sharing_type}
    assert sum(per_type.values()) == 4537
    assert all(
        per_type[t] > 0
        for t in (pb.SHARING_TYPE_UNCONDITIONAL, pb.SHARING_TYPE_CONDITIONAL, pb.SHARING_TYPE_NOT_SHARED)
    )


async def test_a_second_start_on_the_same_database_finds_the_catalog_already_there(
    mesh: Mesh, database_url: str
) -> None:
    from govmesh.services.catalog import main as catalog_main

    again = await catalog_main.build(mesh.settings, database_url)
    port = await again.start("127.0.0.1:0")
    try:
        from govmesh.contracts.catalog.v1 import catalog_pb2_grpc

        channel = mesh.internal_channel(f"127.0.0.1:{port}", "catalog", "service/gateway")
        stats = await catalog_pb2_grpc.CatalogServiceStub(channel).GetCatalogStats(pb.GetCatalogStatsRequest())
        assert (stats.departments, stats.subjects, stats.items) == (46, 269, 4537)
        first = await mesh.catalog_stub().GetCatalogStats(pb.GetCatalogStatsRequest())
        assert stats.revision == first.revision
    finally:
        await again.stop(0.5)


async def test_a_subject_comes_with_its_items_and_each_item_is_found_by_its_name(mesh: Mesh) -> None:
    stub = mesh.catalog_stub()
    subject = (await stub.GetSubject(pb.GetSubjectRequest(name="subjects/102.001"))).subject
    assert subject.provider == "AIC" and subject.version == "1.0" and len(subject.items) >= 5
    first = subject.items[0]
    item = (await stub.GetItem(pb.GetItemRequest(name=first.name))).item
    assert item == first


async def test_departments_list_city_level_first_and_page_without_gaps(mesh: Mesh) -> None:
    stub = mesh.catalog_stub()
    seen: list[pb.Department] = []
    token = ""
    while True:
        page = await stub.ListDepartments(pb.ListDepartmentsRequest(page_size=7, page_token=token))
        assert page.total_size == 46
        seen.extend(page.departments)
        token = page.next_page_token
        if not token:
            break
    assert len({d.code for d in seen}) == 46
    levels = [d.level for d in seen]
    assert levels == sorted(levels)
    assert sum(1 for d in seen if d.level == pb.DEPARTMENT_LEVEL_DISTRICT) == 12


async def test_items_can_be_listed_across_all_subjects_by_sharing_type(mesh: Mesh) -> None:
    stub = mesh.catalog_stub()
    page = await stub.ListItems(
        pb.ListItemsRequest(parent="subjects/-", sharing_type=pb.SHARING_TYPE_NOT_SHARED, page_size=1000)
    )
    assert page.total_size > 0
    assert all(i.sharing_type == pb.SHARING_TYPE_NOT_SHARED for i in page.items)


async def test_search_puts_the_exact_code_first(mesh: Mesh) -> None:
    reply = await mesh.catalog_stub().Search(pb.SearchRequest(query="102.001", page_size=10))
    assert reply.results[0].code == "102.001"
    assert reply.results[0].match == pb.MATCH_KIND_EXACT_CODE
    assert reply.total_size > 1  # its items share the prefix


async def test_search_finds_items_by_chinese_name_and_filters_by_department(mesh: Mesh) -> None:
    reply = await mesh.catalog_stub().Search(
        pb.SearchRequest(query="统一社会信用代码", department="AIC", kinds=[pb.RESOURCE_KIND_ITEM], page_size=50)
    )
    assert reply.results
    assert all(r.department == "AIC" and r.kind == pb.RESOURCE_KIND_ITEM for r in reply.results)
    assert reply.results[0].match in (pb.MATCH_KIND_EXACT_NAME, pb.MATCH_KIND_PREFIX)


async def test_an_unknown_subject_is_not_found_with_the_resource_named(mesh: Mesh) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await mesh.catalog_stub().GetSubject(pb.GetSubjectRequest(name="subjects/999.999"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert details_of(caught.value)["ResourceInfo"].resource_name == "subjects/999.999"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("call", "request_message", "field"),
    [
        ("GetItem", pb.GetItemRequest(name="items/102.001.001"), "name"),
        ("GetSubject", pb.GetSubjectRequest(name="subjects/102.001", version="one"), "version"),
        ("ListSubjects", pb.ListSubjectsRequest(page_size=-1), "page_size"),
        ("ListSubjects", pb.ListSubjectsRequest(page_token="not-a-token"), "page_token"),
        ("Search", pb.SearchRequest(query="   "), "query"),
        ("ListItems", pb.ListItemsRequest(parent="subjects/-", sharing_type=42), "sharing_type"),  # type: ignore[arg-type]
    ],
)
async def test_malformed_requests_are_invalid_argument_with_the_field_named(
    mesh: Mesh, call: str, request_message: object, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await getattr(mesh.catalog_stub(), call)(request_message)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in violated_fields(caught.value)


async def test_an_old_version_of_a_subject_is_not_found_when_it_never_existed(mesh: Mesh) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await mesh.catalog_stub().GetSubject(pb.GetSubjectRequest(name="subjects/102.001", version="7.3"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
