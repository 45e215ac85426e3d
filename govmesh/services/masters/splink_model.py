"""The master-record model on Splink (DuckDB): settings from the domain's comparisons, EM training, prediction.

The domain declares the comparisons and blocking keys; this module renders them as Splink settings so
that the batch path scores exactly the levels the incremental path scores, and reads the trained m/u
parameters back into the domain's LinkageModel.
"""

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator

from govmesh.services.masters.domain.comparisons import (
    BLOCKING_KEYS,
    COMPARISONS,
    ComparisonSpec,
    LevelSpec,
    LevelTest,
    LevelWeights,
    LinkageModel,
    default_model,
)
from govmesh.services.masters.domain.records import Kind, PreparedRecord

__all__ = ["COLUMNS", "MAX_BLOCK", "estimate_model", "predict_links", "records_table"]

COLUMNS: Final = (
    "identifier",
    "identifier_text",
    "name",
    "trade_name",
    "industry",
    "form",
    "branch",
    "address",
    "legal_rep",
    "district",
    "date",
    "gender",
)
# EM needs blocked pairs of which a fair share are matches; each rule leaves the other comparisons free.
_TRAINING_BLOCKS: Final[Mapping[Kind, tuple[tuple[str, ...], ...]]] = {
    Kind.ENTERPRISE: (("name",), ("legal_rep", "district")),
    Kind.PERSON: (("name", "date"), ("date", "gender", "district")),
}
# Pairs these rules admit are almost all true matches: they give Splink its estimate of the prior.
_DETERMINISTIC_RULES: Final[Mapping[Kind, tuple[tuple[str, ...], ...]]] = {
    Kind.ENTERPRISE: (("identifier_text",), ("name", "address", "legal_rep")),
    Kind.PERSON: (("identifier_text",), ("name", "date", "address")),
}
_DETERMINISTIC_RECALL: Final = 0.8
# The largest block a prediction rule compares within: a key shared by more records (a common legal
# representative's name in a real register) would make its pairs grow with the square of them.
MAX_BLOCK: Final = 100
# EM gives a level that the training data's matches never show (a one-character date typo, another
# industry word) an m near zero: a veto of a hundred bits that real data, noisier than any training
# set, would hit. The floor keeps such a level strong evidence against (about -10 bits), not proof.
_MIN_M: Final = 1e-3
# Splink logs every EM iteration at INFO; the service's own logs say what matters.
logging.getLogger("splink").setLevel(logging.WARNING)


def records_table(records: Iterable[PreparedRecord], ids: Iterable[int] | None = None) -> pa.Table:
    """Prepared records as an Arrow table with Splink's `unique_id` column (the position unless ids are given)."""
    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    count = 0
    for record in records:
        for name in COLUMNS:
            columns[name].append(getattr(record, name))
        count += 1
    unique_ids = list(ids) if ids is not None else list(range(count))
    return pa.table(
        {"unique_id": pa.array(unique_ids, pa.int64()), **{n: pa.array(v, pa.string()) for n, v in columns.items()}}
    )


def _level_creator(field: str, level: LevelSpec, weights: LevelWeights, tf: bool) -> ComparisonLevelCreator:
    creator: ComparisonLevelCreator
    if level.test is LevelTest.EXACT:
        creator = cll.ExactMatchLevel(field, term_frequency_adjustments=tf)
    elif level.test is LevelTest.EDIT_DISTANCE_AT_MOST:
        creator = cll.DamerauLevenshteinLevel(field, int(level.threshold))
    else:
        creator = cll.JaroWinklerLevel(field, level.threshold)
    return creator.configure(label_for_charts=level.label, m_probability=weights.m, u_probability=weights.u)


def _comparison(spec: ComparisonSpec, weights: Sequence[LevelWeights]) -> cl.CustomComparison:
    levels: list[ComparisonLevelCreator | dict[str, Any]] = [cll.NullLevel(spec.field)]
    for index, level in enumerate(spec.levels):
        levels.append(_level_creator(spec.field, level, weights[index], spec.term_frequency and index == 0))
    otherwise = weights[len(spec.levels)]
    levels.append(cll.ElseLevel().configure(m_probability=otherwise.m, u_probability=otherwise.u))
    return cl.CustomComparison(levels, output_column_name=spec.field)


def _settings(model: LinkageModel, blocking: Sequence[tuple[str, ...]] | None = None) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[_comparison(spec, model.weights[spec.field]) for spec in COMPARISONS[model.kind]],
        blocking_rules_to_generate_predictions=[block_on(*fields) for fields in blocking or BLOCKING_KEYS[model.kind]],
        probability_two_random_records_match=model.probability_two_random_records_match,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def _linker(table: pa.Table, model: LinkageModel, connection: duckdb.DuckDBPyConnection) -> Linker:
    return Linker(DuckDBAPI(connection).register(table), _settings(model), log_level=logging.WARNING)


