"""Hub time: every moment the mesh stores or compares is timezone-aware UTC."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """The same moment, aware: SQLite hands back naive datetimes, and every time the mesh stores is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def as_utc_or_none(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else as_utc(value)
