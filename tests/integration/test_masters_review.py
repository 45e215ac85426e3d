"""The review queue end to end: a doubtful link waits for a person; confirm, split and merge reach subscribers."""

from __future__ import annotations

import grpc
import pytest

from govmesh.contracts.masters.v1 import masters_pb2 as mpb
from govmesh.kernel.catalog.standards import make_credit_code
from tests.integration.exchange_support import subscribe
from tests.integration.helpers import details_of
from tests.integration.mesh import Mesh
from tests.integration.test_masters import MASTER_CODE, MASTER_ID, MASTER_SOURCES, MASTERS, masters_received

MERGED_INTO = "102.090.021"

pytestmark = pytest.mark.timeout(180)


def _sources(record) -> set[str]:  # type: ignore[no-untyped-def]
    return set(record.values[MASTER_SOURCES].string_value.split(";"))


async def _load(mesh: Mesh, department: str, record: mpb.DepartmentRecord) -> mpb.LoadResult:
    reply = await mesh.masters_stub(f"department/{department}").LoadRecords(mpb.LoadRecordsRequest(records=[record]))
    return reply.results[0]


async def test_a_doubtful_link_waits_for_review_and_each_decision_reaches_subscribers(masters_mesh: Mesh) -> None:
    await subscribe(masters_mesh.exchange_stub("department/LTAX"), "ltax-masters", MASTERS)
    enterprise = mpb.ENTITY_KIND_ENTERPRISE
    registered = await _load(
        masters_mesh,
        "AIC",
        mpb.DepartmentRecord(
            key="A1", kind=enterprise, name="广州市恒达贸易有限公司", uscc=make_credit_code("440106", 701),
            address="天河区体育西路101号", legal_rep="李建国", district="440106", established="2009-03-02",
        ),
    )  # fmt: skip
    doubtful = await _load(
        masters_mesh,
        "QTS",
        mpb.DepartmentRecord(key="Q1", kind=enterprise, name="广州恒达贸易有限公司", district="440106"),
    )
    assert doubtful.evidence.method == "review" and doubtful.master != registered.master

    admin, qts = masters_mesh.masters_stub("admin/hub"), masters_mesh.masters_stub("department/QTS")
    (item,) = (await admin.ListReviewItems(mpb.ListReviewItemsRequest())).review_items
    assert (item.department, item.key, item.proposed_master) == ("QTS", "Q1", registered.master)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await qts.ConfirmReviewItem(mpb.ConfirmReviewItemRequest(name=item.name))
    assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED

    confirmed = await admin.ConfirmReviewItem(mpb.ConfirmReviewItemRequest(name=item.name, reason="same address"))
    assert confirmed.review_item.state == mpb.REVIEW_STATE_CONFIRMED
    received = await masters_received(
        masters_mesh, "LTAX", "ltax-masters", lambda got: any(_sources(r) == {"AIC", "QTS"} for r in got)
    )
    assert any(_sources(r) == {"AIC", "QTS"} for r in received)
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await admin.RejectReviewItem(mpb.RejectReviewItemRequest(name=item.name))
    assert again.value.code() is grpc.StatusCode.FAILED_PRECONDITION

    split = await admin.SplitMasterRecord(
        mpb.SplitMasterRecordRequest(
            name=registered.master, records=[mpb.RecordRef(department="QTS", key="Q1")], reason="a different firm"
        )
    )
    assert [r.key for r in split.source.linked_records] == ["A1"]
    assert [r.key for r in split.created.linked_records] == ["Q1"]
    received = await masters_received(
        masters_mesh, "LTAX", "ltax-masters", lambda got: any(_sources(r) == {"AIC"} for r in got)
    )
    assert any(_sources(r) == {"AIC"} for r in received)

    merged = await admin.MergeMasterRecords(
        mpb.MergeMasterRecordsRequest(name=registered.master, absorbed=split.created.name, reason="it was the same")
    )
    assert {r.key for r in merged.master_record.linked_records} == {"A1", "Q1"}
    lifecycle = await admin.GetLifecycle(mpb.GetLifecycleRequest(name=registered.master))
    decisions = [e.summary for e in lifecycle.events if e.department == "INFO"]
    assert [d.split(" by ")[0] for d in decisions] == ["confirmed", "split", "merge"]
    assert all("admin/hub" in d for d in decisions)


