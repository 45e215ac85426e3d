"""Subscriptions' rules: settings within bounds, delivery ids and cursors, the fate of an unacknowledged delivery."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from govmesh.services.exchange.domain.subscriptions import (
    SUBSCRIPTION_ID,
    DeliveryState,
    Subscription,
    delivery_id,
    next_attempt_fate,
    parse_cursor,
    parse_delivery_id,
    settings_problems,
)

ids = st.from_regex(SUBSCRIPTION_ID, fullmatch=True)


@given(ids, st.integers(min_value=0, max_value=2**62))
def test_a_delivery_id_names_its_subscription_and_position(subscription_id: str, sequence: int) -> None:
    assert parse_delivery_id(delivery_id(subscription_id, sequence)) == (subscription_id, sequence)


def test_text_that_is_not_a_delivery_id_is_not_read_as_one() -> None:
    for text in ("", "qts", "qts.", ".5", "qts.-5", "qts.５", "a b.5", "qts.5x"):
        assert parse_delivery_id(text) is None


def test_an_empty_cursor_starts_before_everything_and_a_forged_one_is_refused() -> None:
    assert parse_cursor("") == -1
    assert parse_cursor("42") == 42
    assert parse_cursor("forty-two") is None and parse_cursor("-1") is None


def test_settings_out_of_their_bounds_are_each_reported() -> None:
    draft = Subscription(
        id="bad id",
        subject_code="102.001",
        subscriber="QTS",
        ack_deadline=dt.timedelta(seconds=5),
        max_attempts=101,
    )
    fields = [problem_field for problem_field, _ in settings_problems(draft)]
    assert fields == ["subscription_id", "subscription.ack_deadline", "subscription.max_attempts"]
    assert settings_problems(Subscription("qts-1", "102.001", "QTS")) == []


@given(st.integers(min_value=1, max_value=100), st.integers(min_value=1, max_value=100))
def test_a_delivery_is_sent_again_until_its_attempts_are_spent(attempt: int, max_attempts: int) -> None:
    fate = next_attempt_fate(attempt, max_attempts)
    assert (fate is DeliveryState.DEAD) == (attempt >= max_attempts)
