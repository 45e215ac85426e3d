"""Merges in the masters service's tables (SQLite): what a merged-away master publishes, and in which order."""

from __future__ import annotations

from pathlib import Path

from govmesh.kernel.catalog.standards import make_credit_code
from govmesh.runtime.database import make_engine, migrate
from govmesh.runtime.identity import Principal
from govmesh.runtime.unit_of_work import Database
from govmesh.services.masters.domain.records import Kind, RecordKey
from govmesh.services.masters.main import MIGRATIONS
from govmesh.services.masters.persistence.store import Store
from govmesh.services.masters.usecases import Arrival, Masters

ADMIN = Principal.parse("admin/hub")
CODE = make_credit_code("440106", 704)


def _enterprise(department: str, key: str, **fields: str) -> Arrival:
    return Arrival(RecordKey(department, key), Kind.ENTERPRISE, fields, subject="102.001")


def test_a_chain_of_merges_leads_every_retired_master_to_the_live_one_before_its_new_version(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'masters.db'}")
    migrate(engine, MIGRATIONS, "masters_alembic_version")
    masters = Masters(Store(Database(engine, service="masters")))
    live, middle, first = (
        linked.master_id
        for linked in masters.ingest(
            [
                _enterprise("AIC", "A1", name="广州市恒达贸易有限公司", uscc=CODE, district="440106"),
                _enterprise("QTS", "Q1", name="恒达商贸有限公司", district="440105"),
                _enterprise("LTAX", "L1", name="宏兴物流有限公司", district="440111"),
            ]
        )
    )
    assert len({live, middle, first}) == 3
    for master_id in (live, middle, first):
        masters.mark_published(master_id, 1)

    masters.merge(ADMIN, middle, first, "the same firm")
    masters.merge(ADMIN, live, middle, "the same firm again")

    pending = masters.unpublished()
    assert [item.master_id for item in pending][-1] == live  # the survivor's version after the retirements
    by_id = {item.master_id: item for item in pending}
    assert by_id[first].merged_into == live and by_id[middle].merged_into == live
    assert by_id[live].merged_into == ""
    assert {record.key for record in by_id[first].linked} == {
        RecordKey("AIC", "A1"),
        RecordKey("QTS", "Q1"),
        RecordKey("LTAX", "L1"),
    }
    engine.dispose()