async def test_a_rejected_link_keeps_the_records_apart_and_is_shown_in_both_lifecycles(masters_mesh: Mesh) -> None:
    enterprise = mpb.ENTITY_KIND_ENTERPRISE
    registered = await _load(
        masters_mesh,
        "AIC",
        mpb.DepartmentRecord(
            key="A1", kind=enterprise, name="广州市恒达贸易有限公司", uscc=make_credit_code("440106", 702),
            address="天河区体育西路101号", legal_rep="李建国", district="440106",
        ),
    )  # fmt: skip
    doubtful = await _load(
        masters_mesh,
        "QTS",
        mpb.DepartmentRecord(key="Q1", kind=enterprise, name="广州恒达贸易有限公司", district="440106"),
    )
    admin = masters_mesh.masters_stub("admin/hub")
    before = (await admin.GetMasterRecord(mpb.GetMasterRecordRequest(name=doubtful.master))).master_record.version
    (item,) = (await admin.ListReviewItems(mpb.ListReviewItemsRequest())).review_items

    rejected = await admin.RejectReviewItem(mpb.RejectReviewItemRequest(name=item.name, reason="another firm"))

    assert rejected.review_item.state == mpb.REVIEW_STATE_REJECTED
    assert rejected.review_item.decided_by == "admin/hub" and rejected.review_item.reason == "another firm"
    after = (await admin.GetMasterRecord(mpb.GetMasterRecordRequest(name=doubtful.master))).master_record
    assert [r.key for r in after.linked_records] == ["Q1"] and after.version == before + 1
    for name in (registered.master, doubtful.master):
        lifecycle = await admin.GetLifecycle(mpb.GetLifecycleRequest(name=name))
        assert any(e.summary.startswith("rejected by admin/hub") for e in lifecycle.events)
    assert not (await admin.ListReviewItems(mpb.ListReviewItemsRequest())).review_items


async def test_a_merged_away_master_is_published_once_more_leading_to_the_survivor(masters_mesh: Mesh) -> None:
    await subscribe(masters_mesh.exchange_stub("department/LTAX"), "ltax-merged", MASTERS)
    enterprise, code = mpb.ENTITY_KIND_ENTERPRISE, make_credit_code("440106", 703)
    kept = await _load(
        masters_mesh,
        "AIC",
        mpb.DepartmentRecord(
            key="A1", kind=enterprise, name="广州市恒达贸易有限公司", uscc=code,
            address="天河区体育西路101号", legal_rep="李建国", district="440106",
        ),
    )  # fmt: skip
    absorbed = await _load(
        masters_mesh, "QTS", mpb.DepartmentRecord(key="Q1", kind=enterprise, name="恒达商贸有限公司", district="440105")
    )
    assert absorbed.evidence.method == "new"
    kept_id, absorbed_id = kept.master.removeprefix("masters/"), absorbed.master.removeprefix("masters/")

    admin = masters_mesh.masters_stub("admin/hub")
    await admin.MergeMasterRecords(
        mpb.MergeMasterRecordsRequest(name=kept.master, absorbed=absorbed.master, reason="one firm, renamed")
    )

    def _survivor_after_retirement(got: list) -> bool:  # type: ignore[type-arg]
        ids = [r.values[MASTER_ID].string_value for r in got]
        return absorbed_id in ids and any(
            ids[i] == kept_id and _sources(got[i]) == {"AIC", "QTS"} for i in range(ids.index(absorbed_id), len(got))
        )

    received = await masters_received(masters_mesh, "LTAX", "ltax-merged", _survivor_after_retirement)
    assert _survivor_after_retirement(received)
    (retired,) = [r for r in received if r.values[MASTER_ID].string_value == absorbed_id]
    assert retired.values[MERGED_INTO].string_value == kept_id
    assert retired.entity_key == code and retired.values[MASTER_CODE].string_value == code
    assert all(MERGED_INTO not in r.values for r in received if r.values[MASTER_ID].string_value == kept_id)
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await admin.GetMasterRecord(mpb.GetMasterRecordRequest(name=absorbed.master))
    assert gone.value.code() is grpc.StatusCode.NOT_FOUND
    info = details_of(gone.value)["ErrorInfo"]
    assert info.reason == "MERGED" and dict(info.metadata) == {"merged_into": kept.master}  # type: ignore[attr-defined]
