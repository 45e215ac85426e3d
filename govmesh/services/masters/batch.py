"""Batch linking of a department's CSV file into master records, with Splink on DuckDB (blocked, not all pairs)."""

import csv
import io
import multiprocessing
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from govmesh.kernel.names import company_forms_compatible
from govmesh.services.masters.columns import PREPARED_SCHEMA, ValueCache, prepare_batch
from govmesh.services.masters.domain.comparisons import LinkageModel
from govmesh.services.masters.domain.records import DepartmentRecord, Kind
from govmesh.services.masters.domain.rules import MODEL_NAME, Thresholds, identifier_rule
from govmesh.services.masters.splink_model import estimate_model, predict_links
from govmesh.services.masters.trained import load_models

__all__ = [
    "INPUT_HEADER",
    "OUTPUT_HEADER",
    "BatchSummary",
    "MalformedInputError",
    "ProgressCallback",
    "link_csv",
    "link_table",
    "read_prepared",
]

INPUT_HEADER: Final = (
    "record_id", "kind", "department", "name", "uscc", "id_number", "address",
    "legal_rep", "district", "established", "birth_date", "gender",
)  # fmt: skip
OUTPUT_HEADER: Final = ("record_id", "department", "master_id", "match", "score", "invalid_identifier", "review_with")
_REQUIRED: Final = ("record_id", "kind", "department", "name")
# Arrow reads the file in blocks of this size: memory holds one block of raw text at a time.
_BLOCK_BYTES: Final = 8 << 20
# Below this file size, starting worker processes costs more than it saves.
_PARALLEL_FROM_BYTES: Final = 4 << 20
# Only for the progress bar's total: a record line is about this long.
_BYTES_PER_RECORD_GUESS: Final = 130

ProgressCallback = Callable[[str, int, int], None]
"""Called as (stage, done, total) while a batch runs; total is 0 when not known in advance."""


