"""Checked conversions of google.protobuf Timestamp and Duration: a value out of range is the caller's error, named."""

from __future__ import annotations

import datetime as dt

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from govmesh.runtime import errors

# The ranges google/protobuf/timestamp.proto and duration.proto define: 0001-01-01T00:00:00Z to
# 9999-12-31T23:59:59.999999999Z, and ±10,000 years. Python's datetime covers exactly the former.
TIMESTAMP_MIN_SECONDS = -62_135_596_800
TIMESTAMP_MAX_SECONDS = 253_402_300_799
DURATION_MAX_SECONDS = 315_576_000_000
_NANOS = 999_999_999


def _out_of_range(field: str, what: str) -> errors.InvalidArgument:
    return errors.InvalidArgument(f"{field} is out of range: {what}", [errors.FieldViolation(field, what)])


def moment(stamp: Timestamp, field: str) -> dt.datetime:
    """A Timestamp as an aware UTC datetime; INVALID_ARGUMENT naming `field` outside the Timestamp range."""
    if not TIMESTAMP_MIN_SECONDS <= stamp.seconds <= TIMESTAMP_MAX_SECONDS or not 0 <= stamp.nanos <= _NANOS:
        raise _out_of_range(field, "must be a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z")
    return stamp.ToDatetime(tzinfo=dt.UTC)


def optional_moment(message: object, field: str, path: str = "") -> dt.datetime | None:
    """The Timestamp field `field` of `message` (checked as `moment`), or None when it is unset."""
    if not message.HasField(field):  # type: ignore[attr-defined]
        return None
    return moment(getattr(message, field), path or field)


def span(value: Duration, field: str) -> dt.timedelta:
    """A Duration as a timedelta; INVALID_ARGUMENT naming `field` outside the Duration range or mis-signed."""
    seconds, nanos = value.seconds, value.nanos
    mixed_signs = (seconds > 0 and nanos < 0) or (seconds < 0 and nanos > 0)
    if abs(seconds) > DURATION_MAX_SECONDS or abs(nanos) > _NANOS or mixed_signs:
        raise _out_of_range(field, "must be a duration of at most ±10,000 years, seconds and nanos of one sign")
    return value.ToTimedelta()
