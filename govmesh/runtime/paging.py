"""AIP-158 pagination: page sizes coerced to a maximum, opaque page tokens that carry an offset."""

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
        try:
            kind, _, number = base64.urlsafe_b64decode(page_token.encode()).decode().partition(":")
            offset = int(number)
            if kind != "o" or offset < 0:
                raise ValueError(page_token)
        except ValueError:
            violations.append(FieldViolation("page_token", "is not a token this service issued"))
    if violations:
        raise InvalidArgument("bad pagination", violations)
    size = default if page_size == 0 else min(page_size, maximum)
    return PageRequest(offset, size)


def token_for(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def paginate(items: Sequence[T], request: PageRequest) -> Page[T]:
    """Cuts one page out of a fully ranked sequence."""
    end = request.offset + request.size
    window = list(items[request.offset : end])
    return Page(window, token_for(end) if end < len(items) else "", len(items))
