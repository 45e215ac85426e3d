"""The ledger: every exchange appended to a SHA-256 hash chain, its verification and its statistics."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from govmesh.services.exchange.domain.records import Record, canonical_time, payload_digest

GENESIS_HASH = "0" * 64
# How an entry's payload digest was taken: version 1 is SHA-256 over the raw record digests, which
# anyone holding the records can recompute; version 2 is HMAC-SHA256 over the same bytes keyed with
# the hub's ledger key, for entries read by departments that received less than the records (a
# PUBLISH entry's receivers got narrowed copies: a plain digest would confirm a guess of a value
# they may not see).
PLAIN_DIGEST = 1
KEYED_DIGEST = 2
# The seed's figures are per day in Guangzhou; China keeps one offset all year.
HUB_TIME_ZONE = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


class EntryKind(enum.Enum):
    PUBLISH = "publish"
    DELIVERY = "delivery"
    ACKNOWLEDGEMENT = "acknowledgement"
    REQUEST = "request"
    REPLY = "reply"
    DEAD_LETTER = "dead_letter"
    REPLAY = "replay"


class LedgerProblem(enum.Enum):
    ENTRY_MODIFIED = "entry_modified"
    CHAIN_BROKEN = "chain_broken"
    SEQUENCE_GAP = "sequence_gap"
    ANCHOR_MISMATCH = "anchor_mismatch"


@dataclass(frozen=True)
class LedgerEvent:
    """What happened, before the ledger gives it a place in the chain.

    `department` is who the exchange counts for in statistics (the sender of publishes, requests
    and replies; the receiver of deliveries, acknowledgements and dead letters), and `exchanged`
    how many records reached a receiving department for the first time.
    """

    kind: EntryKind
    sender: str
    receivers: tuple[str, ...]
    subject: str
    record_count: int
    payload_digest: str
    reference: str
    trace_id: str
    create_time: dt.datetime
    department: str
    exchanged: int = 0
    day: str = ""
    payload_digest_version: int = 1


@dataclass(frozen=True)
class LedgerEntry:
    sequence: int
    exchange: LedgerEvent
    previous_hash: str
    entry_hash: str


def canonical_entry(sequence: int, exchange: LedgerEvent) -> bytes:
    """Everything an entry says, as sorted-key compact JSON: what its hash covers."""
    document = {
        "sequence": sequence,
        "kind": exchange.kind.value,
        "sender": exchange.sender,
        "receivers": list(exchange.receivers),
        "subject": exchange.subject,
        "record_count": exchange.record_count,
        "payload_digest": exchange.payload_digest,
        "reference": exchange.reference,
        "trace_id": exchange.trace_id,
        "create_time": canonical_time(exchange.create_time),
        "department": exchange.department,
        "exchanged": exchange.exchanged,
        "day": exchange.day,
    }
    if exchange.payload_digest_version != PLAIN_DIGEST:
        # Entries from before keyed digests hash exactly as they always did, so they still verify.
        document["payload_digest_version"] = exchange.payload_digest_version
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(previous_hash: str, sequence: int, exchange: LedgerEvent) -> str:
    return hashlib.sha256(bytes.fromhex(previous_hash) + canonical_entry(sequence, exchange)).hexdigest()


def chain(head_sequence: int, head_hash: str, exchanges: Iterable[LedgerEvent]) -> list[LedgerEntry]:
    """Links new exchanges after the chain's head."""
    entries = []
    sequence, previous = head_sequence, head_hash
    for staged in exchanges:
        exchange = staged if staged.day else replace(staged, day=hub_day(staged.create_time))
        sequence += 1
        digest = entry_hash(previous, sequence, exchange)
        entries.append(LedgerEntry(sequence, exchange, previous, digest))
        previous = digest
    return entries


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries_checked: int
    last_sequence: int
    last_hash: str
    first_bad_sequence: int = 0
    problem: LedgerProblem | None = None
    description: str = ""


