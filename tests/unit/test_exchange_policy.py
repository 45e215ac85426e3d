"""Filtering by decisions: an item a receiver may not see is absent, a row outside every scope is not sent."""

from __future__ import annotations

import dataclasses
import datetime as dt

from govmesh.kernel.catalog.model import SharingType
from govmesh.kernel.policy.rows import division_covers
from govmesh.services.exchange.domain.policy import (
    ALL_ROWS,
    Entitlement,
    ItemDecision,
    Row,
    RowScope,
    filter_record,
)
from govmesh.services.exchange.domain.records import Record, record_digest
from govmesh.services.exchange.domain.requests import Claim, Verdict, verify_claims
from govmesh.services.exchange.domain.subscriptions import RowFilter

TIANHE, YUEXIU = "440106", "440104"


def allow(item: str, scope: RowScope = ALL_ROWS, *grants: str) -> ItemDecision:
    return ItemDecision(
        "102.001", item, True, "GRANTED" if grants else "UNCONDITIONAL", SharingType.CONDITIONAL, scope, grants
    )


def deny(item: str, reason: str = "NO_GRANT") -> ItemDecision:
    return ItemDecision("102.001", item, False, reason, SharingType.CONDITIONAL)


def record(division: str = TIANHE, entity: str = "E1") -> Record:
    made = Record(
        "102.001",
        entity,
        division,
        dt.datetime(2009, 3, 2, tzinfo=dt.UTC),
        {"102.001.001": ("string", "A"), "102.001.006": ("string", "B"), "102.001.030": ("bytes", b"C")},
        "k",
    )
    return dataclasses.replace(made, digest=record_digest(made))


def test_an_item_the_receiver_may_not_see_is_absent_not_empty() -> None:
    entitlement = Entitlement.of(
        "102.001", [allow("102.001.001"), deny("102.001.006"), deny("102.001.030", "NOT_SHAREABLE")], 7
    )
    seen = filter_record(record(), entitlement)
    assert seen.record is not None and seen.narrowed
    assert dict(seen.record.values) == {"102.001.001": ("string", "A")}
    assert seen.record.digest == record_digest(seen.record) != record().digest


def test_a_record_the_receiver_may_see_whole_is_passed_on_unchanged() -> None:
    entitlement = Entitlement.of("102.001", [allow(c) for c in ("102.001.001", "102.001.006", "102.001.030")], 7)
    seen = filter_record(record(), entitlement)
    assert seen.record == record() and not seen.narrowed


def test_an_item_is_kept_only_on_rows_inside_its_scope() -> None:
    district = RowScope(division_codes=(TIANHE,))
    entitlement = Entitlement.of("102.001", [allow("102.001.001"), allow("102.001.006", district, "grants/7")], 7)
    inside = filter_record(record(TIANHE), entitlement).record
    outside = filter_record(record(YUEXIU), entitlement).record
    assert inside is not None and set(inside.values) == {"102.001.001", "102.001.006"}
    assert outside is not None and set(outside.values) == {"102.001.001"}
    assert entitlement.grants_for({"102.001.006"}) == ("grants/7",)
    assert entitlement.scope_for({"102.001.001", "102.001.006"}) == ALL_ROWS


def test_a_row_outside_every_scope_is_not_sent_at_all() -> None:
    district = RowScope(division_codes=(TIANHE,))
    entitlement = Entitlement.of("102.001", [allow("102.001.006", district, "grants/7")], 7)
    assert filter_record(record(YUEXIU), entitlement).record is None


def test_rows_of_requested_entities_only_reach_the_one_who_asked_for_them() -> None:
    requested = RowScope(requested_entities_only=True)
    entitlement = Entitlement.of("102.001", [allow("102.001.006", requested, "grants/9")], 9)
    assert filter_record(record(), entitlement, requested=True).record is not None
    assert filter_record(record(), entitlement, requested=False).record is None


def test_a_subscription_may_ask_for_fewer_items_than_it_may_have() -> None:
    entitlement = Entitlement.of("102.001", [allow("102.001.001"), allow("102.001.006")], 3).narrowed_to(
        ["102.001.006"]
    )
    seen = filter_record(record(), entitlement).record
    assert seen is not None and set(seen.values) == {"102.001.006"}
    assert [d.item_code for d in entitlement.decisions] == ["102.001.006"]


def test_a_division_lies_within_its_city_and_province_but_not_beside_them() -> None:
    assert division_covers(TIANHE, TIANHE)
    assert division_covers("440100", TIANHE) and division_covers("440000", TIANHE)
    assert not division_covers(YUEXIU, TIANHE) and not division_covers("440100", "440306")


def test_a_row_filter_passes_rows_matching_every_list_it_has() -> None:
    row_filter = RowFilter((TIANHE,), frozenset({"E1"}))
    assert row_filter.passes(Row(TIANHE, "E1"))
    assert not row_filter.passes(Row(TIANHE, "E2")) and not row_filter.passes(Row(YUEXIU, "E1"))
    assert RowFilter().passes(Row(YUEXIU, "E9"))


def test_a_verification_says_match_or_mismatch_item_by_item_and_never_more() -> None:
    held = [record(entity="E1")]
    claims = [
        Claim("E1", {"102.001.001": ("string", "A"), "102.001.006": ("string", "X"), "102.001.030": ("bytes", b"C")}),
        Claim("E2", {"102.001.001": ("string", "A")}),
        Claim("E3", {"102.001.001": ("string", "A")}),
    ]
    results = verify_claims(claims, held, ["E2"], lambda _r: frozenset({"102.001.001", "102.001.006"}))
    first, missing = results
    assert [(i.item_code, i.verdict) for i in first.items] == [
        ("102.001.001", Verdict.MATCH),
        ("102.001.006", Verdict.MISMATCH),
        ("102.001.030", Verdict.NOT_ALLOWED),
    ]
    assert first.verdict is Verdict.MISMATCH
    assert (missing.entity_key, missing.verdict) == ("E2", Verdict.NO_RECORD)  # E3: not answered yet, no verdict
