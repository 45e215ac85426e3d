"""GB 11643 citizen identity numbers and GB 32100 unified social credit codes: checks, normalisation, test data."""

import datetime as dt
import unicodedata
from typing import Final

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from govmesh.kernel.catalog.divisions import PROVINCES

__all__ = [
    "check_citizen_id",
    "check_credit_code",
    "check_organisation_code",
    "citizen_id_birth_date",
    "citizen_id_gender",
    "clean_identifier",
    "make_citizen_id",
    "make_credit_code",
    "normalise_citizen_id",
    "normalise_credit_code",
    "organisation_code_check_char",
    "upgrade_citizen_id",
]

# China has had no daylight saving since 1991, so a fixed offset gives the civil date in
# Guangzhou without depending on the host's time zone or on tzdata being installed.
_CHINA_TIME: Final = dt.timezone(dt.timedelta(hours=8), "CST")
_MIN_BIRTH_YEAR: Final = 1900
_ID_CHECK_CHARS: Final = frozenset("0123456789X")
# Separators people type inside identifiers; none of them is ever part of the number.
_SEPARATORS: Final = str.maketrans("", "", " \t\u3000-_.·")


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() alone also accepts digits such as '３' or '٣', which the standards forbid.
    return text.isascii() and text.isdigit()


def clean_identifier(value: str) -> str:
    """The identifier as typed, minus width forms, separators and case: the form to compare even when invalid."""
    return unicodedata.normalize("NFKC", value).translate(_SEPARATORS).upper()


# --- GB 11643-1999 citizen identity number -------------------------------------------------


def _citizen_id_check_char(body: str) -> str:
    # stdnum computes the ISO 7064 MOD 11-2 character of a full number, so give it a placeholder.
    return ric.calc_check_digit(body + "0")


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
    """Check a GB 11643-1999 18-character citizen identity number; a reason, or None when valid.

    Only the province prefix of the address code is checked (not stdnum's county table): a
    number keeps the county code it was issued under for life, and many of those codes have
    since been abolished. `today` (default: the current date in China) bounds the birth date.
    """
    if len(value) != 18:
        return f"must be 18 characters, got {len(value)}"
    body = value[:17]
    if not _is_ascii_digits(body):
        return "the first 17 characters must be digits"
    check = value[17]
    if check == "x":
        return "check character must be an uppercase 'X', not a lowercase 'x'"
    if check not in _ID_CHECK_CHARS:
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


def upgrade_citizen_id(value: str) -> str:
    """The 18-character form of a 15-digit (pre-1999) number: century 19 inserted, check character added.

    Every 15-digit number was issued to someone born in the 1900s, so the century is never a guess.
    """
    if len(value) != 15 or not _is_ascii_digits(value):
        raise ValueError(f"a 15-digit citizen identity number must be 15 digits, got {value!r}")
    body = f"{value[:6]}19{value[6:]}"
    return body + _citizen_id_check_char(body)


def normalise_citizen_id(value: str, *, today: dt.date | None = None) -> str | None:
    """The canonical 18-character form of a citizen identity number, or None if it is not a valid one.

    Accepts full-width digits, spaces and separators, a lowercase x and the old 15-digit form.
    """
    cleaned = clean_identifier(value)
    if len(cleaned) == 15 and _is_ascii_digits(cleaned):
        cleaned = upgrade_citizen_id(cleaned)
    return cleaned if check_citizen_id(cleaned, today=today) is None else None


def citizen_id_birth_date(value: str) -> dt.date:
    """The birth date written in a valid 18-character citizen identity number."""
    try:
        return ric.get_birth_date(value)
    except ValidationError as error:
        raise ValueError(f"no birth date in {value!r}") from error


def citizen_id_gender(value: str) -> str:
    """'M' or 'F': GB 11643 gives men odd and women even sequence numbers."""
    if len(value) < 17 or not value[16].isdigit():
        raise ValueError(f"no sequence number in {value!r}")
    return "M" if int(value[16]) % 2 else "F"


