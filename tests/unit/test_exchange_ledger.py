"""The ledger's hash chain: an untouched chain verifies, and any edit, insertion, deletion or cut is found."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from govmesh.services.exchange.domain.ledger import (
    GENESIS_HASH,
    KEYED_DIGEST,
    EntryKind,
    LedgerEntry,
    LedgerEvent,
    LedgerProblem,
    StatsRow,
    canonical_entry,
    chain,
    hub_day,
    keyed_payload_digest,
    verify_chain,
)
from govmesh.services.exchange.domain.records import payload_digest

START = dt.datetime(2009, 3, 2, tzinfo=dt.UTC)
departments = st.sampled_from(["AIC", "QTS", "LTAX", "NTAX", "PSB"])
events = st.builds(
    LedgerEvent,
    kind=st.sampled_from(list(EntryKind)),
    sender=departments,
    receivers=st.lists(departments, max_size=3).map(tuple),
    subject=st.sampled_from(["subjects/102.001", "subjects/301.001", ""]),
    record_count=st.integers(min_value=0, max_value=500),
    payload_digest=st.binary(min_size=32, max_size=32).map(bytes.hex),
    reference=st.text(max_size=20),
    trace_id=st.binary(min_size=16, max_size=16).map(bytes.hex),
    create_time=st.integers(min_value=0, max_value=10**8).map(lambda s: START + dt.timedelta(seconds=s)),
    department=departments,
    exchanged=st.integers(min_value=0, max_value=500),
)
chains = st.lists(events, min_size=1, max_size=12).map(lambda made: chain(0, GENESIS_HASH, made))


def verify(entries: list[LedgerEntry], **kw: object) -> object:
    return verify_chain(iter(entries), start_sequence=1, expected_previous_hash=GENESIS_HASH, **kw)  # type: ignore[arg-type]


@given(chains)
def test_an_untouched_chain_verifies_and_reports_its_head(entries: list[LedgerEntry]) -> None:
    result = verify(entries)
    assert result.ok and result.entries_checked == len(entries)  # type: ignore[attr-defined]
    assert result.last_hash == entries[-1].entry_hash  # type: ignore[attr-defined]


# Every field an attacker could change, with a change that is always a real change.
EDITS = {
    "sender": lambda e: dataclasses.replace(e, sender=e.sender + "X"),
    "receivers": lambda e: dataclasses.replace(e, receivers=(*e.receivers, "EVIL")),
    "subject": lambda e: dataclasses.replace(e, subject=e.subject + "x"),
    "record_count": lambda e: dataclasses.replace(e, record_count=e.record_count + 1),
    "payload_digest": lambda e: dataclasses.replace(
        e, payload_digest="f" * 64 if e.payload_digest != "f" * 64 else "0" * 64
    ),
    "reference": lambda e: dataclasses.replace(e, reference=e.reference + "x"),
    "trace_id": lambda e: dataclasses.replace(e, trace_id=e.trace_id + "0"),
    "create_time": lambda e: dataclasses.replace(e, create_time=e.create_time + dt.timedelta(microseconds=1)),
    "department": lambda e: dataclasses.replace(e, department=e.department + "X"),
    "exchanged": lambda e: dataclasses.replace(e, exchanged=e.exchanged + 1),
    "day": lambda e: dataclasses.replace(e, day="1999-01-01"),
    "kind": lambda e: dataclasses.replace(
        e, kind=EntryKind.REPLAY if e.kind is not EntryKind.REPLAY else EntryKind.PUBLISH
    ),
}


@given(chains, st.data(), st.sampled_from(sorted(EDITS)))
def test_editing_any_field_of_any_entry_is_found_at_that_entry(
    entries: list[LedgerEntry], data: st.DataObject, field: str
) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(entries) - 1))
    tampered = list(entries)
    tampered[index] = dataclasses.replace(entries[index], exchange=EDITS[field](entries[index].exchange))
    result = verify(tampered)
    assert not result.ok  # type: ignore[attr-defined]
    assert result.first_bad_sequence == index + 1  # type: ignore[attr-defined]
    assert result.problem is LedgerProblem.ENTRY_MODIFIED  # type: ignore[attr-defined]
    assert result.entries_checked == index  # type: ignore[attr-defined]


@given(chains, st.data())
def test_an_entry_rewritten_with_a_fresh_hash_breaks_the_link_of_the_next(
    entries: list[LedgerEntry], data: st.DataObject
) -> None:
    if len(entries) < 2:
        return
    index = data.draw(st.integers(min_value=0, max_value=len(entries) - 2))
    forged = chain(index, entries[index].previous_hash, [EDITS["record_count"](entries[index].exchange)])[0]
    result = verify([*entries[:index], forged, *entries[index + 1 :]])
    assert (result.first_bad_sequence, result.problem) == (index + 2, LedgerProblem.CHAIN_BROKEN)  # type: ignore[attr-defined]


@given(chains, st.data())
def test_a_deleted_entry_is_a_gap_at_the_entry_after_it(entries: list[LedgerEntry], data: st.DataObject) -> None:
    if len(entries) < 2:
        return
    index = data.draw(st.integers(min_value=0, max_value=len(entries) - 2))
    result = verify(entries[:index] + entries[index + 1 :])
    assert (result.first_bad_sequence, result.problem) == (index + 2, LedgerProblem.SEQUENCE_GAP)  # type: ignore[attr-defined]


@given(chains, events, st.data())
def test_an_inserted_entry_is_found(entries: list[LedgerEntry], extra: LedgerEvent, data: st.DataObject) -> None:
    # Inserted before an existing entry, linked to its predecessor, successors renumbered: the
    # entry after it no longer hashes as it was (its sequence is part of its content).
    index = data.draw(st.integers(min_value=0, max_value=len(entries) - 1))
    previous = entries[index - 1].entry_hash if index else GENESIS_HASH
    inserted = chain(index, previous, [extra])[0]
    renumbered = [dataclasses.replace(e, sequence=e.sequence + 1) for e in entries[index:]]
    result = verify([*entries[:index], inserted, *renumbered])
    assert (result.ok, result.first_bad_sequence) == (False, index + 2)  # type: ignore[attr-defined]


@given(chains)
def test_a_cut_tail_is_found_by_an_anchor_recorded_earlier(entries: list[LedgerEntry]) -> None:
    head = entries[-1]
    result = verify(entries[:-1], anchors={head.sequence: head.entry_hash})
    assert (result.ok, result.problem) == (False, LedgerProblem.ANCHOR_MISMATCH)  # type: ignore[attr-defined]
    assert verify(entries, anchors={head.sequence: head.entry_hash}).ok  # type: ignore[attr-defined]


def test_verifying_a_later_range_continues_the_chain_from_the_hash_before_it() -> None:
    entries = chain(
        0,
        GENESIS_HASH,
        [LedgerEvent(EntryKind.PUBLISH, "AIC", (), "", n, "0" * 64, "", "", START, "AIC") for n in range(6)],
    )
    later = verify_chain(iter(entries[3:]), start_sequence=4, expected_previous_hash=entries[2].entry_hash)
    assert later.ok and later.entries_checked == 3
    wrong = verify_chain(iter(entries[3:]), start_sequence=4, expected_previous_hash=entries[1].entry_hash)
    assert (wrong.first_bad_sequence, wrong.problem) == (4, LedgerProblem.CHAIN_BROKEN)


def test_statistics_count_each_kind_where_it_belongs() -> None:
    row = StatsRow()
    row.add(EntryKind.PUBLISH, 500, 0, 1)
    row.add(EntryKind.DELIVERY, 500, 480, 1)
    row.add(EntryKind.ACKNOWLEDGEMENT, 500, 0, 1)
    row.add(EntryKind.REQUEST, 3, 0, 2)
    row.add(EntryKind.REPLY, 6, 6, 2)
    row.add(EntryKind.DEAD_LETTER, 1, 0, 1)
    assert (row.published_records, row.delivered_records, row.acknowledged_records) == (500, 500, 500)
    assert (row.requests, row.replied_records, row.dead_lettered_records) == (2, 6, 1)
    assert (row.exchanged_records, row.entries) == (486, 8)


def test_a_day_is_counted_in_the_hubs_time_zone() -> None:
    assert hub_day(dt.datetime(2009, 3, 1, 17, 0, tzinfo=dt.UTC)) == "2009-03-02"
    assert hub_day(dt.datetime(2009, 3, 1, 15, 59, tzinfo=dt.UTC)) == "2009-03-01"


def test_entries_hashed_before_keyed_digests_still_verify_and_a_keyed_digest_version_is_covered_by_the_hash() -> None:
    old = LedgerEvent(EntryKind.PUBLISH, "AIC", ("QTS",), "subjects/102.001", 1, "ab" * 32, "rec-1", "", START, "AIC")
    # The canonical form of a version-1 entry is what it was before versions existed.
    assert b"payload_digest_version" not in canonical_entry(1, old)
    keyed = dataclasses.replace(old, payload_digest_version=KEYED_DIGEST)
    assert b'"payload_digest_version":2' in canonical_entry(1, keyed)
    (entry,) = chain(0, GENESIS_HASH, [keyed])
    downgraded = dataclasses.replace(entry, exchange=dataclasses.replace(entry.exchange, payload_digest_version=1))
    assert verify_chain(iter([entry]), start_sequence=1, expected_previous_hash=GENESIS_HASH).ok
    assert not verify_chain(iter([downgraded]), start_sequence=1, expected_previous_hash=GENESIS_HASH).ok


def test_a_keyed_payload_digest_cannot_be_recomputed_from_the_records_without_the_hub_key() -> None:
    digests = ["0f" * 32, "a1" * 32]
    assert keyed_payload_digest(b"k" * 32, digests) != payload_digest(digests)
    assert keyed_payload_digest(b"k" * 32, digests) != keyed_payload_digest(b"j" * 32, digests)
    assert len(keyed_payload_digest(b"k" * 32, digests)) == 64