def verify_chain(
    entries: Iterator[LedgerEntry],
    *,
    start_sequence: int,
    expected_previous_hash: str = "",
    anchors: dict[int, str] | None = None,
) -> Verification:
    """Walks entries in sequence order from `start_sequence`; stops at the first that does not hold.

    An edited entry no longer hashes to its stored hash (ENTRY_MODIFIED); an entry whose
    predecessor was replaced, inserted or rewritten with a fresh hash no longer links to it
    (CHAIN_BROKEN); a missing or repeated sequence number is a SEQUENCE_GAP.
    """
    checked = 0
    last_sequence, last_hash = start_sequence - 1, expected_previous_hash
    expected_sequence = start_sequence
    pending_anchors = dict(anchors or {})

    def bad(sequence: int, problem: LedgerProblem, description: str) -> Verification:
        return Verification(False, checked, last_sequence, last_hash, sequence, problem, description)

    for entry in entries:
        if entry.sequence != expected_sequence:
            return bad(
                entry.sequence,
                LedgerProblem.SEQUENCE_GAP,
                f"expected sequence {expected_sequence}, found {entry.sequence}: entries were deleted or inserted",
            )
        recomputed = entry_hash(entry.previous_hash, entry.sequence, entry.exchange)
        if recomputed != entry.entry_hash:
            return bad(
                entry.sequence,
                LedgerProblem.ENTRY_MODIFIED,
                f"entry {entry.sequence} hashes to {recomputed}, not its stored {entry.entry_hash}: it was edited",
            )
        if last_hash and entry.previous_hash != last_hash:
            return bad(
                entry.sequence,
                LedgerProblem.CHAIN_BROKEN,
                f"entry {entry.sequence} links to {entry.previous_hash}, but the entry before it hashes to "
                f"{last_hash}: an entry before it was inserted, deleted or rewritten",
            )
        anchored = pending_anchors.pop(entry.sequence, None)
        if anchored is not None and anchored != entry.entry_hash:
            return bad(
                entry.sequence,
                LedgerProblem.ANCHOR_MISMATCH,
                f"entry {entry.sequence} hashes to {entry.entry_hash}, the anchor recorded {anchored}",
            )
        checked += 1
        last_sequence, last_hash = entry.sequence, entry.entry_hash
        expected_sequence += 1
    if pending_anchors:
        sequence = min(pending_anchors)
        return bad(
            sequence,
            LedgerProblem.ANCHOR_MISMATCH,
            f"the anchor at sequence {sequence} is beyond the verified range: the ledger was cut",
        )
    return Verification(True, checked, last_sequence, last_hash)


class StatsDimension(enum.Enum):
    DEPARTMENT = "department"
    SUBJECT = "subject"
    DAY = "day"


@dataclass
class StatsRow:
    """Counts of one group of ledger entries."""

    department: str = ""
    subject: str = ""
    day: str = ""
    published_records: int = 0
    delivered_records: int = 0
    acknowledged_records: int = 0
    requests: int = 0
    replied_records: int = 0
    dead_lettered_records: int = 0
    exchanged_records: int = 0
    entries: int = 0
    key: tuple[str, ...] = field(default=(), compare=False)

    def add(self, kind: EntryKind, record_count: int, exchanged: int, entries: int) -> None:
        self.entries += entries
        self.exchanged_records += exchanged
        if kind is EntryKind.PUBLISH:
            self.published_records += record_count
        elif kind is EntryKind.DELIVERY:
            self.delivered_records += record_count
        elif kind is EntryKind.ACKNOWLEDGEMENT:
            self.acknowledged_records += record_count
        elif kind is EntryKind.REQUEST:
            self.requests += entries
        elif kind is EntryKind.REPLY:
            self.replied_records += record_count
        elif kind is EntryKind.DEAD_LETTER:
            self.dead_lettered_records += record_count


def hub_day(moment: dt.datetime) -> str:
    """The calendar day in the hub's time zone, YYYY-MM-DD."""
    utc = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return utc.astimezone(HUB_TIME_ZONE).strftime("%Y-%m-%d")


# -- what each exchange puts in the ledger -------------------------------------------------------


@dataclass(frozen=True)
class Occasion:
    """When an exchange happened and which trace it belongs to: shared by every entry it makes."""

    trace_id: str
    create_time: dt.datetime


