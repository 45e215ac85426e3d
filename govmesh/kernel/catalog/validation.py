"""Record validation: a subject version compiled once into per-item checks, run on every published record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from govmesh.kernel.catalog.model import DataItem, DataType, FormatStandard, Subject
from govmesh.kernel.catalog.standards import FORMAT_CHECKS, check_date

# A value as a record carries it: the kind of value (a DataType's value string) and the value.
TypedValue = tuple[str, object]


@dataclass(frozen=True)
class RecordViolation:
    """One problem with one value; descriptions never quote the value (it may be confidential)."""

    item_code: str
    reason: str
    description: str


_ACCEPTED_KINDS: dict[DataType, frozenset[str]] = {
    DataType.STRING: frozenset({"string"}),
    DataType.INTEGER: frozenset({"integer"}),
    DataType.DECIMAL: frozenset({"decimal", "integer"}),
    DataType.DATE: frozenset({"date", "string"}),
    DataType.DATETIME: frozenset({"datetime"}),
    DataType.BOOLEAN: frozenset({"boolean"}),
    DataType.BYTES: frozenset({"bytes"}),
    DataType.ENUM: frozenset({"enum", "string"}),
}

Check = Callable[[object], "tuple[str, str] | None"]


def _compile_item(item: DataItem) -> list[Check]:
    """The checks one item's values go through, beyond the kind check, cheapest first."""
    checks: list[Check] = []
    if item.data_type in (DataType.STRING, DataType.BYTES) and item.length > 0:
        limit = item.length
        unit = "characters" if item.data_type is DataType.STRING else "bytes"

        def check_length(value: object) -> tuple[str, str] | None:
            size = len(value)  # type: ignore[arg-type]
            return ("LENGTH", f"{size} {unit} exceed the length {limit}") if size > limit else None

        checks.append(check_length)
    if item.data_type is DataType.INTEGER and item.length > 0:
        digits_limit = item.length

        def check_digits(value: object) -> tuple[str, str] | None:
            digits = len(str(abs(value)))  # type: ignore[arg-type]
            return ("LENGTH", f"{digits} digits exceed the length {digits_limit}") if digits > digits_limit else None

        checks.append(check_digits)
    if item.data_type is DataType.DECIMAL:
        checks.append(_decimal_check(item.length, item.scale))
    if item.data_type is DataType.DATE:
        checks.append(_format_check(check_date, _FORMAT_DESCRIPTIONS["date"]))
    if item.data_type is DataType.ENUM:
        allowed = frozenset(item.enum_values)
        checks.append(lambda value: None if value in allowed else ("ENUM", "not one of the item's enum values"))
    if item.format_standard is not FormatStandard.NONE and item.format_standard.value in FORMAT_CHECKS:
        standard = item.format_standard.value
        description = _FORMAT_DESCRIPTIONS.get(standard, f"does not meet the {standard} standard")
        checks.append(_format_check(FORMAT_CHECKS[standard], description))
    return checks


# The standards' own messages quote the value (or parts of it, such as a birth date), so a
# violation describes only which standard the value fails.
_FORMAT_DESCRIPTIONS: dict[str, str] = {
    "citizen_id": "not a valid citizen identity number (GB 11643-1999)",
    "credit_code": "not a valid unified social credit code (GB 32100-2015)",
    "division_code": "not a known administrative division code (GB/T 2260)",
    "phone": "not a mainland mobile or fixed-line phone number",
    "date": "not a real calendar date written YYYY-MM-DD",
    "postal_code": "not a 6-digit postal code",
    "email": "not an e-mail address of the form local@domain.tld",
}


def _format_check(standard: Callable[[str], str | None], description: str) -> Check:
    def check(value: object) -> tuple[str, str] | None:
        return None if standard(str(value)) is None else ("FORMAT", description)

    return check


def _decimal_check(length: int, scale: int) -> Check:
    def check(value: object) -> tuple[str, str] | None:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return ("TYPE", "not a decimal number")
        if not number.is_finite():
            return ("TYPE", "not a finite decimal number")
        _sign, digits, exponent = number.as_tuple()
        assert isinstance(exponent, int)
        fraction = max(0, -exponent)
        if fraction > scale:
            return ("SCALE", f"{fraction} digits after the point exceed the scale {scale}")
        # 1E+6 carries one digit but writes out as seven.
        written = len(digits) + max(0, exponent)
        if length > 0 and written > length and any(digits):
            return ("LENGTH", f"{written} digits exceed the length {length}")
        return None

    return check


@dataclass(frozen=True)
class _ItemRule:
    item: DataItem
    kinds: frozenset[str]
    checks: tuple[Check, ...]


class RecordSchema:
    """A subject version compiled for validation; build once per version, reuse for every record."""

    def __init__(self, subject: Subject):
        self.subject_code = subject.code
        self.version = subject.version
        self._rules = {
            item.code: _ItemRule(item, _ACCEPTED_KINDS[item.data_type], tuple(_compile_item(item)))
            for item in subject.items
        }
        self._required = tuple(item.code for item in subject.items if item.required and not item.deprecated)

    def validate(self, values: Mapping[str, TypedValue]) -> list[RecordViolation]:
        """Returns every violation of one record; an empty list means the record is valid."""
        violations: list[RecordViolation] = []
        for code in self._required:
            if code not in values:
                violations.append(RecordViolation(code, "REQUIRED", "a required item is missing"))
        for code, (kind, value) in values.items():
            rule = self._rules.get(code)
            if rule is None:
                violations.append(RecordViolation(code, "UNKNOWN_ITEM", f"not an item of subject {self.subject_code}"))
                continue
            if kind not in rule.kinds:
                violations.append(
                    RecordViolation(code, "TYPE", f"expected a {rule.item.data_type.value} value, got {kind}")
                )
                continue
            if kind == "datetime" and not isinstance(value, datetime):
                violations.append(RecordViolation(code, "TYPE", "not a timestamp"))
                continue
            for check in rule.checks:
                problem = check(value)
                if problem is not None:
                    violations.append(RecordViolation(code, problem[0], problem[1]))
                    break
        return violations
