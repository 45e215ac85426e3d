"""Column-wise preparation of department records (Arrow): each distinct written value is normalised once.

Names, addresses, codes and dates repeat heavily across a department's records, so the batch path
dictionary-encodes every column, normalises the distinct values with the same per-field functions
that `prepare()` uses for one record, and spreads the results back with a vectorised take. The
outcome is the table `prepare()` would give record by record, at a fraction of the Python work.
"""

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from govmesh.services.masters.domain.records import (
    Kind,
    birth_facts,
    canonical_district,
    enterprise_name_fields,
    identifier_fields,
    normalise_date,
    normalise_gender,
    prepare_address,
    prepare_person_name,
)

__all__ = ["PREPARED_SCHEMA", "ValueCache", "prepare_batch"]

PREPARED_SCHEMA: Final = pa.schema(
    [("unique_id", pa.int64())]
    + [
        (name, pa.string())
        for name in (
            "identifier", "identifier_text", "name", "trade_name", "industry", "form", "branch",
            "address", "legal_rep", "district", "date", "gender",
        )
    ]
)  # fmt: skip
# Kind and written value travel together where the kind decides the normalisation (names, identifiers).
_SEPARATOR: Final = "\x1f"
_ENTERPRISE: Final = Kind.ENTERPRISE.value
# A cache past this many values is dropped and refilled: memory stays bounded on any file size.
_MAX_CACHED: Final = 400_000
_PARALLEL_FROM: Final = 2_000


def _by_kind_name(key: str) -> tuple[str | None, ...]:
    kind, _, text = key.partition(_SEPARATOR)
    if kind == _ENTERPRISE:
        return enterprise_name_fields(text.strip())
    return prepare_person_name(text.strip()), None, None, None, None


def _by_kind_identifier(key: str) -> tuple[str | None, ...]:
    kind, _, text = key.partition(_SEPARATOR)
    valid, cleaned, problem = identifier_fields(Kind(kind), text.strip())
    stated_date, stated_gender = birth_facts(valid) if kind != _ENTERPRISE else (None, None)
    return valid, cleaned, problem, stated_date, stated_gender


def _address(text: str) -> tuple[str | None, ...]:
    return (prepare_address(text.strip()),)


def _person_name(text: str) -> tuple[str | None, ...]:
    return (prepare_person_name(text.strip()),)


def _district(text: str) -> tuple[str | None, ...]:
    return (canonical_district(text.strip()),)


def _date(text: str) -> tuple[str | None, ...]:
    return (normalise_date(text.strip()),)


def _gender(text: str) -> tuple[str | None, ...]:
    return (normalise_gender(text.strip()),)


Normaliser = Callable[[str], tuple[str | None, ...]]


class ValueCache:
    """Per normaliser, the results already computed for distinct written values, and where to compute new ones."""

    def __init__(self, executor: Executor | None = None) -> None:
        self.executor = executor
        self._results: dict[Normaliser, dict[str, tuple[str | None, ...]]] = {}

    def results(self, function: Normaliser, values: Sequence[str]) -> list[tuple[str | None, ...]]:
        cache = self._results.setdefault(function, {})
        if len(cache) > _MAX_CACHED:
            cache.clear()
        missing = [value for value in values if value not in cache]
        if self.executor is not None and len(missing) >= _PARALLEL_FROM:
            chunk = max(len(missing) // 16, 500)
            computed: Iterable[tuple[str | None, ...]] = self.executor.map(function, missing, chunksize=chunk)
        else:
            computed = map(function, missing)
        cache.update(zip(missing, computed, strict=True))
        return [cache[value] for value in values]


def _mapped(column: pa.Array, function: Normaliser, cache: ValueCache, width: int) -> list[pa.Array]:
    encoded = pc.dictionary_encode(column)
    distinct = encoded.dictionary.to_pylist()
    results = cache.results(function, distinct)
    return [pc.take(pa.array([row[i] for row in results], pa.string()), encoded.indices) for i in range(width)]


def _column(batch: pa.RecordBatch, name: str) -> pa.Array:
    return batch.column(batch.schema.get_field_index(name))


def prepare_batch(batch: pa.RecordBatch, first_id: int, cache: ValueCache) -> tuple[pa.Table, pa.Array]:
    """The prepared (Splink input) table of a batch of raw CSV columns, and its identifier problems."""
    kind = pc.utf8_trim_whitespace(_column(batch, "kind"))
    enterprise = pc.equal(kind, _ENTERPRISE)
    written_id = pc.if_else(enterprise, _column(batch, "uscc"), _column(batch, "id_number"))
    identifier, text, problem, stated_date, stated_gender = _mapped(
        pc.binary_join_element_wise(kind, written_id, _SEPARATOR), _by_kind_identifier, cache, 5
    )
    name, trade_name, industry, form, branch = _mapped(
        pc.binary_join_element_wise(kind, _column(batch, "name"), _SEPARATOR), _by_kind_name, cache, 5
    )
    (written_date,) = _mapped(
        pc.if_else(enterprise, _column(batch, "established"), _column(batch, "birth_date")), _date, cache, 1
    )
    (legal_rep,) = _mapped(_column(batch, "legal_rep"), _person_name, cache, 1)
    (gender,) = _mapped(_column(batch, "gender"), _gender, cache, 1)
    nothing = pa.nulls(batch.num_rows, pa.string())
    columns: dict[str, Any] = {
        "unique_id": pa.array(range(first_id, first_id + batch.num_rows), pa.int64()),
        "identifier": identifier,
        "identifier_text": text,
        "name": name,
        "trade_name": trade_name,
        "industry": industry,
        "form": form,
        "branch": branch,
        "address": _mapped(_column(batch, "address"), _address, cache, 1)[0],
        "legal_rep": pc.if_else(enterprise, legal_rep, nothing),
        "district": _mapped(_column(batch, "district"), _district, cache, 1)[0],
        # A person's citizen ID states birth date and gender where the department left them out.
        "date": pc.if_else(enterprise, written_date, pc.coalesce(written_date, stated_date)),
        "gender": pc.if_else(enterprise, nothing, pc.coalesce(gender, stated_gender)),
    }
    return pa.table(columns, schema=PREPARED_SCHEMA), problem
