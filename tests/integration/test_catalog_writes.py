"""Changing the catalog: roles from certificates, versions with diffs and audit, compatibility rules."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import field_mask_pb2

from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.kernel.catalog.standards import make_credit_code
from tests.integration.helpers import details_of, reason_of, violated_fields
from tests.integration.mesh import Mesh

MAINTAINER = "maintainer/ops"


def _new_item(code: str, **overrides: object) -> pb.DataItem:
    fields: dict[str, object] = {
        "code": code,
        "name_zh": "经营场所面积",
        "name_en": "Business premises area",
        "data_type": pb.DATA_TYPE_DECIMAL,
        "length": 12,
        "scale": 2,
        "sharing_type": pb.SHARING_TYPE_CONDITIONAL,
        "sharing_conditions": "用于场所核查",
        "sensitivity": pb.SENSITIVITY_LEVEL_INTERNAL,
    }
    fields.update(overrides)
    return pb.DataItem(**fields)  # type: ignore[arg-type]


async def _subject(mesh: Mesh, code: str = "102.001") -> pb.Subject:
    return (await mesh.catalog_stub().GetSubject(pb.GetSubjectRequest(name=f"subjects/{code}"))).subject


async def test_a_department_cannot_change_the_catalog_and_nothing_changes(mesh: Mesh) -> None:
    before = await _subject(mesh)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await mesh.catalog_stub("department/AIC").CreateItem(
            pb.CreateItemRequest(parent="subjects/102.001", item=_new_item("102.001.900"), reason="try")
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert reason_of(caught.value) == "ROLE_REQUIRED"
    assert await _subject(mesh) == before


async def test_identity_metadata_sent_by_a_caller_is_not_believed(mesh: Mesh) -> None:
    stub = mesh.catalog_stub("department/AIC")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CreateItem(
            pb.CreateItemRequest(parent="subjects/102.001", item=_new_item("102.001.901"), reason="spoof"),
            metadata=(("x-govmesh-principal", "maintainer/ops"),),
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_adding_an_optional_item_makes_a_minor_version_with_a_diff_and_an_audit_entry(mesh: Mesh) -> None:
    stub = mesh.catalog_stub(MAINTAINER)
    reply = await stub.CreateItem(
        pb.CreateItemRequest(parent="subjects/102.001", item=_new_item("102.001.900"), reason="场所核查需要")
    )
    assert reply.change.from_version == "1.0" and reply.change.to_version == "1.1"
    assert not reply.change.breaking
    assert [c.path for c in reply.change.changes] == ["items/102.001.900"]
    subject = await _subject(mesh)
    assert subject.version == "1.1" and subject.items[-1].code == "102.001.900"
    changes = await stub.ListCatalogChanges(pb.ListCatalogChangesRequest(subject="subjects/102.001", page_size=5))
    newest = changes.changes[0]
    assert (newest.principal, newest.action, newest.reason) == (MAINTAINER, "create_item", "场所核查需要")
    versions = await stub.ListSubjectVersions(pb.ListSubjectVersionsRequest(name="subjects/102.001"))
    assert [v.version for v in versions.versions] == ["1.1", "1.0"]
    old = await stub.GetSubject(pb.GetSubjectRequest(name="subjects/102.001", version="1.0"))
    assert all(i.code != "102.001.900" for i in old.subject.items)


async def test_a_breaking_change_is_refused_without_a_major_version_and_nothing_changes(mesh: Mesh) -> None:
    stub = mesh.catalog_stub(MAINTAINER)
    before = await _subject(mesh)
    target = next(i for i in before.items if i.sharing_type == pb.SHARING_TYPE_UNCONDITIONAL)
    tightened = pb.DataItem(
        name=target.name, sharing_type=pb.SHARING_TYPE_NOT_SHARED, sharing_conditions="敏感", open_to_public=False
    )
    mask = field_mask_pb2.FieldMask(paths=["sharing_type", "sharing_conditions", "open_to_public"])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.UpdateItem(pb.UpdateItemRequest(item=tightened, update_mask=mask, reason="收紧"))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert reason_of(caught.value) == "BREAKING_CHANGE"
    failure = details_of(caught.value)["PreconditionFailure"]
    assert f"items/{target.code}/sharing_type" in [v.subject for v in failure.violations]  # type: ignore[attr-defined]
    assert await _subject(mesh) == before

    reply = await stub.UpdateItem(pb.UpdateItemRequest(item=tightened, update_mask=mask, reason="收紧", major=True))
    assert reply.change.to_version == "2.0" and reply.change.breaking
    assert reply.item.sharing_type == pb.SHARING_TYPE_NOT_SHARED


async def test_validate_only_computes_the_change_without_saving_it(mesh: Mesh) -> None:
    stub = mesh.catalog_stub(MAINTAINER)
    before = await _subject(mesh)
    reply = await stub.CreateItem(
        pb.CreateItemRequest(
            parent="subjects/102.001", item=_new_item("102.001.902"), reason="plan", validate_only=True
        )
    )
    assert reply.change.to_version == "1.1"
    assert await _subject(mesh) == before


async def test_an_invalid_item_definition_reports_every_bad_field_and_changes_nothing(mesh: Mesh) -> None:
    stub = mesh.catalog_stub(MAINTAINER)
    before = await _subject(mesh)
    bad = _new_item("999.1", data_type=pb.DATA_TYPE_ENUM, name_en="", sharing_conditions="", scale=2)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CreateItem(pb.CreateItemRequest(parent="subjects/102.001", item=bad, reason="bad"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = violated_fields(caught.value)
    for suffix in ("code", "name_en", "enum_values", "scale", "sharing_conditions"):
        assert any(f.endswith(suffix) for f in fields), (suffix, fields)
    assert await _subject(mesh) == before


async def test_a_change_needs_a_reason(mesh: Mesh) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await mesh.catalog_stub(MAINTAINER).DeprecateItem(
            pb.DeprecateItemRequest(name="subjects/102.001/items/102.001.001")
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(caught.value) == ["reason"]


async def test_creating_a_subject_that_exists_is_already_exists(mesh: Mesh) -> None:
    existing = await _subject(mesh)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await mesh.catalog_stub(MAINTAINER).CreateSubject(pb.CreateSubjectRequest(subject=existing, reason="again"))
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_a_new_subject_starts_at_1_0_and_its_records_validate(mesh: Mesh) -> None:
    stub = mesh.catalog_stub(MAINTAINER)
    subject = pb.Subject(
        code="399.001",
        name_zh="试点企业名录",
        name_en="Pilot enterprise list",
        provider="AIC",
        abstract="试点",
        category=pb.SUBJECT_CATEGORY_DEPARTMENTAL,
        update_cycle=pb.UPDATE_CYCLE_MONTHLY,
        release_date="2009-01-01",
        items=[
            pb.DataItem(
                code="399.001.001",
                name_zh="统一社会信用代码",
                name_en="Unified social credit code",
                data_type=pb.DATA_TYPE_STRING,
                length=18,
                format_standard=pb.FORMAT_STANDARD_CREDIT_CODE,
                required=True,
                sharing_type=pb.SHARING_TYPE_UNCONDITIONAL,
                sensitivity=pb.SENSITIVITY_LEVEL_PUBLIC,
            )
        ],
    )
    created = await stub.CreateSubject(pb.CreateSubjectRequest(subject=subject, reason="试点"))
    assert created.subject.version == "1.0"
    good = make_credit_code("440104", 7)
    broken = good[:-1] + ("1" if good[-1] != "1" else "2")
    verdicts = await stub.ValidateRecords(
        pb.ValidateRecordsRequest(
            subject="subjects/399.001",
            records=[
                pb.RecordValues(values={"399.001.001": pb.FieldValue(string_value=good)}),
                pb.RecordValues(values={"399.001.001": pb.FieldValue(string_value=broken)}),
                pb.RecordValues(),
            ],
        )
    )
    assert [v.valid for v in verdicts.verdicts] == [True, False, False]
    assert [v.reason for v in verdicts.verdicts[1].violations] == ["FORMAT"]
    assert [v.reason for v in verdicts.verdicts[2].violations] == ["REQUIRED"]
    assert verdicts.invalid_count == 2
