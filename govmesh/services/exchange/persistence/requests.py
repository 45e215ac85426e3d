"""Requests, their targets' statuses and the reply chunks gathered for the requester."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Row, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from govmesh.runtime.clock import as_utc_or_none
from govmesh.runtime.errors import Aborted
from govmesh.services.exchange.domain.ledger import LedgerEvent
from govmesh.services.exchange.domain.records import Record, values_from_json, values_to_json
from govmesh.services.exchange.domain.requests import (
    Claim,
    DataRequest,
    ItemVerdict,
    Operator,
    Predicate,
    ReplyChunk,
    ReplyStatus,
    RequestKind,
    Target,
    Verdict,
    VerificationResult,
)
from govmesh.services.exchange.persistence import tables as t
from govmesh.services.exchange.persistence.ledger import stage
from govmesh.services.exchange.persistence.store import Store, dumps, in_chunks, loads


def _claims(text_value: str) -> tuple[Claim, ...]:
    return tuple(
        Claim(
            c["entity_key"],
            values_from_json(c["values"]),
            tuple(
                Predicate(item, Operator(operator), tuple(values_from_json(operands).values()))
                for item, operator, operands in c.get("predicates", ())
            ),
        )
        for c in loads(text_value)
    )


def _claims_json(claims: Sequence[Claim]) -> str:
    return dumps(
        [
            {
                "entity_key": c.entity_key,
                "values": values_to_json(c.values),
                "predicates": [
                    [p.item_code, p.operator.value, values_to_json({str(n): v for n, v in enumerate(p.operands)})]
                    for p in c.predicates
                ],
            }
            for c in claims
        ]
    )


def _target(row: Row) -> Target:  # type: ignore[type-arg]
    return Target(
        department=row.target,
        status=ReplyStatus(row.status),
        subjects=tuple(loads(row.subjects)),
        items=tuple(loads(row.items)),
        denied_items=tuple(loads(row.denied_items)),
        grants=tuple(loads(row.grants)),
        denial_reason=row.denial_reason,
        message=row.message,
        record_count=row.record_count,
        final_time=as_utc_or_none(row.final_time),
        attempt=row.attempt,
        keys=tuple((own, asked) for own, asked in loads(row.entity_keys or "[]")),
    )


def _request(row: Row, targets: Sequence[Target]) -> DataRequest:  # type: ignore[type-arg]
    return DataRequest(
        id=row.id,
        requester=row.requester,
        kind=RequestKind(row.kind),
        subjects=tuple(loads(row.subjects)),
        items=tuple(loads(row.items)),
        entity_keys=tuple(loads(row.entity_keys)),
        claims=_claims(row.claims),
        question=row.question,
        parameters=loads(row.parameters),
        purpose=row.purpose,
        target_departments=tuple(loads(row.target_departments)),
        to_subject_providers=row.to_subject_providers,
        to_holders_of_entity=row.to_holders_of_entity,
        targets=tuple(targets),
        create_time=as_utc_or_none(row.create_time),
        expire_time=as_utc_or_none(row.expire_time),
        trace_id=row.trace_id,
        idempotency_key=row.idempotency_key or "",
    )


def _record_json(record: Record) -> dict[str, object]:
    return {
        "record_id": record.record_id,
        "subject": record.subject_code,
        "subject_version": record.subject_version,
        "entity_key": record.entity_key,
        "division_code": record.division_code,
        "event_time": record.event_time.isoformat() if record.event_time else None,
        "values": values_to_json(record.values),
        "idempotency_key": record.idempotency_key,
        "publisher": record.publisher,
        "digest": record.digest,
        "publish_time": record.publish_time.isoformat() if record.publish_time else None,
        "trace_id": record.trace_id,
    }


def _record_from_json(doc: dict[str, object]) -> Record:
    def moment(key: str) -> dt.datetime | None:
        value = doc.get(key)
        return dt.datetime.fromisoformat(str(value)) if value else None

    return Record(
        subject_code=str(doc["subject"]),
        entity_key=str(doc["entity_key"]),
        division_code=str(doc["division_code"]),
        event_time=moment("event_time"),
        values=values_from_json(str(doc["values"])),
        idempotency_key=str(doc["idempotency_key"]),
        record_id=str(doc["record_id"]),
        subject_version=str(doc["subject_version"]),
        publisher=str(doc["publisher"]),
        digest=str(doc["digest"]),
        publish_time=moment("publish_time"),
        trace_id=str(doc["trace_id"]),
    )


def _verifications_json(results: Sequence[VerificationResult]) -> str:
    return dumps(
        [
            {
                "entity_key": v.entity_key,
                "subject": v.subject_code,
                "verdict": v.verdict.value,
                "items": [[i.item_code, i.verdict.value] for i in v.items],
            }
            for v in results
        ]
    )


def _verifications(text_value: str) -> tuple[VerificationResult, ...]:
    return tuple(
        VerificationResult(
            v["entity_key"],
            v["subject"],
            Verdict(v["verdict"]),
            tuple(ItemVerdict(code, Verdict(verdict)) for code, verdict in v["items"]),
        )
        for v in loads(text_value)
    )


def _chunk(row: Row) -> ReplyChunk:  # type: ignore[type-arg]
    return ReplyChunk(
        request_id=row.request_id,
        target=row.target,
        sequence=row.sequence,
        records=tuple(_record_from_json(doc) for doc in loads(row.records)),
        verifications=_verifications(row.verifications),
        not_found_entity_keys=tuple(loads(row.not_found)),
        final=row.final,
        failed=row.failed,
        message=row.message,
        create_time=as_utc_or_none(row.create_time),
        trace_id=row.trace_id,
    )


@dataclass(frozen=True)
class StoredReply:
    """A chunk as it was stored, and the answer the replying target got for it."""

    chunk: ReplyChunk
    outcome: dict[str, object]


class RequestStore:
    def __init__(self, store: Store):
        self.store = store

    def create(self, request: DataRequest, exchanges: Sequence[LedgerEvent], notify: Sequence[str]) -> DataRequest:
        """Stores a request with its targets; an idempotency key already used returns the first request."""
        try:
            with self.store.unit_of_work() as work:
                conn = work.conn
                conn.execute(
                    insert(t.requests).values(
                        id=request.id,
                        requester=request.requester,
                        kind=request.kind.value,
                        subjects=dumps(list(request.subjects)),
                        items=dumps(list(request.items)),
                        entity_keys=dumps(list(request.entity_keys)),
                        claims=_claims_json(request.claims),
                        question=request.question,
                        parameters=dumps(dict(request.parameters)),
                        purpose=request.purpose,
                        target_departments=dumps(list(request.target_departments)),
                        to_subject_providers=request.to_subject_providers,
                        to_holders_of_entity=request.to_holders_of_entity,
                        idempotency_key=request.idempotency_key or None,
                        create_time=request.create_time,
                        expire_time=request.expire_time,
                        trace_id=request.trace_id,
                        reply_count=0,
                    )
                )
                if request.targets:
                    conn.execute(
                        insert(t.request_targets),
                        [
                            {
                                "request_id": request.id,
                                "target": target.department,
                                "status": target.status.value,
                                "subjects": dumps(list(target.subjects)),
                                "items": dumps(list(target.items)),
                                "denied_items": dumps(list(target.denied_items)),
                                "grants": dumps(list(target.grants)),
                                "denial_reason": target.denial_reason,
                                "message": target.message,
                                "record_count": 0,
                                "final_time": target.final_time,
                                "attempt": 0,
                                "expire_time": request.expire_time,
                                "entity_keys": dumps([list(pair) for pair in target.keys]) if target.keys else None,
                            }
                            for target in request.targets
                        ],
                    )
                stage(conn, exchanges)
                work.notify(*notify)
        except IntegrityError:
            existing = self.by_key(request.requester, request.idempotency_key)
            if existing is None:
                raise
            return existing
        # Stored as given: reading it back would only cost the requester's wait a round trip.
        return request

    def by_key(self, requester: str, idempotency_key: str) -> DataRequest | None:
        if not idempotency_key:
            return None
        r = t.requests.c
        with self.store.read() as conn:
            request_id = conn.execute(
                select(r.id).where(r.requester == requester, r.idempotency_key == idempotency_key)
            ).scalar()
        return self.get(request_id) if request_id else None

    def get(self, request_id: str) -> DataRequest | None:
        with self.store.read() as conn:
            return self._get(conn, request_id)

    def _get(self, conn: Connection, request_id: str) -> DataRequest | None:
        row = conn.execute(select(t.requests).where(t.requests.c.id == request_id)).first()
        if row is None:
            return None
        targets = [
            _target(r)
            for r in conn.execute(
                select(t.request_targets)
                .where(t.request_targets.c.request_id == request_id)
                .order_by(t.request_targets.c.target)
            )
        ]
        return _request(row, targets)

    def page(
        self, requester: str, *, incomplete_only: bool, start_time: dt.datetime | None, offset: int, limit: int
    ) -> list[DataRequest]:
        r = t.requests.c
        query = select(r.id).where(r.requester == requester)
        if start_time:
            query = query.where(r.create_time >= start_time)
        if incomplete_only:
            pending = select(t.request_targets.c.request_id).where(
                t.request_targets.c.status == ReplyStatus.PENDING.value
            )
            query = query.where(r.id.in_(pending))
        query = query.order_by(r.create_time.desc(), r.id).offset(offset).limit(limit)
        with self.store.read() as conn:
            found = [self._get(conn, request_id) for request_id in conn.execute(query).scalars()]
        return [f for f in found if f is not None]

    def inbox(self, target: str, subjects: Sequence[str], now: dt.datetime, exclude: set[str], limit: int) -> list[str]:
        """Ids of pending, unexpired requests addressed to `target`, oldest first."""
        rt = t.request_targets.c
        query = select(rt.request_id).where(
            rt.target == target, rt.status == ReplyStatus.PENDING.value, rt.expire_time > now
        )
        with self.store.read() as conn:
            ids = [i for i in conn.execute(query.order_by(rt.expire_time)).scalars() if i not in exclude]
            if not subjects:
                return ids[:limit]
            chosen = []
            for request_id in ids:
                asked = loads(
                    conn.execute(
                        select(rt.subjects).where(rt.request_id == request_id, rt.target == target)
                    ).scalar_one()
                )
                if set(asked) & set(subjects):
                    chosen.append(request_id)
                if len(chosen) >= limit:
                    break
            return chosen

    def mark_sent(self, request_ids: Sequence[str], target: str) -> None:
        """Counts one more attempt of each request reaching the target's inbox."""
        rt = t.request_targets.c
        with self.store.write() as conn:
            # An attempt count is a hint to the target; the reply that may follow must not wait on its flush.
            self.store.without_flush(conn)
            for chunk in in_chunks(list(request_ids)):
                conn.execute(
                    update(t.request_targets)
                    .where(rt.target == target, rt.request_id.in_(chunk))
                    .values(attempt=rt.attempt + 1)
                )

    def still_pending(self, request_ids: Sequence[str], target: str) -> set[str]:
        rt = t.request_targets.c
        with self.store.read() as conn:
            found: set[str] = set()
            for chunk in in_chunks(list(request_ids)):
                found.update(
                    conn.execute(
                        select(rt.request_id).where(
                            rt.target == target, rt.request_id.in_(chunk), rt.status == ReplyStatus.PENDING.value
                        )
                    ).scalars()
                )
            return found

    def existing_reply(self, request_id: str, target: str, idempotency_key: str) -> StoredReply | None:
        if not idempotency_key:
            return None
        rp = t.replies.c
        with self.store.read() as conn:
            row = conn.execute(
                select(t.replies).where(
                    rp.request_id == request_id, rp.target == target, rp.idempotency_key == idempotency_key
                )
            ).first()
        return None if row is None else StoredReply(_chunk(row), loads(row.outcome))

    def add_reply(
        self,
        conn: Connection,
        request_id: str,
        chunk: ReplyChunk,
        *,
        record_count: int,
        idempotency_key: str,
        outcome: dict[str, object],
        now: dt.datetime,
    ) -> ReplyChunk:
        """Appends a reply chunk in the caller's unit of work and moves the target's status, while it is pending."""
        sequence = self._next_reply_sequence(conn, request_id)
        self._move_pending_target(conn, request_id, chunk, record_count, now)
        conn.execute(
            insert(t.replies).values(
                request_id=request_id,
                sequence=sequence,
                target=chunk.target,
                records=dumps([_record_json(r) for r in chunk.records]),
                verifications=_verifications_json(chunk.verifications),
                not_found=dumps(list(chunk.not_found_entity_keys)),
                final=chunk.final,
                failed=chunk.failed,
                message=chunk.message,
                create_time=now,
                trace_id=chunk.trace_id,
                idempotency_key=idempotency_key or None,
                outcome=dumps(outcome),
            )
        )
        return ReplyChunk(
            request_id,
            chunk.target,
            sequence,
            chunk.records,
            chunk.verifications,
            chunk.not_found_entity_keys,
            chunk.final,
            chunk.failed,
            chunk.message,
            now,
            chunk.trace_id,
        )

    @staticmethod
    def _next_reply_sequence(conn: Connection, request_id: str) -> int:
        # The request row orders concurrent chunks: each takes the next sequence (and holds the row till commit).
        sequence: int = conn.execute(
            update(t.requests)
            .where(t.requests.c.id == request_id)
            .values(reply_count=t.requests.c.reply_count + 1)
            .returning(t.requests.c.reply_count)
        ).scalar_one()
        return sequence

    @staticmethod
    def _move_pending_target(
        conn: Connection, request_id: str, chunk: ReplyChunk, record_count: int, now: dt.datetime
    ) -> None:
        """Counts the chunk's records on its target and, for a final chunk, writes the target's final status."""
        rt = t.request_targets.c
        values: dict[str, object] = {"record_count": rt.record_count + record_count}
        if chunk.final:
            values.update(
                status=(ReplyStatus.FAILED if chunk.failed else ReplyStatus.ANSWERED).value,
                final_time=now,
                message=chunk.message,
            )
        # Moved only while pending; a target already final refuses the chunk (the unit of work rolls back).
        moved = conn.execute(
            update(t.request_targets)
            .where(rt.request_id == request_id, rt.target == chunk.target, rt.status == ReplyStatus.PENDING.value)
            .values(**values)
        ).rowcount
        if not moved:
            raise Aborted(f"requests/{request_id} was already answered finally by {chunk.target}")

    def replies(
        self, request_id: str, *, target: str = "", after_sequence: int = 0, offset: int = 0, limit: int = 1000
    ) -> list[ReplyChunk]:
        rp = t.replies.c
        query = select(t.replies).where(rp.request_id == request_id, rp.sequence > after_sequence)
        if target:
            query = query.where(rp.target == target)
        query = query.order_by(rp.sequence).offset(offset).limit(limit)
        with self.store.read() as conn:
            return [_chunk(r) for r in conn.execute(query)]

    def expire(self, now: dt.datetime) -> list[str]:
        """Writes TIMED_OUT on targets of expired requests; returns the requests concerned."""
        rt = t.request_targets.c
        overdue = and_(rt.status == ReplyStatus.PENDING.value, rt.expire_time <= now)
        with self.store.write() as conn:
            ids = sorted(set(conn.execute(select(rt.request_id).where(overdue).limit(1000)).scalars()))
            for chunk in in_chunks(ids):
                conn.execute(
                    update(t.request_targets)
                    .where(overdue, rt.request_id.in_(chunk))
                    .values(
                        status=ReplyStatus.TIMED_OUT.value,
                        final_time=rt.expire_time,
                        message="the request expired before the target answered",
                    )
                )
        return ids

    def pending_targets(self, request_id: str) -> list[str]:
        rt = t.request_targets.c
        with self.store.read() as conn:
            return list(
                conn.execute(
                    select(rt.target).where(rt.request_id == request_id, rt.status == ReplyStatus.PENDING.value)
                ).scalars()
            )
