"""Retention as a catalog property: how it is written, read back, compared, and what it lets the exchange remove."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govmesh.kernel.catalog.convert import subject_from_proto, subject_to_proto
from govmesh.kernel.catalog.files import read_subject, write_catalog_dir
from govmesh.kernel.catalog.model import Subject, format_retention, parse_retention
from govmesh.runtime.errors import InvalidArgument
from govmesh.services.catalog.domain.compatibility import diff_subjects
from govmesh.services.exchange.retention import cutoffs
from tests.unit.builders import subject

FIVE_YEARS = dt.timedelta(days=5 * 365)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5y", FIVE_YEARS), ("1825d", FIVE_YEARS), ("12h", dt.timedelta(hours=12)), ("90s", dt.timedelta(seconds=90))],
)
def test_retention_reads_years_days_hours_minutes_and_seconds(text: str, expected: dt.timedelta) -> None:
    assert parse_retention(text) == expected


@pytest.mark.parametrize("text", ["", "0d", "-3d", "5 years", "1.5d", "d", "5w"])
def test_anything_else_is_refused_with_the_forms_it_takes(text: str) -> None:
    with pytest.raises(ValueError, match="1825d, 5y"):
        parse_retention(text)


@given(st.integers(min_value=1, max_value=10**9))
def test_every_whole_number_of_seconds_is_written_in_a_form_that_reads_back_the_same(seconds: int) -> None:
    value = dt.timedelta(seconds=seconds)
    assert parse_retention(format_retention(value)) == value


@given(st.text(max_size=12))
def test_no_text_reads_as_a_retention_that_is_not_positive(text: str) -> None:
    try:
        value = parse_retention(text)
    except ValueError:
        return
    assert value.total_seconds() >= 1


def test_changing_retention_is_a_minor_change_either_way() -> None:
    kept, limited = subject(), subject(retention=FIVE_YEARS)
    for old, new in ((kept, limited), (limited, kept)):
        [change] = diff_subjects(old, new)
        assert change.path == "retention" and not change.breaking
    assert [(c.before, c.after) for c in diff_subjects(kept, limited)] == [("forever", "5y")]


def test_retention_survives_the_catalog_files_the_contract_and_the_stored_document(tmp_path: Path) -> None:
    limited = subject(retention=FIVE_YEARS)
    write_catalog_dir(tmp_path, [], [limited])
    assert "retention: 5y" in (tmp_path / "subjects" / f"{limited.code}.yaml").read_text(encoding="utf-8")
    read, errors = read_subject(tmp_path / "subjects" / f"{limited.code}.yaml")
    assert errors == [] and read is not None and read.retention == FIVE_YEARS
    assert subject_from_proto(subject_to_proto(limited)).retention == FIVE_YEARS
    assert Subject.from_document(limited.to_document()).retention == FIVE_YEARS
    assert subject_from_proto(subject_to_proto(subject())).retention is None


def test_a_bad_retention_in_a_file_is_reported_on_its_line(tmp_path: Path) -> None:
    write_catalog_dir(tmp_path, [], [subject()])
    path = next((tmp_path / "subjects").glob("*.yaml"))
    path.write_text(path.read_text(encoding="utf-8").replace("items:", "retention: forever\nitems:"), encoding="utf-8")
    _, errors = read_subject(path)
    assert len(errors) == 1 and "retention" in errors[0].message
    assert errors[0].line == next(n for n, line in enumerate(path.read_text().splitlines(), 1) if "retention" in line)


def test_a_retention_under_a_second_is_refused_by_the_contract() -> None:
    message = subject_to_proto(subject())
    message.retention.nanos = 1000
    with pytest.raises(InvalidArgument) as refused:
        subject_from_proto(message)
    assert [v.field for v in refused.value.violations] == ["subject.retention"]


def test_only_subjects_with_a_retention_get_a_cutoff() -> None:
    now = dt.datetime(2009, 3, 2, tzinfo=dt.UTC)
    found = cutoffs([subject(), subject(code="102.002", retention=dt.timedelta(days=30))], now)
    assert found == {"102.002": dt.datetime(2009, 1, 31, tzinfo=dt.UTC)}