def digest_of(document: object) -> str:
    """Hex SHA-256 of a JSON document with sorted keys: the digest of ids and verdicts an entry names."""
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def keyed_payload_digest(key: bytes, digests: Iterable[str]) -> str:
    """Hex HMAC-SHA256 keyed with the hub's ledger key over the raw digests of the records, in order."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for digest in digests:
        mac.update(bytes.fromhex(digest))
    return mac.hexdigest()


def publish_events(
    records: Sequence[Record],
    sequences: Sequence[int],
    receivers: Mapping[str, tuple[str, ...]],
    when: Occasion,
    key: bytes,
) -> list[LedgerEvent]:
    """One PUBLISH entry per subject of a publish call, pointing at the subject's first committed record.

    Its payload digest is keyed: its receivers see the entry but got only what they may see.
    """
    first: dict[str, int] = {}
    for record, sequence in zip(records, sequences, strict=True):
        first.setdefault(record.idempotency_key, sequence)
    by_subject: dict[str, list[Record]] = {}
    for record in records:
        by_subject.setdefault(record.subject_code, []).append(record)
    return [
        LedgerEvent(
            kind=EntryKind.PUBLISH,
            sender=batch[0].publisher,
            receivers=receivers.get(code, ()),
            subject=f"subjects/{code}",
            record_count=len(batch),
            payload_digest=keyed_payload_digest(key, (r.digest for r in batch)),
            reference=f"rec-{first[batch[0].idempotency_key]}",
            trace_id=when.trace_id,
            create_time=when.create_time,
            department=batch[0].publisher,
            payload_digest_version=KEYED_DIGEST,
        )
        for code, batch in by_subject.items()
    ]


def delivery_events(
    subscription: str,
    subscriber: str,
    subject_code: str,
    sent: Sequence[tuple[int, Record]],
    dead_letters: Sequence[str],
    when: Occasion,
) -> list[LedgerEvent]:
    """A DELIVERY entry per sender of the (attempt, record) pairs sent, and one DEAD_LETTER entry."""
    events = []
    by_sender: dict[str, list[tuple[int, Record]]] = {}
    for attempt, record in sent:
        by_sender.setdefault(record.publisher, []).append((attempt, record))
    for sender, batch in by_sender.items():
        events.append(
            LedgerEvent(
                kind=EntryKind.DELIVERY,
                sender=sender,
                receivers=(subscriber,),
                subject=f"subjects/{subject_code}",
                record_count=len(batch),
                payload_digest=payload_digest(record.digest for _, record in batch),
                reference=subscription,
                trace_id=when.trace_id,
                create_time=when.create_time,
                department=subscriber,
                exchanged=sum(1 for attempt, _ in batch if attempt == 1),
            )
        )
    if dead_letters:
        events.append(
            subscription_event(EntryKind.DEAD_LETTER, subscription, "", subscriber, subject_code, dead_letters, when)
        )
    return events


def subscription_event(
    kind: EntryKind,
    subscription: str,
    sender: str,
    subscriber: str,
    subject_code: str,
    deliveries: Sequence[str],
    when: Occasion,
    *,
    receivers: tuple[str, ...] | None = None,
) -> LedgerEvent:
    """An entry about named deliveries of one subscription (acknowledged, dead-lettered)."""
    return LedgerEvent(
        kind=kind,
        sender=sender,
        receivers=(subscriber,) if receivers is None else receivers,
        subject=f"subjects/{subject_code}",
        record_count=len(deliveries),
        payload_digest=digest_of(list(deliveries)),
        reference=subscription,
        trace_id=when.trace_id,
        create_time=when.create_time,
        department=subscriber,
    )


def replay_event(
    subscription: str, subscriber: str, subject_code: str, sequences: Sequence[int], count: int, when: Occasion
) -> LedgerEvent:
    return LedgerEvent(
        kind=EntryKind.REPLAY,
        sender=subscriber,
        receivers=(subscriber,),
        subject=f"subjects/{subject_code}",
        record_count=count,
        payload_digest=digest_of(sorted(sequences)),
        reference=subscription,
        trace_id=when.trace_id,
        create_time=when.create_time,
        department=subscriber,
    )


def request_event(
    request: str,
    requester: str,
    reached: tuple[str, ...],
    subjects: Sequence[str],
    entity_keys: Sequence[str],
    when: Occasion,
) -> LedgerEvent:
    return LedgerEvent(
        kind=EntryKind.REQUEST,
        sender=requester,
        receivers=reached,
        subject=f"subjects/{subjects[0]}" if len(subjects) == 1 else "",
        record_count=len(entity_keys),
        payload_digest=digest_of(sorted(entity_keys)),
        reference=request,
        trace_id=when.trace_id,
        create_time=when.create_time,
        department=requester,
    )


def reply_event(
    reply: str, sender: str, requester: str, subject: str, carried: int, digest: str, when: Occasion
) -> LedgerEvent:
    return LedgerEvent(
        kind=EntryKind.REPLY,
        sender=sender,
        receivers=(requester,),
        subject=subject,
        record_count=carried,
        payload_digest=digest,
        reference=reply,
        trace_id=when.trace_id,
        create_time=when.create_time,
        department=sender,
        exchanged=carried,
    )
