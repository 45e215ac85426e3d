"""Unit tests for batch linking of a department CSV (govmesh.services.masters.batch) with Splink on DuckDB."""

import csv
from pathlib import Path

import pytest

from bench.masters import Generator, pairwise_scores, write_csv
from govmesh.kernel.identifiers import make_credit_code
from govmesh.services.masters import batch, columns
from govmesh.services.masters.batch import INPUT_HEADER, MalformedInputError, link_csv, read_prepared
from govmesh.services.masters.domain.comparisons import default_model
from govmesh.services.masters.domain.records import DepartmentRecord, Kind, prepare
from govmesh.services.masters.splink_model import COLUMNS, estimate_model, predict_links, records_table

HEADER = ",".join(INPUT_HEADER)
CODE = make_credit_code("440106", 4242)
MISTYPED = CODE[:10] + ("7" if CODE[10] != "7" else "8") + CODE[11:]
GOOD_ROWS = [
    f"a1,enterprise,AIC,广州市美华科技有限公司,{CODE},,广州市天河区体育西路123号,张伟,440106,2008-03-05,,",
    f"q7,enterprise,QTS,广州美华科技有限责任公司,{MISTYPED},,天河区体育西路123号,张伟,440106,2008/3/5,,",
    "t3,enterprise,LTB,美华科技有限公司天河分公司,,,天河区体育西路123号,张伟,440106,,,",
    "p1,person,PSB,胡丽娟,,440112751003064,黄埔区中山大道936号,,440112,,1975-10-03,女",
]


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def read_output(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return {row["record_id"]: row for row in csv.DictReader(stream)}


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        ("record_id,kind,name\n", 1, "the header must be"),
        (HEADER + "\n" + GOOD_ROWS[0] + "\n" + "b2,enterprise,AIC,只有五个,字段\n", 3, "expected 12 fields, got 5"),
        (HEADER + "\n" + GOOD_ROWS[0] + "\n" + GOOD_ROWS[1] + ",extra\n", 3, "expected 12 fields, got 13"),
        (HEADER + "\n" + GOOD_ROWS[0].replace("enterprise", "company") + "\n", 2, "kind must be"),
        (HEADER + "\n" + GOOD_ROWS[0] + "\n" + GOOD_ROWS[0] + "\n", 3, "appears twice"),
        (HEADER + "\n" + ",enterprise,AIC,美华,,,,,,,,\n", 2, "record_id is empty"),
        (HEADER + '\n"a1,enterprise\n', 2, "not valid CSV"),
        ("", 1, "the header must be"),
    ],
)
def test_a_malformed_file_is_refused_with_its_line_number_and_nothing_is_written(
    tmp_path: Path, content: str, line: int, problem: str
) -> None:
    source, target = write(tmp_path / "in.csv", content), tmp_path / "out.csv"
    with pytest.raises(MalformedInputError) as raised:
        link_csv(source, target)
    assert raised.value.line == line
    assert problem in raised.value.problem
    assert f"line {line}" in str(raised.value)
    assert list(tmp_path.iterdir()) == [source]


def test_a_file_that_is_not_utf8_is_refused_at_the_line_of_the_first_bad_byte(tmp_path: Path) -> None:
    text = HEADER + "\n" + GOOD_ROWS[0] + "\n" + GOOD_ROWS[2] + "\n"
    source = write(tmp_path / "in.csv", text.encode("utf-8").replace("分公司".encode(), "分公司".encode("gbk")))
    with pytest.raises(MalformedInputError) as raised:
        link_csv(source, tmp_path / "out.csv")
    assert raised.value.line == 3
    assert "not UTF-8" in raised.value.problem
    assert not (tmp_path / "out.csv").exists()


def test_a_good_file_links_variants_keeps_the_branch_apart_and_reports_invalid_identifiers(tmp_path: Path) -> None:
    source = write(tmp_path / "in.csv", "\ufeff" + HEADER + "\n" + "\n".join(GOOD_ROWS) + "\n")
    progress: list[str] = []
    summary = link_csv(source, tmp_path / "out.csv", progress=lambda stage, done, total: progress.append(stage))
    rows = read_output(tmp_path / "out.csv")
    assert list(rows) == ["a1", "q7", "t3", "p1"]
    assert rows["q7"]["master_id"] == rows["a1"]["master_id"] == "enterprise/AIC/a1"
    assert rows["q7"]["match"] == "fellegi_sunter"
    assert float(rows["q7"]["score"]) >= 0.99
    assert "check character" in rows["q7"]["invalid_identifier"]
    assert rows["a1"]["invalid_identifier"] == ""
    assert rows["t3"]["master_id"] != rows["a1"]["master_id"]
    assert rows["t3"]["match"] == "new"
    assert rows["p1"]["master_id"] == "person/PSB/p1"
    assert (summary.records, summary.masters, summary.invalid_identifiers) == (4, 3, 1)
    assert {"read", "link", "write"} <= set(progress)


