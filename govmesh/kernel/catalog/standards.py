"""Format validators and test-data generators for the national data standards records must meet.

The citizen ID (GB 11643) and credit code (GB 32100) checks live in govmesh.kernel.identifiers,
on python-stdnum, shared with master-record linking; they are re-exported here unchanged.
"""

import datetime as dt
import re
from collections.abc import Callable
from typing import Final

from govmesh.kernel.catalog.divisions import (
    GUANGDONG_PREFECTURES,
    GUANGZHOU_DISTRICTS,
    PROVINCES,
    division_name,
)
from govmesh.kernel.identifiers import check_citizen_id, check_credit_code, make_citizen_id, make_credit_code

__all__ = [
    "FORMAT_CHECKS",
    "check_citizen_id",
    "check_credit_code",
    "check_date",
    "check_division_code",
    "check_email",
    "check_phone",
    "check_postal_code",
    "division_name",
    "make_citizen_id",
    "make_credit_code",
]


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() alone also accepts digits such as '３' or '٣', which the standards forbid.
    return text.isascii() and text.isdigit()


# --- GB/T 2260 administrative division code ------------------------------------------------

_GUANGDONG: Final = "44"
_GUANGDONG_ITSELF: Final = "440000"
_GUANGZHOU: Final = "4401"


def check_division_code(value: str) -> str | None:
    """Check a GB/T 2260 6-digit division code.

    Guangdong codes must name a known prefecture and Guangzhou codes a known (current or
    historic) district; elsewhere only the province prefix is checked, as no table is shipped.
    """
    if len(value) != 6 or not _is_ascii_digits(value):
        return f"must be 6 digits, got {value!r}"
    if value[:2] not in PROVINCES:
        return f"unknown province code {value[:2]}"
    if value[:2] == _GUANGDONG and value != _GUANGDONG_ITSELF:
        prefecture = value[:4]
        if prefecture not in GUANGDONG_PREFECTURES:
            return f"unknown Guangdong prefecture code {prefecture}"
        if prefecture == _GUANGZHOU and value not in GUANGZHOU_DISTRICTS:
            return f"unknown Guangzhou district code {value}"
    return None


# --- Contact details and dates -------------------------------------------------------------

# Character classes are spelled [0-9] rather than \d so that non-ASCII digits never match.
_MOBILE_PHONE: Final = re.compile(r"1[3-9][0-9]{9}")
# Local numbers never start with 0 or 1: those are the trunk prefix and service numbers.
_FIXED_PHONE: Final = re.compile(r"0[1-9][0-9]{1,2}-?[2-9][0-9]{6,7}(?:-[0-9]{1,4})?")
_POSTAL_CODE: Final = re.compile(r"[0-9]{6}")
_ISO_DATE: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_EMAIL: Final = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
)
_EMAIL_MAX_LENGTH: Final = 254
_EMAIL_LOCAL_MAX_LENGTH: Final = 64


def check_phone(value: str) -> str | None:
    """Check a mainland mobile number, or a fixed-line number with area code and extension."""
    if _MOBILE_PHONE.fullmatch(value) or _FIXED_PHONE.fullmatch(value):
        return None
    if value.startswith("1"):
        return "not a mainland mobile number: 11 digits starting 13-19"
    if value.startswith("0"):
        return "not a fixed-line number: area code, optional '-', 7-8 digits, optional '-extension'"
    return "not a mainland mobile number (1[3-9] + 9 digits) or a fixed-line number (0 + area code)"


def check_postal_code(value: str) -> str | None:
    """Check a 6-digit mainland postal code."""
    if _POSTAL_CODE.fullmatch(value):
        return None
    return f"must be 6 digits, got {value!r}"


def check_email(value: str) -> str | None:
    """Check an e-mail address against a practical, not RFC 5322-complete, ASCII pattern."""
    if len(value) > _EMAIL_MAX_LENGTH:
        return f"must be at most {_EMAIL_MAX_LENGTH} characters, got {len(value)}"
    if not _EMAIL.fullmatch(value):
        return "not an e-mail address of the form local@domain.tld"
    if value.index("@") > _EMAIL_LOCAL_MAX_LENGTH:
        return f"the part before '@' must be at most {_EMAIL_LOCAL_MAX_LENGTH} characters"
    return None


def check_date(value: str) -> str | None:
    """Check an ISO 8601 calendar date written YYYY-MM-DD."""
    # date.fromisoformat would also accept forms like 20240131 or 2024-W05-3 since Python 3.11.
    match = _ISO_DATE.fullmatch(value)
    if match is None:
        return f"must be a date written YYYY-MM-DD, got {value!r}"
    year, month, day = match.groups()
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        return f"{value} is not a real calendar date"
    return None


FORMAT_CHECKS: Final[dict[str, Callable[[str], str | None]]] = {
    "citizen_id": check_citizen_id,
    "credit_code": check_credit_code,
    "division_code": check_division_code,
    "phone": check_phone,
    "date": check_date,
    "postal_code": check_postal_code,
    "email": check_email,
}
