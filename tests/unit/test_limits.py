"""Unit tests for the gateway's limits: the token bucket's arithmetic and reading the limits configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govmesh.runtime.identity import Principal
from govmesh.services.gateway.domain.limits import (
    UNKNOWN_COST,
    Allowance,
    Limiter,
    Limits,
    load_limits,
    parse_limits,
)

MAX_MESSAGE = 4 * 1024 * 1024


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_admits_a_burst_then_refuses_with_the_time_to_the_next_token() -> None:
    allowance = Allowance(Limits(requests_per_second=2, burst=3), now=0.0)
    assert [allowance.take_call(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert allowance.take_call(0.0) == pytest.approx(0.5)
    assert allowance.take_call(0.25) == pytest.approx(0.25)
    assert allowance.take_call(0.5) == 0.0
    assert (allowance.admitted, allowance.rejected) == (4, 2)


def test_a_zero_rate_is_unlimited() -> None:
    allowance = Allowance(Limits(requests_per_second=0, burst=1), now=0.0)
    assert all(allowance.take_call(0.0) == 0.0 for _ in range(10_000))


@given(
    rate=st.floats(min_value=0.5, max_value=1000),
    burst=st.integers(min_value=1, max_value=100),
    gaps=st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=200),
)
def test_over_any_stretch_admitted_calls_never_exceed_the_burst_plus_what_the_rate_refills(
    rate: float, burst: int, gaps: list[float]
) -> None:
    allowance = Allowance(Limits(requests_per_second=rate, burst=burst), now=0.0)
    now = 0.0
    for gap in gaps:
        now += gap
        wait = allowance.take_call(now)
        assert wait >= 0.0
        assert 0.0 <= allowance.tokens <= burst
    assert allowance.admitted <= burst + rate * now + 1e-6
    assert allowance.admitted + allowance.rejected == len(gaps)


def test_overrides_inherit_the_default_and_a_kind_wildcard_covers_the_rest_of_its_kind() -> None:
    config = parse_limits(
        {
            "default": {"requests_per_second": 50, "max_concurrent_streams": 4},
            "principals": {"department/AIC": {"burst": 7}, "maintainer/*": {"requests_per_second": 5}},
        },
        max_message_bytes=MAX_MESSAGE,
    )
    aic = config.for_principal(Principal("department", "AIC"))
    assert (aic.requests_per_second, aic.burst, aic.max_concurrent_streams) == (50, 7, 4)
    assert config.for_principal(Principal("maintainer", "ops")).requests_per_second == 5
    assert config.for_principal(Principal("department", "LTAX")) == config.default
    assert config.default.max_message_bytes == MAX_MESSAGE


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        ({"default": {"rps": 5}}, "unknown limit"),
        ({"default": {"burst": 1.5}}, "whole number"),
        ({"default": {"requests_per_second": -1}}, "must not be negative"),
        ({"default": {"default_deadline_seconds": 60, "max_deadline_seconds": 30}}, "must not exceed"),
        ({"principals": {"AIC": {}}}, "not kind/code"),
        ({"principals": {"robot/*": {}}}, "unknown kind"),
        ({"default": {"max_message_bytes": MAX_MESSAGE + 1}}, "exceeds the server"),
        ({"limits": {}}, "unknown key"),
        ({"default": {"burst": True}}, "expected a number"),
    ],
)
def test_a_malformed_limits_document_is_refused_with_where_and_why(document: object, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse_limits(document, max_message_bytes=MAX_MESSAGE)


def test_limits_load_from_inline_json_and_from_yaml_toml_and_json_files(tmp_path: Path) -> None:
    assert load_limits("", max_message_bytes=MAX_MESSAGE).default == Limits()
    inline = load_limits('{"default": {"burst": 9}}', max_message_bytes=MAX_MESSAGE)
    assert inline.default.burst == 9
    (tmp_path / "limits.yaml").write_text("principals:\n  department/AIC:\n    burst: 3\n", encoding="utf-8")
    (tmp_path / "limits.toml").write_text('[principals."department/AIC"]\nburst = 4\n', encoding="utf-8")
    (tmp_path / "limits.json").write_text(json.dumps({"principals": {"department/AIC": {"burst": 5}}}))
    aic = Principal("department", "AIC")
    for suffix, burst in (("yaml", 3), ("toml", 4), ("json", 5)):
        config = load_limits(str(tmp_path / f"limits.{suffix}"), max_message_bytes=MAX_MESSAGE)
        assert config.for_principal(aic).burst == burst
    (tmp_path / "broken.yaml").write_text("principals: [", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.yaml"):
        load_limits(str(tmp_path / "broken.yaml"), max_message_bytes=MAX_MESSAGE)


def test_usage_reports_refilled_tokens_open_streams_and_counts() -> None:
    clock = Clock()
    limiter = Limiter(parse_limits({"default": {"requests_per_second": 1, "burst": 2}}, max_message_bytes=10), clock)
    aic = Principal("department", "AIC")
    allowance = limiter.allowance(aic)
    assert allowance.take_call(clock.now) == 0.0 and allowance.take_call(clock.now) == 0.0
    assert allowance.take_call(clock.now) > 0
    allowance.open_streams += 1
    clock.now += 1.5
    usage = limiter.usage(aic)
    assert usage.available_tokens == pytest.approx(1.5)
    assert (usage.open_streams, usage.admitted_calls, usage.rejected_calls) == (1, 2, 1)
    assert limiter.allowance(aic) is allowance


LIST = "/catalog.v1.CatalogService/ListSubjects"


def _spend(allowance: Allowance, size: int, now: float, method: str = LIST) -> float:
    """One call as the gate makes it: wait for its expected cost, reserve it, settle the real size on its answer."""
    expected, wait, _ = allowance.cost_wait(method, now)
    if wait:
        return wait
    probe = allowance.reserve(method, expected, now)
    allowance.settle(method, expected, probe, size, now)
    return 0.0


def test_expensive_calls_wait_until_their_bytes_are_repaid_at_the_principals_rate() -> None:
    allowance = Allowance(Limits(response_bytes_per_second=1_000_000, response_bytes_burst=2_000_000), now=0.0)
    # The first 1.5 MB answer comes from the full bucket; from then on each call is expected to cost
    # as much, and waits until the bucket holds it.
    assert _spend(allowance, 1_500_000, 0.0) == 0.0
    assert _spend(allowance, 1_500_000, 0.0) == pytest.approx(1.0)
    assert _spend(allowance, 1_500_000, 1.0) == 0.0
    assert _spend(allowance, 1_500_000, 1.0) == pytest.approx(1.5)
    # An answer larger than expected leaves the bucket in debt, and the next call pays it off too.
    assert _spend(allowance, 4_000_000, 2.5) == 0.0
    assert allowance.available_bytes(2.5) == pytest.approx(-2_500_000, rel=0.01)


def test_expensive_answers_are_produced_one_after_another_however_full_the_bucket() -> None:
    allowance = Allowance(Limits(response_bytes_per_second=1_000_000, response_bytes_burst=4_000_000), now=0.0)
    assert _spend(allowance, 900_000, 0.0) == 0.0  # taught: a ListSubjects answer costs 0.9 MB
    expected, wait, _ = allowance.cost_wait(LIST, 0.0)
    assert wait == 0.0
    allowance.reserve(LIST, expected, 0.0)
    # The bucket still holds 2.2 MB, but a second such answer in flight would exceed a second's rate:
    # the call waits for the one in flight, not for its budget.
    _, wait, in_flight = allowance.cost_wait(LIST, 0.0)
    assert wait == pytest.approx(0.9, rel=0.01) and in_flight
    # Cheap calls of other methods still fit beside it.
    assert allowance.cost_wait("/catalog.v1.CatalogService/GetItem", 0.0)[1] == 0.0
    allowance.settle(LIST, expected, False, 900_000, 0.3)
    assert allowance.cost_wait(LIST, 0.3)[1] == 0.0


def test_the_first_call_of_a_method_goes_alone_until_its_answer_tells_its_cost() -> None:
    allowance = Allowance(Limits(response_bytes_per_second=1_000_000, response_bytes_burst=4_000_000), now=0.0)
    expected, wait, _ = allowance.cost_wait(LIST, 0.0)
    assert (expected, wait) == (UNKNOWN_COST, 0.0)
    assert allowance.reserve(LIST, expected, 0.0)  # a probe
    assert allowance.cost_wait(LIST, 0.0)[1] > 0  # a flood of the new method waits for its answer
    # The first calls of other methods pass at once, as a client starting up makes them.
    for other in ("GetItem", "ListItems", "GetCatalogStats"):
        cost, wait, _ = allowance.cost_wait(f"/catalog.v1.CatalogService/{other}", 0.0)
        assert wait == 0.0
        allowance.reserve(f"/catalog.v1.CatalogService/{other}", cost, 0.0)
    allowance.settle(LIST, expected, True, 900_000, 0.2)
    assert allowance.cost_wait(LIST, 0.2)[0] == pytest.approx(900_000)


def test_cheap_calls_of_a_method_do_not_talk_its_expected_cost_down() -> None:
    allowance = Allowance(Limits(response_bytes_per_second=1_000_000, response_bytes_burst=100_000_000), now=0.0)
    assert _spend(allowance, 900_000, 0.0) == 0.0
    for _ in range(100):
        assert _spend(allowance, 100, 0.0) == 0.0
    assert allowance.cost_wait(LIST, 0.0)[0] == pytest.approx(900_000)
    # Without large answers for a while, the method is expected to be cheap again.
    assert allowance.cost_wait(LIST, 600.0)[0] < 1_000


def test_a_call_costlier_than_the_whole_bucket_still_passes_on_a_full_one() -> None:
    allowance = Allowance(Limits(response_bytes_per_second=100, response_bytes_burst=1_000), now=0.0)
    assert allowance.bytes_wait(50_000, 0.0) == 0.0
    allowance.charge_bytes(50_000, 0.0)
    assert allowance.bytes_wait(50_000, 0.0) == pytest.approx(500.0)


def test_a_zero_byte_rate_counts_no_cost() -> None:
    allowance = Allowance(Limits(response_bytes_per_second=0), now=0.0)
    allowance.charge_bytes(10**12, 0.0)
    assert allowance.bytes_wait(10**12, 0.0) == 0.0


@given(
    rate=st.floats(min_value=1_000, max_value=10_000_000),
    burst=st.integers(min_value=1_000, max_value=10_000_000),
    calls=st.lists(
        st.tuples(st.floats(min_value=0, max_value=2), st.integers(min_value=0, max_value=5_000_000)),
        min_size=1,
        max_size=100,
    ),
)
def test_the_bytes_a_principal_receives_stay_within_its_budget_plus_one_answer(
    rate: float, burst: int, calls: list[tuple[float, int]]
) -> None:
    allowance = Allowance(Limits(response_bytes_per_second=rate, response_bytes_burst=burst), 0.0)
    now, received, largest = 0.0, 0, 0
    for gap, size in calls:
        now += gap
        if _spend(allowance, size, now) == 0.0:
            received += size
            largest = max(largest, size)
    # Admission needs a positive balance, so the debt never exceeds the last answer.
    assert received <= burst + rate * now + largest + 1e-6


def test_a_principal_in_debt_from_its_deliveries_may_still_acknowledge_them() -> None:
    """Acknowledging is what lets a subscriber's backlog shrink; holding it would only bring redeliveries."""
    limits = Limits(response_bytes_per_second=1000, response_bytes_burst=1000)
    allowance = Allowance(limits, now=0.0)
    allowance.charge_bytes(50_000, now=0.0)  # a Subscribe stream's deliveries, far over the budget
    ack = "/exchange.v1.ExchangeService/AcknowledgeDeliveries"
    assert allowance.cost_wait(ack, 0.0)[1] == 0.0
    # An expensive read is still held until the debt is repaid.
    read = "/catalog.v1.CatalogService/ListSubjects"
    allowance.estimates.observe(read, 200_000, now=0.0)
    assert allowance.cost_wait(read, 0.0)[1] > 0


def test_a_method_seen_to_answer_small_is_not_held_by_the_byte_budget() -> None:
    limits = Limits(response_bytes_per_second=1000, response_bytes_burst=1000)
    allowance = Allowance(limits, now=0.0)
    allowance.estimates.observe("/catalog.v1.CatalogService/GetItem", 900, now=0.0)
    allowance.charge_bytes(50_000, now=0.0)
    assert allowance.cost_wait("/catalog.v1.CatalogService/GetItem", 0.0)[1] == 0.0
