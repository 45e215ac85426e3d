"""Format validators and test-data generators for the national data standards records must meet."""

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

# China has had no daylight saving since 1991, so a fixed offset gives the civil date in
# Guangzhou without depending on the host's time zone or on tzdata being installed.
_CHINA_TIME: Final = dt.timezone(dt.timedelta(hours=8), "CST")

# --- GB 11643-1999 citizen identity number -------------------------------------------------

_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS: Final = "10X98765432"
_ID_CHECK_CHAR_SET: Final = frozenset(_ID_CHECK_CHARS)
_MIN_BIRTH_YEAR: Final = 1900


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() alone also accepts digits such as '３' or '٣', which the standards forbid.
    return text.isascii() and text.isdigit()


def _citizen_id_check_char(body: str) -> str:
    total = 0
    for char, weight in zip(body, _ID_WEIGHTS, strict=True):
        total += (ord(char) - 48) * weight
    return _ID_CHECK_CHARS[total % 11]


def _birth_date_problem(text: str, today: dt.date | None) -> str | None:
    year = int(text[:4])
    try:
        birth = dt.date(year, int(text[4:6]), int(text[6:8]))
    except ValueError:
        return f"birth date {text} is not a real calendar date"
    if year < _MIN_BIRTH_YEAR:
        return f"birth year {year} is before {_MIN_BIRTH_YEAR}"
    if birth > (today or dt.datetime.now(_CHINA_TIME).date()):
        return f"birth date {text} is in the future"
    return None


def check_citizen_id(value: str, *, today: dt.date | None = None) -> str | None:
    """Check a GB 11643-1999 18-character citizen identity number.

    Only the province prefix of the address code is checked: a number keeps the county code
    it was issued under for life, and many of those codes have since been abolished.
    `today` (default: the current date in China) bounds the birth date.
    """
    if len(value) != 18:
        return f"must be 18 characters, got {len(value)}"
    body = value[:17]
    if not _is_ascii_digits(body):
        return "the first 17 characters must be digits"
    check = value[17]
    if check == "x":
        return "check character must be an uppercase 'X', not a lowercase 'x'"
    if check not in _ID_CHECK_CHAR_SET:
        return f"check character must be a digit or 'X', got {check!r}"
    if body[:2] not in PROVINCES:
        return f"unknown province code {body[:2]}"
    problem = _birth_date_problem(body[6:14], today)
    if problem is not None:
        return problem
    expected = _citizen_id_check_char(body)
    if check != expected:
        return f"check digit mismatch: expected {expected}"
    return None


def make_citizen_id(division: str, birth: dt.date, sequence: int) -> str:
    """Build the citizen identity number for a division, birth date and sequence (0..999)."""
    if len(division) != 6 or not _is_ascii_digits(division):
        raise ValueError(f"division must be 6 digits, got {division!r}")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be within 0..999, got {sequence}")
    if birth.year < 1000:
        raise ValueError(f"birth year must have 4 digits, got {birth.year}")
    body = f"{division}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    return body + _citizen_id_check_char(body)


# --- GB 32100-2015 unified social credit code ----------------------------------------------

_CREDIT_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES: Final = {char: value for value, char in enumerate(_CREDIT_CHARSET)}
_CREDIT_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # fmt: skip
_CREDIT_AUTHORITIES: Final = frozenset("123456789ANY")
# The per-authority lists of entity types keep being amended, so only the shape (a non-zero
# digit) is enforced; the check character still catches any mistyped type.
_CREDIT_ENTITY_TYPES: Final = frozenset("123456789")

# GB 11714 organization code, used as the body of a credit code.
_ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY_LENGTH: Final = 8


def _credit_check_char(values: list[int]) -> str:
    total = 0
    for value, weight in zip(values, _CREDIT_WEIGHTS, strict=True):
        total += value * weight
    return _CREDIT_CHARSET[(31 - total % 31) % 31]


def check_credit_code(value: str) -> str | None:
    """Check a GB 32100-2015 18-character unified social credit code.

    Positions 3-8 are checked for shape only: the registering authority's division may be a
    national one (100000) or a since-abolished county. The organization code body is not held
    to its GB 11714 check character, which registries have not applied to every entity type.
    """
    if len(value) != 18:
        return f"must be 18 characters, got {len(value)}"
    values: list[int] = []
    for position, char in enumerate(value, start=1):
        char_value = _CREDIT_VALUES.get(char)
        if char_value is None:
            if char.upper() in _CREDIT_VALUES:
                return f"character {char!r} at position {position} must be uppercase"
            return (
                f"character {char!r} at position {position} is not allowed "
                "(digits and uppercase letters except I, O, S, V, Z)"
            )
        values.append(char_value)
    if value[0] not in _CREDIT_AUTHORITIES:
        return f"unknown registration authority code {value[0]!r}"
    if value[1] not in _CREDIT_ENTITY_TYPES:
        return f"entity type must be a digit 1-9, got {value[1]!r}"
    if not _is_ascii_digits(value[2:8]):
        return f"positions 3-8 must be a 6-digit division code, got {value[2:8]!r}"
    expected = _credit_check_char(values[:17])
    if value[17] != expected:
        return f"check character mismatch: expected {expected}"
    return None


def _organization_check_char(body: str) -> str:
    # GB 11714 values letters A=10 .. Z=35 over the whole alphabet, unlike GB 32100's charset.
    total = 0
    for char, weight in zip(body, _ORG_WEIGHTS, strict=True):
        char_value = ord(char) - 48 if char <= "9" else ord(char) - 55
        total += char_value * weight
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def make_credit_code(division: str, sequence: int, authority: str = "9", entity_type: str = "1") -> str:
    """Build a credit code whose organization code body encodes `sequence` (0..31**8 - 1).

    The body is the sequence in base 31 over the credit code charset plus its GB 11714 check
    character, so small sequences give all-digit bodies and larger ones mix in letters.
    """
    if len(division) != 6 or not _is_ascii_digits(division):
        raise ValueError(f"division must be 6 digits, got {division!r}")
    if authority not in _CREDIT_AUTHORITIES:
        raise ValueError(f"unknown registration authority code {authority!r}")
    if entity_type not in _CREDIT_ENTITY_TYPES:
        raise ValueError(f"entity type must be a digit 1-9, got {entity_type!r}")
    if not 0 <= sequence < 31**_ORG_BODY_LENGTH:
        raise ValueError(f"sequence must be within 0..{31**_ORG_BODY_LENGTH - 1}, got {sequence}")
    chars: list[str] = []
    remaining = sequence
    for _ in range(_ORG_BODY_LENGTH):
        remaining, digit = divmod(remaining, 31)
        chars.append(_CREDIT_CHARSET[digit])
    body = "".join(reversed(chars))
    first17 = f"{authority}{entity_type}{division}{body}{_organization_check_char(body)}"
    return first17 + _credit_check_char([_CREDIT_VALUES[char] for char in first17])


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
