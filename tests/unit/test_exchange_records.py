"""Records: the envelope rules, and the canonical form whose digest recognises the same record anywhere."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import assume, given
from hypothesis import strategies as st

from govmesh.kernel.catalog.standards import make_citizen_id, make_credit_code
from govmesh.services.exchange.domain.records import (
    Record,
    canonical_form,
    entity_key_problem,
    envelope_violations,
    payload_digest,
    record_digest,
    values_from_json,
    values_to_json,
)

NOW = dt.datetime(2009, 3, 2, 12, 0, tzinfo=dt.UTC)
CODE = make_credit_code("440106", 1)

texts = st.text(max_size=30)
typed_values = st.one_of(
    st.tuples(st.just("string"), texts),
    st.tuples(st.just("enum"), texts),
    st.tuples(st.just("integer"), st.integers(min_value=-(2**62), max_value=2**62)),
    st.tuples(st.just("decimal"), st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str)),
    st.tuples(st.just("boolean"), st.booleans()),
    st.tuples(st.just("bytes"), st.binary(max_size=20)),
    st.tuples(
        st.just("datetime"),
        st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)),
    ),
)
value_maps = st.dictionaries(st.from_regex(r"102\.001\.0[0-9]{2}", fullmatch=True), typed_values, max_size=8)


def record(values: dict[str, tuple[str, object]], **fields: object) -> Record:
    defaults: dict[str, object] = {
        "subject_code": "102.001",
        "entity_key": CODE,
        "division_code": "440106",
        "event_time": NOW,
        "values": values,
        "idempotency_key": "aic-1",
    }
    defaults.update(fields)
    return Record(**defaults)  # type: ignore[arg-type]


@given(value_maps)
def test_a_digest_does_not_depend_on_the_order_of_the_values(values: dict[str, tuple[str, object]]) -> None:
    reversed_values = dict(reversed(list(values.items())))
    assert record_digest(record(values)) == record_digest(record(reversed_values))


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(min_value=0, max_value=4))
def test_a_number_has_one_digest_however_it_is_written(units: int, trailing_zeros: int) -> None:
    written = f"{units}." + "0" * trailing_zeros if trailing_zeros else str(units)
    as_integer = record({"102.001.007": ("integer", units)})
    as_decimal = record({"102.001.007": ("decimal", written)})
    assert record_digest(as_integer) == record_digest(as_decimal)
    assert record_digest(record({"102.001.007": ("decimal", "1234.50")})) == record_digest(
        record({"102.001.007": ("decimal", "1234.5")})
    )


@given(st.datetimes(timezones=st.just(dt.UTC)), st.integers(min_value=-14, max_value=14))
def test_one_instant_has_one_digest_in_any_time_zone(moment: dt.datetime, hours: int) -> None:
    elsewhere = moment.astimezone(dt.timezone(dt.timedelta(hours=hours)))
    assert record_digest(record({}, event_time=moment)) == record_digest(record({}, event_time=elsewhere))


@given(value_maps, st.from_regex(r"102\.001\.0[0-9]{2}", fullmatch=True), typed_values)
def test_changing_any_value_changes_the_digest(
    values: dict[str, tuple[str, object]], code: str, new_value: tuple[str, object]
) -> None:
    changed = {**values, code: new_value}
    assume(canonical_form(record(changed)) != canonical_form(record(values)))
    assert record_digest(record(changed)) != record_digest(record(values))


@given(value_maps)
def test_dropping_an_item_changes_the_digest_of_what_is_carried(values: dict[str, tuple[str, object]]) -> None:
    assume(values)
    full = record(values)
    code = sorted(values)[0]
    narrowed = full.with_values({k: v for k, v in values.items() if k != code})
    assert narrowed.digest != record_digest(full)
    assert narrowed.digest == record_digest(narrowed)


def test_the_envelope_is_part_of_the_digest() -> None:
    base = record({"102.001.003": ("string", "广州某某公司")})
    for change in (
        {"entity_key": make_credit_code("440106", 2)},
        {"division_code": "440104"},
        {"subject_code": "102.002"},
    ):
        assert record_digest(record(dict(base.values), **change)) != record_digest(base)
    # The idempotency key is the publisher's handle, not content: re-sending under another key is the same record.
    assert record_digest(record(dict(base.values), idempotency_key="other")) == record_digest(base)


@given(value_maps)
def test_values_come_back_from_storage_as_they_went_in(values: dict[str, tuple[str, object]]) -> None:
    back = values_from_json(values_to_json(values))
    assert record_digest(record(back)) == record_digest(record(values))
    assert {k: v[0] for k, v in back.items()} == {k: v[0] for k, v in values.items()}


def test_a_payload_digest_depends_on_every_record_and_their_order() -> None:
    one, two = record_digest(record({})), record_digest(record({}, entity_key=make_credit_code("440106", 3)))
    assert payload_digest([one, two]) != payload_digest([two, one])
    assert payload_digest([one]) != payload_digest([one, one])
    assert len(payload_digest([])) == 64


def test_an_entity_key_of_eighteen_digits_and_capitals_must_be_a_valid_identifier() -> None:
    assert entity_key_problem(CODE) is None
    assert entity_key_problem(make_citizen_id("440106", dt.date(1980, 1, 1), 12)) is None
    assert entity_key_problem("91440106MA59ABCD1X") is not None  # credit-code shaped, wrong check character
    assert entity_key_problem("LAND-2009-00017") is None  # another registry's key
    for bad in ("", " 9144", "a b", "x" * 65, "名称"):
        assert entity_key_problem(bad) is not None


def test_every_missing_part_of_the_envelope_is_a_violation() -> None:
    reasons = {
        v.reason
        for v in envelope_violations(
            record({}, entity_key="", division_code="", event_time=None, idempotency_key=""), now=NOW
        )
    }
    assert reasons == {"ENTITY_KEY", "DIVISION_CODE", "EVENT_TIME", "IDEMPOTENCY_KEY"}
    future = record({}, event_time=NOW + dt.timedelta(hours=1))
    assert [v.reason for v in envelope_violations(future, now=NOW)] == ["EVENT_TIME"]
    skewed = record({}, event_time=NOW + dt.timedelta(minutes=2))
    assert envelope_violations(skewed, now=NOW) == []
    assert [v.reason for v in envelope_violations(record({}, division_code="999999"), now=NOW)] == ["DIVISION_CODE"]


def test_decimals_keep_their_precision_in_the_canonical_form() -> None:
    big = str(Decimal("12345678901234567.89"))
    assert b'"12345678901234567.89"' in canonical_form(record({"102.001.007": ("decimal", big)}))
