"""AIP-158 pagination, the one convention of every service: use cases take a PageRequest and return a Page."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from govmesh.runtime.errors import FieldViolation, InvalidArgument

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class PageRequest:
    offset: int
    size: int


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str
    total_size: int


def page_request(
    page_size: int, page_token: str, *, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE
) -> PageRequest:
    """Reads a request's page size and token; a negative size or a forged token is INVALID_ARGUMENT.

    `default` and `maximum` are the sizes the method's contract promises for 0 and as a ceiling.
    """
    violations = []
    if page_size < 0:
        violations.append(FieldViolation("page_size", "must not be negative"))
    offset = 0
    if page_token:
        numbers = _numbers(page_token, OFFSET, 1)
        if numbers is None:
            violations.append(_FORGED)
        else:
            offset = numbers[0]
    if violations:
        raise InvalidArgument("bad pagination", violations)
    size = default if page_size == 0 else min(page_size, maximum)
    return PageRequest(offset, size)


def token(kind: str, *numbers: int) -> str:
    """An opaque page token of `kind` carrying `numbers` (an offset, a keyset position, a revision …)."""
    return base64.urlsafe_b64encode(":".join([kind, *map(str, numbers)]).encode()).decode()


def read_token(page_token: str, kind: str, count: int) -> list[int]:
    """The numbers a token of `kind` carries; any other token is INVALID_ARGUMENT."""
    numbers = _numbers(page_token, kind, count)
    if numbers is None:
        raise InvalidArgument("bad pagination", [_FORGED])
    return numbers


def token_for(offset: int) -> str:
    return token(OFFSET, offset)


def paginate(items: Sequence[T], request: PageRequest) -> Page[T]:
    """Cuts one page out of a fully ranked sequence."""
    end = request.offset + request.size
    window = list(items[request.offset : end])
    return Page(window, token_for(end) if end < len(items) else "", len(items))


def page_of(found: Sequence[T], request: PageRequest, total: int = -1) -> Page[T]:
    """The page from a query that read one item past it (so whether more follow is known without counting)."""
    more = len(found) > request.size if total < 0 else request.offset + request.size < total
    return Page(list(found[: request.size]), token_for(request.offset + request.size) if more else "", total)


def _numbers(page_token: str, kind: str, count: int) -> list[int] | None:
    try:
        parts = base64.urlsafe_b64decode(page_token.encode()).decode().split(":")
        numbers = [int(p) for p in parts[1:]]
    except ValueError:
        return None
    if parts[0] != kind or len(numbers) != count or any(n < 0 for n in numbers):
        return None
    return numbers


OFFSET = "o"
_FORGED = FieldViolation("page_token", "is not a token this service issued")