class MalformedInputError(ValueError):
    """The input file cannot be linked as it is; `line` is the 1-based line of the first problem."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


def _no_progress(stage: str, done: int, total: int) -> None:
    del stage, done, total


def _decoded_lines(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise MalformedInputError(line, f"not UTF-8 (byte 0x{raw[error.start]:02x})") from error


def _record_from_row(row: list[str], line: int) -> DepartmentRecord:
    if len(row) != len(INPUT_HEADER):
        raise MalformedInputError(line, f"expected {len(INPUT_HEADER)} fields, got {len(row)}")
    values = dict(zip(INPUT_HEADER, (value.strip() for value in row), strict=True))
    for name in _REQUIRED:
        if not values[name]:
            raise MalformedInputError(line, f"{name} is empty")
    try:
        kind = Kind(values.pop("kind"))
    except ValueError:
        raise MalformedInputError(line, f"kind must be 'person' or 'enterprise', got {row[1]!r}") from None
    return DepartmentRecord(kind=kind, **values)


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or tuple(name.strip() for name in header) != INPUT_HEADER:
            raise MalformedInputError(1, f"the header must be {','.join(INPUT_HEADER)}")
        for row in reader:
            if row:
                yield reader.line_num, row
    except csv.Error as error:
        raise MalformedInputError(reader.line_num, f"not valid CSV ({error})") from error


@dataclass
class _Prepared:
    """Prepared records held column-wise (Arrow) so that a million of them stay small."""

    tables: list[pa.Table] = field(default_factory=list)
    departments: list[pa.Array] = field(default_factory=list)
    record_ids: list[pa.Array] = field(default_factory=list)
    kind_values: list[pa.Array] = field(default_factory=list)
    problem_values: list[pa.Array] = field(default_factory=list)
    count: int = 0

    def add(self, table: pa.Table, keys: tuple[pa.Array, pa.Array, pa.Array], problems: pa.Array) -> None:
        self.tables.append(table)
        self.departments.append(keys[0])
        self.record_ids.append(keys[1])
        self.kind_values.append(keys[2])
        self.problem_values.append(problems)
        self.count += table.num_rows

    def table(self) -> pa.Table:
        return pa.concat_tables(self.tables) if self.tables else PREPARED_SCHEMA.empty_table()

    def kind_column(self) -> pa.ChunkedArray:
        return pa.chunked_array(self.kind_values, pa.string())

    @property
    def kinds(self) -> list[Kind]:
        return [Kind(value) for value in self.kind_column().to_pylist()]

    @property
    def keys(self) -> list[tuple[str, str]]:
        departments = pa.chunked_array(self.departments, pa.string()).to_pylist()
        return list(zip(departments, pa.chunked_array(self.record_ids, pa.string()).to_pylist(), strict=True))

    @property
    def problems(self) -> list[str | None]:
        problems: list[str | None] = pa.chunked_array(self.problem_values, pa.string()).to_pylist()
        return problems


def _exact_batches(text: str) -> Iterator[pa.RecordBatch]:
    """The rows read the exact, row-by-row way: MalformedInputError at the first bad line."""
    seen: set[tuple[str, str]] = set()
    rows: list[list[str]] = []
    for line, row in _rows(text):
        record = _record_from_row(row, line)
        if record.key in seen:
            raise MalformedInputError(line, f"record {record.department}/{record.record_id} appears twice")
        seen.add(record.key)
        rows.append(row)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(INPUT_HEADER)
    yield pa.record_batch([pa.array(column, pa.string()) for column in columns], names=list(INPUT_HEADER))


def _raw_batches(path: Path) -> Iterator[pa.RecordBatch]:
    # Every column as text, empty as "", so that the fields are exactly what the file says.
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=_BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(INPUT_HEADER, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    if tuple(name.strip() for name in reader.schema.names) != INPUT_HEADER:
        raise _NeedsExactCheck
    yield from reader


class _NeedsExactCheck(Exception):
    """The fast reader found something wrong; the exact reader says which line."""


def _stripped(column: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(column)


def _checked_keys(batch: pa.RecordBatch) -> tuple[pa.Array, pa.Array, pa.Array]:
    required = [_stripped(batch.column(INPUT_HEADER.index(name))) for name in _REQUIRED]
    if any(pc.any(pc.equal(column, "")).as_py() for column in required):
        raise _NeedsExactCheck
    record_id, kind, department, _ = required
    if not pc.all(pc.is_in(kind, pa.array([item.value for item in Kind]))).as_py():
        raise _NeedsExactCheck
    return department, record_id, kind


def _prepared(
    batches: Iterable[pa.RecordBatch], progress: ProgressCallback, total: int, executor: Executor | None = None
) -> _Prepared:
    prepared = _Prepared()
    cache = ValueCache(executor)
    for batch in batches:
        keys = _checked_keys(batch)
        table, problems = prepare_batch(batch, prepared.count, cache)
        prepared.add(table, keys, problems)
        progress("read", prepared.count, total)
    keys = pa.table({"department": pa.chunked_array(prepared.departments, pa.string()),
                     "record_id": pa.chunked_array(prepared.record_ids, pa.string())})  # fmt: skip
    if keys.group_by(["department", "record_id"]).aggregate([]).num_rows != keys.num_rows:
        raise _NeedsExactCheck
    return prepared


def read_prepared(path: Path, progress: ProgressCallback = _no_progress) -> _Prepared:
    """Read, check and prepare every record of a CSV file; MalformedInputError on the first bad line.

    The file is streamed through Arrow's CSV reader and prepared column-wise; when anything is
    wrong with it, the exact row-by-row reader finds the first bad line to report.
    """
    size = path.stat().st_size
    total = max(size // _BYTES_PER_RECORD_GUESS, 1)
    try:
        if size < _PARALLEL_FROM_BYTES:
            return _prepared(_raw_batches(path), progress, total)
        # The per-value normalisation is pure Python: worker processes put every core to it.
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=context) as executor:
            return _prepared(_raw_batches(path), progress, total, executor)
    except (_NeedsExactCheck, pa.ArrowInvalid):
        return _prepared(_exact_batches(_decoded_lines(path.read_bytes())), progress, total)


class _Groups:
    """Union–find over record positions that refuses merges putting two valid identifiers in one group."""

    def __init__(self, identifiers: Sequence[str | None]) -> None:
        self.parent = list(range(len(identifiers)))
        self.identifier: list[str | None] = list(identifiers)

    def find(self, item: int) -> int:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, left: int, right: int) -> bool:
        left_root, right_root = self.find(left), self.find(right)
        if left_root == right_root:
            return True
        left_id, right_id = self.identifier[left_root], self.identifier[right_root]
        if left_id is not None and right_id is not None and left_id != right_id:
            return False
        low, high = sorted((left_root, right_root))
        self.parent[high] = low
        self.identifier[low] = left_id or right_id
        return True


@dataclass(frozen=True, slots=True)
class BatchSummary:
    records: int
    masters: int
    linked_by_rule: int
    linked_by_model: int
    review: int
    invalid_identifiers: int


@dataclass
class _Outcome:
    """Per record position: how it joined its group (rule, model or new), the score, a group to review it with."""

    match: list[str]
    score: list[float]
    review_with: list[int | None]

    @classmethod
    def empty(cls, size: int) -> "_Outcome":
        return cls(match=["new"] * size, score=[0.0] * size, review_with=[None] * size)

    def mark(self, position: int, method: str, score: float) -> None:
        if self.match[position] == "new":
            self.match[position], self.score[position] = method, score


def _link_by_identifier(table: pa.Table, groups: _Groups, outcome: _Outcome, rule: str) -> None:
    first_holder: dict[str, int] = {}
    positions = table.column("unique_id").to_pylist()
    for position, identifier in zip(positions, table.column("identifier").to_pylist(), strict=True):
        if identifier is None:
            continue
        first = first_holder.setdefault(identifier, position)
        if first != position:
            groups.union(first, position)
            outcome.mark(first, rule, 1.0)
            outcome.mark(position, rule, 1.0)


@dataclass(frozen=True, slots=True)
class _Forbidden:
    """What the rules forbid merging, by record position: a different branch part or legal form."""

    branches: list[str | None]
    forms: list[str | None]

    def forbids(self, left: int, right: int) -> bool:
        if self.branches[left] != self.branches[right]:
            return True
        return not company_forms_compatible(self.forms[left], self.forms[right])


def _link_by_model(
    table: pa.Table,
    model: LinkageModel,
    thresholds: Thresholds,
    state: tuple[_Groups, _Outcome, _Forbidden],
) -> None:
    groups, outcome, forbidden = state
    # Strongest evidence first (predict_links orders them), so that a refused merge never blocks a better one.
    edges = predict_links(table, model, thresholds.review)
    undecided: list[tuple[int, int]] = []
    for left, right, probability in edges:
        if forbidden.forbids(left, right):
            continue
        if probability < thresholds.link:
            undecided.append((left, right))
        elif groups.union(left, right):
            outcome.mark(left, MODEL_NAME, probability)
            outcome.mark(right, MODEL_NAME, probability)
    for left, right in undecided:
        if groups.find(left) != groups.find(right):
            outcome.review_with[left] = outcome.review_with[left] or groups.find(right)
            outcome.review_with[right] = outcome.review_with[right] or groups.find(left)


def link_table(
    prepared: _Prepared,
    models: Mapping[Kind, LinkageModel],
    thresholds: Thresholds,
    progress: ProgressCallback = _no_progress,
) -> tuple[_Groups, _Outcome]:
    """Group prepared records into master records: identifier rule first, then Splink's model links."""
    table = prepared.table()
    groups = _Groups(table.column("identifier").to_pylist())
    outcome = _Outcome.empty(table.num_rows)
    forbidden = _Forbidden(table.column("branch").to_pylist(), table.column("form").to_pylist())
    kinds = prepared.kind_column()
    for step, kind in enumerate(Kind, start=1):
        subset = table.filter(pc.equal(kinds, kind.value))
        if subset.num_rows:
            _link_by_identifier(subset, groups, outcome, identifier_rule(kind))
            _link_by_model(subset, models[kind], thresholds, (groups, outcome, forbidden))
        progress("link", step, len(Kind))
    return groups, outcome


