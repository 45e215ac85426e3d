"""Unit tests for AIP-158 pagination (govmesh.runtime.paging): page sizes, opaque tokens, and pages."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govmesh.runtime.errors import FieldViolation, InvalidArgument
from govmesh.runtime.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest, page_request, paginate, token_for


def violations_of(page_size: int, page_token: str) -> list[FieldViolation]:
    with pytest.raises(InvalidArgument) as raised:
        page_request(page_size, page_token)
    return raised.value.violations


@given(st.integers(min_value=0, max_value=10**12))
def test_a_token_carries_its_offset_back(offset: int) -> None:
    assert page_request(10, token_for(offset)).offset == offset


def test_no_token_starts_at_the_beginning() -> None:
    assert page_request(10, "") == PageRequest(0, 10)


def test_a_zero_page_size_means_the_default() -> None:
    assert page_request(0, "").size == DEFAULT_PAGE_SIZE


@given(st.integers(min_value=1, max_value=10**9))
def test_a_page_size_is_coerced_to_the_maximum(size: int) -> None:
    assert page_request(size, "").size == min(size, MAX_PAGE_SIZE)


@given(st.integers(max_value=-1))
def test_a_negative_page_size_is_an_invalid_argument_on_that_field(size: int) -> None:
    assert violations_of(size, "") == [FieldViolation("page_size", "must not be negative")]


@pytest.mark.parametrize(
    "token",
    [
        "not a token",
        "bzo=",  # "o:" and no number
        base64.urlsafe_b64encode(b"o:-5").decode(),
        base64.urlsafe_b64encode(b"x:5").decode(),
        base64.urlsafe_b64encode(b"o:five").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "é",
    ],
)
def test_a_forged_token_is_an_invalid_argument_on_that_field(token: str) -> None:
    assert violations_of(10, token) == [FieldViolation("page_token", "is not a token this service issued")]


def test_a_negative_size_and_a_forged_token_are_both_reported() -> None:
    assert [v.field for v in violations_of(-1, "forged")] == ["page_size", "page_token"]


@given(st.text(min_size=1))
def test_any_token_either_reads_as_an_offset_or_is_an_invalid_argument(token: str) -> None:
    try:
        request = page_request(10, token)
    except InvalidArgument as error:
        assert [v.field for v in error.violations] == ["page_token"]
    else:
        assert request.offset >= 0


@given(st.integers(min_value=0, max_value=120), st.integers(min_value=1, max_value=30))
def test_following_next_page_tokens_visits_every_item_once_in_order(total: int, size: int) -> None:
    items = list(range(total))
    seen: list[int] = []
    token = ""
    for _ in range(total + 2):
        page = paginate(items, page_request(size, token))
        assert page.total_size == total
        assert len(page.items) <= size
        seen += page.items
        token = page.next_page_token
        if not token:
            break
    assert seen == items


def test_the_last_page_has_no_next_token() -> None:
    page = paginate(list(range(10)), PageRequest(offset=5, size=5))
    assert (page.items, page.next_page_token) == ([5, 6, 7, 8, 9], "")


def test_a_page_past_the_end_is_empty() -> None:
    page = paginate([1, 2, 3], PageRequest(offset=10, size=5))
    assert (page.items, page.next_page_token, page.total_size) == ([], "", 3)