def test_records_sharing_a_valid_identifier_are_linked_by_the_rule(tmp_path: Path) -> None:
    rows = [
        f"a1,enterprise,AIC,美华科技有限公司,{CODE},,,,,,,",
        f"b1,enterprise,NTB,宏达贸易有限公司,{CODE.lower()},,番禺区市桥街1号,李四,440113,,,",
    ]
    source = write(tmp_path / "in.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    link_csv(source, tmp_path / "out.csv")
    out = read_output(tmp_path / "out.csv")
    assert out["b1"]["master_id"] == out["a1"]["master_id"]
    assert out["b1"]["match"] == "exact_credit_code"


def test_splink_em_trained_on_a_small_labelled_set_links_it_accurately(tmp_path: Path) -> None:
    records = Generator(seed=7).dataset(400)
    write_csv(records, tmp_path / "train.csv")
    prepared = read_prepared(tmp_path / "train.csv")
    table = prepared.table()
    enterprises = table.filter([kind is Kind.ENTERPRISE for kind in prepared.kinds])
    model = estimate_model(enterprises, Kind.ENTERPRISE, max_pairs=2e5)
    name = model.weights["name"]
    assert name[0].m > name[0].u * 100  # an exact core name is strong evidence
    assert model.weights["industry"][1].m < model.weights["industry"][1].u  # a different industry is against
    heldout = Generator(seed=8).dataset(400)
    write_csv(heldout, tmp_path / "heldout.csv")
    link_csv(
        tmp_path / "heldout.csv",
        tmp_path / "out.csv",
        models={Kind.ENTERPRISE: model, Kind.PERSON: default_model(Kind.PERSON)},
    )
    out = read_output(tmp_path / "out.csv")
    scores = pairwise_scores(
        [item.entity for item in heldout], [out[item.record.record_id]["master_id"] for item in heldout]
    )
    assert scores["precision"] >= 0.99
    assert scores["recall"] >= 0.9


def test_the_file_is_prepared_exactly_as_each_record_would_be_on_its_own(tmp_path: Path) -> None:
    # The batch normalises each distinct value once, column-wise; the service prepares record by record.
    records = Generator(7).dataset(400)
    write_csv(records, tmp_path / "in.csv")
    prepared = read_prepared(tmp_path / "in.csv")
    rows = prepared.table().to_pylist()
    assert prepared.problems == [prepare(item.record).identifier_problem for item in records]
    for row, item in zip(rows, records, strict=True):
        expected = prepare(item.record)
        assert row == {"unique_id": row["unique_id"], **{name: getattr(expected, name) for name in COLUMNS}}


def test_values_with_spaces_around_them_are_read_as_without(tmp_path: Path) -> None:
    padded = " p1 , person , PSB , 胡丽娟 ,, 440112751003064 , 黄埔区中山大道936号 ,, 440112 ,, 1975-10-03 , 女 "
    prepared = read_prepared(write(tmp_path / "in.csv", HEADER + "\n" + padded + "\n"))
    plain = read_prepared(write(tmp_path / "plain.csv", HEADER + "\n" + GOOD_ROWS[3] + "\n"))
    assert prepared.keys == [("PSB", "p1")]
    assert prepared.table().to_pylist() == plain.table().to_pylist()


def test_worker_processes_prepare_the_same_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_csv(Generator(8).dataset(300), tmp_path / "in.csv")
    alone = read_prepared(tmp_path / "in.csv")
    monkeypatch.setattr(batch, "_PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(columns, "_PARALLEL_FROM", 1)
    pooled = read_prepared(tmp_path / "in.csv")
    assert pooled.table().equals(alone.table())
    assert pooled.problems == alone.problems


def test_a_block_larger_than_the_cap_is_left_out_of_its_rule_and_a_smaller_one_is_not() -> None:
    # Only the name is known, so the name rule is the only way in: four share one name, two another.
    names = ["美华科技有限公司"] * 4 + ["宏达贸易有限公司"] * 2
    records = [
        prepare(DepartmentRecord(kind=Kind.ENTERPRISE, department="AIC", record_id=f"r{n}", name=name))
        for n, name in enumerate(names)
    ]
    table = records_table(records)
    model = default_model(Kind.ENTERPRISE)
    capped = {(left, right) for left, right, _ in predict_links(table, model, 0.0, max_block=3)}
    assert capped == {(4, 5)}
    uncapped = {(left, right) for left, right, _ in predict_links(table, model, 0.0, max_block=4)}
    assert uncapped == {(a, b) for a in range(4) for b in range(a + 1, 4)} | {(4, 5)}