def _output_columns(prepared: _Prepared, roots: list[int], outcome: _Outcome) -> Iterable[tuple[str, ...]]:
    departments = pa.chunked_array(prepared.departments, pa.string())
    record_ids = pa.chunked_array(prepared.record_ids, pa.string())
    # A group is named after its first record in the file: stable for a given input, readable in review.
    labels = pc.binary_join_element_wise(prepared.kind_column(), departments, record_ids, "/")
    reviews = pa.array([None if review is None else roots[review] for review in outcome.review_with], pa.int64())
    return zip(
        record_ids.to_pylist(),
        departments.to_pylist(),
        labels.take(pa.array(roots, pa.int64())).to_pylist(),
        outcome.match,
        [f"{score:.6f}" for score in outcome.score],
        pc.fill_null(pa.chunked_array(prepared.problem_values, pa.string()), "").to_pylist(),
        pc.fill_null(labels.take(reviews), "").to_pylist(),
        strict=True,
    )


def _write_output(path: Path, rows: Iterable[tuple[str, ...]]) -> None:
    # Written beside the target and renamed into place, so that a failed run leaves no partial file.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(OUTPUT_HEADER)
            writer.writerows(rows)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def link_csv(
    input_path: Path,
    output_path: Path,
    *,
    models: Mapping[Kind, LinkageModel] | None = None,
    thresholds: Thresholds | None = None,
    estimate: bool = False,
    progress: ProgressCallback = _no_progress,
) -> BatchSummary:
    """Link the records of a CSV file into master records and write one output line per input record.

    With `estimate`, the model's m/u parameters are first estimated on the file itself (Splink EM);
    otherwise `models` (or the shipped trained ones the service also links with) are used as given.
    """
    prepared = read_prepared(input_path, progress)
    chosen = dict(models or load_models().models)
    if estimate:
        chosen = _estimated(prepared, chosen)
    groups, outcome = link_table(prepared, chosen, thresholds or Thresholds(), progress)
    roots = [groups.find(position) for position in range(prepared.count)]
    _write_output(output_path, _output_columns(prepared, roots, outcome))
    progress("write", prepared.count, prepared.count)
    return BatchSummary(
        records=prepared.count,
        masters=len(set(roots)),
        linked_by_rule=sum(1 for match in outcome.match if match.startswith("exact_")),
        linked_by_model=outcome.match.count(MODEL_NAME),
        review=sum(1 for review in outcome.review_with if review is not None),
        invalid_identifiers=sum(1 for problem in prepared.problems if problem),
    )


def _estimated(prepared: _Prepared, starting: Mapping[Kind, LinkageModel]) -> dict[Kind, LinkageModel]:
    table = prepared.table()
    kinds = prepared.kind_column()
    estimated = dict(starting)
    for kind in Kind:
        subset = table.filter(pc.equal(kinds, kind.value))
        if subset.num_rows >= _MIN_RECORDS_TO_ESTIMATE:
            estimated[kind] = estimate_model(subset, kind, starting=starting[kind])
    return estimated


# EM on fewer records than this estimates noise; the starting parameters are kept instead.
_MIN_RECORDS_TO_ESTIMATE: Final = 1000
