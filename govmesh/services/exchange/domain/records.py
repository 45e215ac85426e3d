"""Records as the hub carries them: the envelope rules, the canonical form and its SHA-256 digest."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from govmesh.kernel.catalog.standards import check_citizen_id, check_credit_code, check_division_code
from govmesh.kernel.catalog.validation import RecordViolation, TypedValue

# An entity key names a person, an enterprise or a registry entry: short, printable, unambiguous.
_ENTITY_KEY = re.compile(r"[0-9A-Za-z][0-9A-Za-z._:/-]{0,63}")
_IDENTIFIER_LIKE = re.compile(r"[0-9A-Z]{17}[0-9A-Z]")
MAX_IDEMPOTENCY_KEY = 128
# Clocks of departments drift; an event a few minutes "in the future" is a skewed clock, not a lie.
CLOCK_SKEW = dt.timedelta(minutes=5)


class IdempotencyKeyTaken(Exception):
    """Another call committed one of a publish's idempotency keys while this one was deciding."""


@dataclass(frozen=True)
class Record:
    """One fact about one entity of one catalog subject; the hub-assigned fields are empty until committed."""

    subject_code: str
    entity_key: str
    division_code: str
    event_time: dt.datetime | None
    values: Mapping[str, TypedValue]
    idempotency_key: str = ""
    record_id: str = ""
    subject_version: str = ""
    publisher: str = ""
    digest: str = ""
    publish_time: dt.datetime | None = None
    trace_id: str = ""
    sequence: int = 0

    def with_values(self, values: Mapping[str, TypedValue]) -> Record:
        """The same record carrying only `values`; its digest is that of what it now carries."""
        narrowed = replace(self, values=values)
        return replace(narrowed, digest=record_digest(narrowed))


def envelope_violations(record: Record, *, now: dt.datetime) -> list[RecordViolation]:
    """The record's own rules (entity key, division code, event time, idempotency key), beyond the catalog's."""
    found: list[RecordViolation] = []
    problem = entity_key_problem(record.entity_key)
    if problem:
        found.append(RecordViolation("", "ENTITY_KEY", problem))
    if not record.division_code:
        found.append(RecordViolation("", "DIVISION_CODE", "the division code is required"))
    elif check_division_code(record.division_code) is not None:
        found.append(RecordViolation("", "DIVISION_CODE", "not a GB/T 2260 division code"))
    if record.event_time is None:
        found.append(RecordViolation("", "EVENT_TIME", "the event time is required"))
    elif record.event_time > now + CLOCK_SKEW:
        found.append(RecordViolation("", "EVENT_TIME", "the event time is in the future"))
    if not record.idempotency_key:
        found.append(RecordViolation("", "IDEMPOTENCY_KEY", "the idempotency key is required"))
    elif len(record.idempotency_key) > MAX_IDEMPOTENCY_KEY:
        found.append(RecordViolation("", "IDEMPOTENCY_KEY", f"at most {MAX_IDEMPOTENCY_KEY} characters"))
    return found


def entity_key_problem(key: str) -> str | None:
    """Why an entity key is unusable, or None.

    An 18-character key of digits and capitals is read as a citizen ID (GB 11643) or a credit
    code (GB 32100) and must pass one of their check digits; other registry keys need only be
    short and printable.
    """
    if not key:
        return "the entity key is required"
    if not _ENTITY_KEY.fullmatch(key):
        return "must be 1-64 letters, digits or . _ : / -, starting with a letter or digit"
    if _IDENTIFIER_LIKE.fullmatch(key) and check_citizen_id(key) is not None and check_credit_code(key) is not None:
        return "neither a valid citizen identity number nor a valid unified social credit code"
    return None


# -- canonical form ------------------------------------------------------------------------------

# Kinds that mean the same thing are written the same way, so a value's digest depends on its
# meaning, not on which FieldValue field carried it: text (string, enum, date), number
# (integer, decimal), timestamp, boolean, bytes.
_TEXT_KINDS = frozenset({"string", "enum", "date"})
_NUMBER_KINDS = frozenset({"integer", "decimal"})


def entity_keys_problems(keys: Sequence[str], limit: int, path: str = "entity_keys") -> list[tuple[str, str]]:
    """(field, problem) for a list of entity keys: too many, or any not shaped like an entity key."""
    found: list[tuple[str, str]] = []
    if len(keys) > limit:
        found.append((path, f"at most {limit:,}"))
    for n, key in enumerate(keys):
        problem = entity_key_problem(key)
        if problem:
            found.append((f"{path}[{n}]", problem))
    return found


def canonical_time(value: dt.datetime) -> str:
    """RFC 3339 in UTC with microseconds, the precision the hub stores."""
    utc = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_number(value: object) -> str:
    """A number written without exponent, trailing zeros or a negative zero: 1234.50 → 1234.5."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    if number.is_zero():
        return "0"
    return format(number.normalize(), "f")


def canonical_value(kind: str, value: object) -> list[object]:
    """One value as a `[class, text]` pair of its canonical form."""
    if kind in _TEXT_KINDS:
        return ["t", str(value)]
    if kind in _NUMBER_KINDS:
        return ["n", canonical_number(value)]
    if kind == "datetime":
        assert isinstance(value, dt.datetime)
        return ["ts", canonical_time(value)]
    if kind == "boolean":
        return ["b", bool(value)]
    if kind == "bytes":
        assert isinstance(value, bytes)
        return ["x", base64.b64encode(value).decode()]
    return [kind, str(value)]


def canonical_form(record: Record) -> bytes:
    """The bytes a record's digest is taken over: sorted-key compact JSON in UTF-8."""
    document = {
        "subject": f"subjects/{record.subject_code}",
        "entity_key": record.entity_key,
        "division_code": record.division_code,
        "event_time": canonical_time(record.event_time) if record.event_time else "",
        "values": {code: canonical_value(kind, value) for code, (kind, value) in record.values.items()},
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_digest(record: Record) -> str:
    """Hex SHA-256 of the canonical form: what the ledger records and duplicates are recognised by."""
    return hashlib.sha256(canonical_form(record)).hexdigest()


def payload_digest(digests: Iterable[str]) -> str:
    """Hex SHA-256 over the raw digests of the records an exchange carried, in order."""
    hasher = hashlib.sha256()
    for digest in digests:
        hasher.update(bytes.fromhex(digest))
    return hasher.hexdigest()


# -- storage form --------------------------------------------------------------------------------


def values_to_json(values: Mapping[str, TypedValue]) -> str:
    """Typed values as JSON text, `{code: [kind, value]}`, with bytes and timestamps written as text."""
    plain: dict[str, list[object]] = {}
    for code, (kind, value) in values.items():
        if kind == "bytes":
            assert isinstance(value, bytes)
            plain[code] = [kind, base64.b64encode(value).decode()]
        elif kind == "datetime":
            assert isinstance(value, dt.datetime)
            plain[code] = [kind, canonical_time(value)]
        else:
            plain[code] = [kind, value]
    return json.dumps(plain, ensure_ascii=False, separators=(",", ":"))


def values_from_json(text: str) -> dict[str, TypedValue]:
    values: dict[str, TypedValue] = {}
    for code, (kind, value) in json.loads(text).items():
        if kind == "bytes":
            values[code] = (kind, base64.b64decode(value))
        elif kind == "datetime":
            values[code] = (kind, dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC))
        else:
            values[code] = (kind, value)
    return values


def same_value(left: TypedValue, right: TypedValue) -> bool:
    """Whether two values mean the same (what a verification compares)."""
    return canonical_value(*left) == canonical_value(*right)
