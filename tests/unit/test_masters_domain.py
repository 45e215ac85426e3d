"""Master records' pure rules: calibrated values, differences, subject mapping, review decisions, quality shares."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from govmesh.kernel.catalog.model import SharingType
from govmesh.kernel.catalog.standards import make_credit_code
from govmesh.kernel.identifiers import make_citizen_id
from govmesh.services.catalog.domain.compatibility import diff_subjects
from govmesh.services.catalog.usecases import load_seed
from govmesh.services.masters.domain.masters import (
    LinkedRecord,
    ReviewClosed,
    ReviewItem,
    ReviewState,
    calibrate,
    differences,
)
from govmesh.services.masters.domain.records import Kind, RecordKey
from govmesh.services.masters.domain.rules import Evidence
from govmesh.services.masters.domain.subjects import (
    MASTER_SUBJECTS,
    MERGED_INTO_ITEMS,
    kind_of_subject,
    master_values,
    subject_fields,
)
from govmesh.services.masters.queries import quality_rows

CODE = make_credit_code("440106", 42)
T0 = dt.datetime(2009, 3, 2, tzinfo=dt.UTC)


def linked(department: str, minutes: int = 0, master: str = "M1", invalid: str = "", **fields: str) -> LinkedRecord:
    return LinkedRecord(
        key=RecordKey(department, f"{department}-1"),
        kind=Kind.ENTERPRISE,
        subject="102.001",
        fields=fields,
        master_id=master,
        evidence=Evidence("new", 1.0),
        invalid_identifier=invalid,
        updated_at=T0 + dt.timedelta(minutes=minutes),
    )


def test_the_master_takes_the_value_most_departments_agree_on_in_any_written_form() -> None:
    records = [
        linked("AIC", 0, name="广州市恒达贸易有限公司", address="天河区体育西路101号"),
        linked("QTS", 1, name="广州恒达贸易有限公司", address="天河区体育西路一〇一号"),
        linked("LTAX", 2, name="广州市恒达贸易有限责任公司", address="天河区天河路1号"),
    ]
    master = calibrate(Kind.ENTERPRISE, records)
    assert master["address"] in {"天河区体育西路101号", "天河区体育西路一〇一号"}
    assert differences(Kind.ENTERPRISE, master, records).get("address", {}).keys() == {RecordKey("LTAX", "LTAX-1")}


def test_a_mistyped_identifier_never_becomes_the_masters() -> None:
    records = [linked("AIC", 0, uscc=CODE), linked("QTS", 5, uscc=CODE[:-1] + "0", invalid="check character")]
    assert calibrate(Kind.ENTERPRISE, records)["uscc"] == CODE


def test_a_missing_value_is_no_difference() -> None:
    records = [linked("AIC", name="恒达贸易有限公司", legal_rep="李建国"), linked("QTS", name="恒达贸易有限公司")]
    assert differences(Kind.ENTERPRISE, calibrate(Kind.ENTERPRISE, records), records) == {}


def test_subjects_are_read_by_their_item_names_and_master_subjects_are_not_learned_from() -> None:
    items = [("102.010.001", "Organization code"), ("102.010.003", "Organization name"), ("102.010.007", "Address")]
    mapping = subject_fields("102.010", items)
    assert mapping is not None and mapping.kind is Kind.ENTERPRISE
    assert mapping.read({"102.010.003": "恒达", "102.010.007": ""}) == {"name": "恒达"}
    assert kind_of_subject("102.090") is None and kind_of_subject("301.001") is None
    assert subject_fields("101.001", [("101.001.009", "Remarks")]) is None


def test_a_master_without_a_valid_identifier_is_not_published_as_a_master_subject_record() -> None:
    fields = {"name": "广州市恒达贸易有限公司", "district": "440106"}
    assert master_values(Kind.ENTERPRISE, "M1", fields, [], ["AIC"], 1, T0.date()) is None
    values = master_values(Kind.ENTERPRISE, "M1", {**fields, "uscc": CODE}, ["甲", "乙"], ["QTS", "AIC"], 3, T0.date())
    assert values is not None and values.entity_key == CODE
    assert values.strings["102.090.018"] == "AIC;QTS" and values.integers["102.090.020"] == 3


def test_a_merged_away_master_says_which_master_absorbed_it_and_a_live_one_says_nothing() -> None:
    fields = {"name": "广州市恒达贸易有限公司", "district": "440106", "uscc": CODE}
    gone = master_values(Kind.ENTERPRISE, "M2", fields, [], ["AIC"], 4, T0.date(), merged_into="M1")
    live = master_values(Kind.ENTERPRISE, "M1", fields, [], ["AIC"], 5, T0.date())
    assert gone is not None and live is not None
    assert gone.strings["102.090.001"] == "M2" and gone.strings[MERGED_INTO_ITEMS[Kind.ENTERPRISE]] == "M1"
    assert MERGED_INTO_ITEMS[Kind.ENTERPRISE] not in live.strings
    person = {"name": "张伟", "id_number": make_citizen_id("440106", dt.date(1975, 10, 3), 64)}
    merged_person = master_values(Kind.PERSON, "M4", person, [], ["PSB"], 2, T0.date(), merged_into="M3")
    assert merged_person is not None and merged_person.strings[MERGED_INTO_ITEMS[Kind.PERSON]] == "M3"


@pytest.mark.parametrize(("code", "item"), sorted((MASTER_SUBJECTS[kind], MERGED_INTO_ITEMS[kind]) for kind in Kind))
def test_merged_into_is_an_optional_item_added_by_a_minor_version_of_the_shipped_master_subject(
    code: str, item: str
) -> None:
    subject = next(s for s in load_seed()[1] if s.code == code)
    added = next(i for i in subject.items if i.code == item)
    assert (subject.version.major, subject.version.minor) == (1, 1)
    assert not added.required and added.sharing_type is SharingType.UNCONDITIONAL
    before = dataclasses.replace(subject, items=tuple(i for i in subject.items if i.code != item))
    assert [change.path for change in diff_subjects(before, subject)] == [f"items/{item}"]
    assert not any(change.breaking for change in diff_subjects(before, subject))


def test_a_review_item_is_decided_once() -> None:
    item = ReviewItem(1, RecordKey("QTS", "Q"), "M2", "M1", Evidence("fellegi_sunter", 0.9), ReviewState.OPEN, T0)
    decided = item.decide(ReviewState.CONFIRMED, "admin/hub", "same", T0)
    assert (decided.state, decided.decided_by) == (ReviewState.CONFIRMED, "admin/hub")
    with pytest.raises(ReviewClosed):
        decided.decide(ReviewState.REJECTED, "admin/hub", "", T0)


def test_quality_counts_invalid_identifiers_disagreements_and_unmatched_records_per_department() -> None:
    records = [
        linked("AIC", 0, "M1", name="恒达贸易有限公司", legal_rep="李建国"),
        linked("QTS", 1, "M1", name="恒达贸易有限公司", legal_rep="李建国"),
        linked("LTAX", 2, "M1", name="恒达贸易有限公司", legal_rep="王五", invalid="check"),
        LinkedRecord(
            RecordKey("LTAX", "x"), Kind.ENTERPRISE, "102.001", {"name": "新星五金厂"}, "M2", Evidence("new", 1)
        ),
    ]
    rows = {row.department: row for row in quality_rows(records, [])}
    assert rows["LTAX"].invalid_identifier_share == 0.5
    assert rows["LTAX"].disagreement_shares == {"legal_rep": 0.5}
    assert rows["LTAX"].unmatched == 1 and rows["AIC"].unmatched == 0
