"""Unit tests for the checked Timestamp and Duration conversions every convert.py uses."""

from __future__ import annotations

import datetime as dt

import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st

from govmesh.runtime import errors, wellknown


@given(st.integers(-(2**63), 2**63 - 1), st.integers(-(2**31), 2**31 - 1))
def test_a_timestamp_converts_or_is_refused_naming_its_field(seconds: int, nanos: int) -> None:
    stamp = Timestamp(seconds=seconds, nanos=nanos)
    in_range = wellknown.TIMESTAMP_MIN_SECONDS <= seconds <= wellknown.TIMESTAMP_MAX_SECONDS and 0 <= nanos < 10**9
    if in_range:
        moment = wellknown.moment(stamp, "start_time")
        assert moment.tzinfo is not None and int(moment.timestamp()) in (seconds, seconds + 1)
    else:
        with pytest.raises(errors.InvalidArgument) as refused:
            wellknown.moment(stamp, "start_time")
        assert [v.field for v in refused.value.violations] == ["start_time"]


@given(st.integers(-(2**63), 2**63 - 1), st.integers(-(2**31), 2**31 - 1))
def test_a_duration_converts_or_is_refused_naming_its_field(seconds: int, nanos: int) -> None:
    value = Duration(seconds=seconds, nanos=nanos)
    same_sign = not ((seconds > 0 and nanos < 0) or (seconds < 0 and nanos > 0))
    if abs(seconds) <= wellknown.DURATION_MAX_SECONDS and abs(nanos) < 10**9 and same_sign:
        expected = dt.timedelta(seconds=seconds, microseconds=nanos / 1000)
        assert abs(wellknown.span(value, "max_wait") - expected) <= dt.timedelta(microseconds=1)
    else:
        with pytest.raises(errors.InvalidArgument) as refused:
            wellknown.span(value, "max_wait")
        assert refused.value.violations[0].field == "max_wait"
        assert "max_wait" in refused.value.message


def test_the_ends_of_the_timestamp_range_are_valid_times() -> None:
    first = wellknown.moment(Timestamp(seconds=wellknown.TIMESTAMP_MIN_SECONDS), "t")
    last = wellknown.moment(Timestamp(seconds=wellknown.TIMESTAMP_MAX_SECONDS, nanos=999_999_999), "t")
    assert (first.year, last.year) == (1, 9999)