def _model_from_settings(settings: Mapping[str, Any], kind: Kind, starting: LinkageModel) -> LinkageModel:
    weights: dict[str, tuple[LevelWeights, ...]] = {}
    for spec, comparison in zip(COMPARISONS[kind], settings["comparisons"], strict=True):
        levels = comparison["comparison_levels"][1:]  # the null level carries no weight
        start = starting.weights[spec.field]
        weights[spec.field] = tuple(
            LevelWeights(
                m=max(float(level.get("m_probability", start[index].m)) or start[index].m, _MIN_M),
                u=float(level.get("u_probability", start[index].u)) or start[index].u,
            )
            for index, level in enumerate(levels)
        )
    return LinkageModel(
        kind=kind,
        probability_two_random_records_match=float(settings["probability_two_random_records_match"]),
        weights=weights,
        name_frequencies=starting.name_frequencies,
    )


def estimate_model(
    table: pa.Table,
    kind: Kind,
    *,
    starting: LinkageModel | None = None,
    seed: int = 42,
    max_pairs: float = 2e6,
) -> LinkageModel:
    """Estimate a kind's model on its records with Splink: prior from near-certain rules, u by random
    sampling, m by expectation maximisation over two blocking rules."""
    start = starting or default_model(kind)
    linker = _linker(table, start, duckdb.connect())
    rules: list[str | BlockingRuleCreator] = [block_on(*fields) for fields in _DETERMINISTIC_RULES[kind]]
    linker.training.estimate_probability_two_random_records_match(rules, recall=_DETERMINISTIC_RECALL)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for fields in _TRAINING_BLOCKS[kind]:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*fields), record_sample_proportion=1.0
        )
    return _model_from_settings(linker.misc.save_model_to_json(), kind, start)


def _capped_blocks(
    table: pa.Table, kind: Kind, connection: duckdb.DuckDBPyConnection, max_block: int
) -> tuple[str, list[tuple[str, ...]]]:
    """The table in DuckDB with one key column per blocking rule, null where any of the rule's fields
    is or where more than `max_block` records share the key; and the rules on those columns."""
    columns: list[str] = []
    rules: list[tuple[str, ...]] = []
    for index, fields in enumerate(BLOCKING_KEYS[kind]):
        known = " AND ".join(f"{name} IS NOT NULL" for name in fields)
        size = f"count(*) OVER (PARTITION BY {', '.join(fields)})"
        key = " || chr(31) || ".join(fields)
        columns.append(f"CASE WHEN {known} AND {size} <= {max_block} THEN {key} END AS _block_{index}")
        rules.append((f"_block_{index}",))
    connection.register("_masters_input", table)
    selected = ", ".join(columns)
    connection.execute(f"CREATE OR REPLACE TEMP TABLE _masters_blocked AS SELECT *, {selected} FROM _masters_input")
    connection.unregister("_masters_input")
    return "_masters_blocked", rules


def predict_links(
    table: pa.Table,
    model: LinkageModel,
    threshold: float,
    *,
    connection: duckdb.DuckDBPyConnection | None = None,
    batch_size: int = 100_000,
    max_block: int = MAX_BLOCK,
) -> Iterator[tuple[int, int, float]]:
    """Score the blocked pairs of a table with Splink and yield (unique_id_l, unique_id_r, probability)
    for each pair at or above `threshold`, most probable first (ties by position), in batches so that
    memory holds one batch of pairs at a time; DuckDB does the ordering.

    A block of more than `max_block` records is left out of its rule (its records still meet through
    the other rules), so each rule yields fewer than `max_block / 2` pairs per record however the
    records grow: memory is bounded by blocking, not by the commonest key.
    """
    connection = connection or duckdb.connect()
    name, rules = _capped_blocks(table, model.kind, connection, max_block)
    linker = Linker(DuckDBAPI(connection).register(name), _settings(model, rules), log_level=logging.WARNING)
    predictions = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    reader = connection.sql(
        f"SELECT unique_id_l, unique_id_r, match_probability FROM {predictions.physical_name} "
        "ORDER BY match_probability DESC, unique_id_l, unique_id_r"
    ).to_arrow_reader(batch_size)
    for batch in reader:
        lefts, rights, probabilities = (column.to_pylist() for column in batch.columns)
        yield from zip(lefts, rights, probabilities, strict=True)
    predictions.drop_table_from_database_and_remove_from_cache()
    connection.execute(f"DROP TABLE IF EXISTS {name}")