# --- GB 32100-2015 unified social credit code ----------------------------------------------

_CREDIT_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES: Final = {char: value for value, char in enumerate(_CREDIT_CHARSET)}
_CREDIT_AUTHORITIES: Final = frozenset("123456789ANY")
# The per-authority lists of entity types keep being amended, so only the shape (a non-zero
# digit) is enforced; the check character still catches any mistyped type.
_CREDIT_ENTITY_TYPES: Final = frozenset("123456789")

# GB 11714 organisation code: 8 body characters and a check character, positions 9-17 of a credit code.
_ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY_LENGTH: Final = 8


def organisation_code_check_char(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    if len(body) != _ORG_BODY_LENGTH or not body.isascii() or not body.isalnum():
        raise ValueError(f"an organisation code body is 8 digits or uppercase letters, got {body!r}")
    # GB 11714 values letters A=10 .. Z=35 over the whole alphabet, unlike GB 32100's charset.
    total = 0
    for char, weight in zip(body.upper(), _ORG_WEIGHTS, strict=True):
        total += (ord(char) - 48 if char <= "9" else ord(char) - 55) * weight
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def check_organisation_code(code: str) -> str | None:
    """Check a 9-character GB 11714 organisation code (as held in positions 9-17 of a credit code)."""
    if len(code) != _ORG_BODY_LENGTH + 1:
        return f"an organisation code must be 9 characters, got {len(code)}"
    try:
        expected = organisation_code_check_char(code[:_ORG_BODY_LENGTH])
    except ValueError as error:
        return str(error)
    if code[-1] != expected:
        return f"organisation code check character mismatch: expected {expected}"
    return None


def _credit_charset_problem(value: str) -> str | None:
    for position, char in enumerate(value, start=1):
        if char not in _CREDIT_VALUES:
            if char.upper() in _CREDIT_VALUES:
                return f"character {char!r} at position {position} must be uppercase"
            return (
                f"character {char!r} at position {position} is not allowed "
                "(digits and uppercase letters except I, O, S, V, Z)"
            )
    return None


def check_credit_code(value: str, *, strict_organisation_code: bool = False) -> str | None:
    """Check a GB 32100-2015 18-character unified social credit code; a reason, or None when valid.

    Positions 3-8 are checked for shape only: the registering authority's division may be a
    national one (100000) or a since-abolished county. The organisation code inside (positions
    9-17) is held to its GB 11714 check character only when `strict_organisation_code` is set,
    because registries have not applied it to every entity type.
    """
    if len(value) != 18:
        return f"must be 18 characters, got {len(value)}"
    problem = _credit_charset_problem(value)
    if problem is not None:
        return problem
    if value[0] not in _CREDIT_AUTHORITIES:
        return f"unknown registration authority code {value[0]!r}"
    if value[1] not in _CREDIT_ENTITY_TYPES:
        return f"entity type must be a digit 1-9, got {value[1]!r}"
    if not _is_ascii_digits(value[2:8]):
        return f"positions 3-8 must be a 6-digit division code, got {value[2:8]!r}"
    # stdnum's own validate() rejects the letter authorities A, N and Y, so only its check character is used.
    expected = uscc.calc_check_digit(value)
    if value[17] != expected:
        return f"check character mismatch: expected {expected}"
    if strict_organisation_code:
        return check_organisation_code(value[8:17])
    return None


def normalise_credit_code(value: str) -> str | None:
    """The canonical form of a credit code (width, spaces and case undone), or None if it is not a valid one."""
    cleaned = clean_identifier(value)
    return cleaned if check_credit_code(cleaned) is None else None


def make_credit_code(division: str, sequence: int, authority: str = "9", entity_type: str = "1") -> str:
    """Build a credit code whose organisation code body encodes `sequence` (0..31**8 - 1).

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
    first17 = f"{authority}{entity_type}{division}{body}{organisation_code_check_char(body)}"
    return first17 + uscc.calc_check_digit(first17 + "0")
