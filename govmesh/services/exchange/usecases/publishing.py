"""Publishing: records validated against the catalog, committed once per idempotency key, answered each on its own."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import replace

from govmesh.kernel.catalog.model import Subject
from govmesh.kernel.catalog.view import CatalogView
from govmesh.runtime.errors import FieldViolation, InvalidArgument, PermissionDenied
from govmesh.runtime.identity import Principal
from govmesh.runtime.unit_of_work import Database
from govmesh.services.exchange.cache import RecordCache
from govmesh.services.exchange.domain.ledger import Occasion, publish_events
from govmesh.services.exchange.domain.records import (
    IdempotencyKeyTaken,
    Record,
    envelope_violations,
    record_digest,
)
from govmesh.services.exchange.persistence.ledger import stage
from govmesh.services.exchange.persistence.records import RecordLog
from govmesh.services.exchange.persistence.subscriptions import SubscriptionStore
from govmesh.services.exchange.signals import Signals, records_topic
from govmesh.services.exchange.usecases.callers import AUTHZ_DOMAIN, Callers
from govmesh.services.exchange.usecases.common import MAX_RECORDS_PER_CALL, PUBLISHED, occasion
from govmesh.services.exchange.usecases.results import PublishOutcome, RecordResult

# A publish retries this often when another call commits one of its idempotency keys meanwhile.
PUBLISH_TRIES = 3


class Publishing:
    def __init__(
        self,
        callers: Callers,
        database: Database,
        log: RecordLog,
        records: RecordCache,
        subscriptions: SubscriptionStore,
        signals: Signals,
        ledger_key: bytes,
    ):
        self.ledger_key = ledger_key
        self.callers = callers
        self.database = database
        self.log = log
        self.records = records
        self.subscriptions = subscriptions
        self.signals = signals

    async def publish(
        self, principal: Principal, records: Sequence[Record], *, validate_only: bool = False, offset: int = 0
    ) -> PublishOutcome:
        """Validates each record, commits the valid new ones in one transaction, answers each on its own."""
        outcome = await asyncio.to_thread(self._publish, principal, records, validate_only, offset)
        if any(r.status == "ACCEPTED" for r in outcome.results) and not validate_only:
            # Other replicas hear the commit's NOTIFY; this process's streams are woken here.
            self.signals.fire(*{records_topic(r.subject_code) for r in records})
        return outcome

    def _publish(
        self, principal: Principal, records: Sequence[Record], validate_only: bool, offset: int
    ) -> PublishOutcome:
        publisher = self.callers.department(principal)
        if len(records) > MAX_RECORDS_PER_CALL:
            raise InvalidArgument(
                "too many records", [FieldViolation("records", f"at most {MAX_RECORDS_PER_CALL:,} a call")]
            )
        view = self.callers.catalog
        subjects = self._provided_subjects(publisher, records)
        tries_left = PUBLISH_TRIES
        while True:
            try:
                return self._publish_once(publisher, records, subjects, view, validate_only, offset)
            except IdempotencyKeyTaken:
                # Another call committed one of these idempotency keys meanwhile: look again.
                tries_left -= 1
                if not tries_left:
                    raise

    def _provided_subjects(self, publisher: str, records: Sequence[Record]) -> dict[str, Subject]:
        subjects: dict[str, Subject] = {}
        for index, record in enumerate(records):
            if record.subject_code in subjects:
                continue
            subject = self.callers.subject(record.subject_code, f"records[{index}].subject")
            if subject.provider != publisher:
                raise PermissionDenied(
                    f"only {subject.provider} publishes subjects/{subject.code}, not {publisher}",
                    reason="NOT_PROVIDER",
                    domain=AUTHZ_DOMAIN,
                    metadata={"subject": f"subjects/{subject.code}", "provider": subject.provider},
                )
            subjects[subject.code] = subject
        return subjects

    def _publish_once(
        self,
        publisher: str,
        records: Sequence[Record],
        subjects: Mapping[str, Subject],
        view: CatalogView,
        validate_only: bool,
        offset: int,
    ) -> PublishOutcome:
        when = occasion()
        results: list[RecordResult | None] = [None] * len(records)
        valid = _validated(publisher, records, subjects, view, when, results, offset)
        fresh = self._first_of_each_key(publisher, valid, results, offset)
        sequences = [0] * len(fresh)
        if fresh and not validate_only:
            sequences = self._commit(fresh, when)
        by_key: dict[str, tuple[str, str]] = {}
        for (index, record), sequence in zip(fresh, sequences, strict=True):
            record_id = f"rec-{sequence}" if sequence else ""
            by_key[record.idempotency_key] = (record_id, record.digest)
            results[index] = RecordResult(
                offset + index, "ACCEPTED", record_id, record.digest, subject_version=record.subject_version
            )
        for index, result in enumerate(results):
            # A duplicate within the call points at the record the call itself committed.
            if result is not None and result.status == "DUPLICATE" and not result.record_id:
                record_id, digest = by_key.get(records[index].idempotency_key, ("", ""))
                results[index] = replace(result, record_id=record_id, digest=digest)
        if fresh and not validate_only:
            PUBLISHED.add(len(fresh), {"publisher": publisher})
        return PublishOutcome([r for r in results if r is not None])

    def _first_of_each_key(
        self,
        publisher: str,
        valid: Sequence[tuple[int, Record]],
        results: list[RecordResult | None],
        offset: int,
    ) -> list[tuple[int, Record]]:
        """The records whose idempotency key is new; the others answered DUPLICATE or CONFLICT."""
        existing = self.log.existing(publisher, (r.idempotency_key for _, r in valid)) if valid else {}
        fresh: list[tuple[int, Record]] = []
        first_in_call: dict[str, Record] = {}
        for index, record in valid:
            key = record.idempotency_key
            earlier = existing.get(key)
            if earlier is not None:
                status = "DUPLICATE" if earlier.digest == record.digest else "CONFLICT"
                results[index] = RecordResult(
                    offset + index,
                    status,
                    f"rec-{earlier.sequence}",
                    earlier.digest,
                    subject_version=earlier.subject_version,
                )
            elif key in first_in_call:
                same = first_in_call[key].digest == record.digest
                results[index] = RecordResult(offset + index, "DUPLICATE" if same else "CONFLICT")
            else:
                first_in_call[key] = record
                fresh.append((index, record))
        return fresh

    def _commit(self, fresh: Sequence[tuple[int, Record]], when: Occasion) -> list[int]:
        committed = [r for _, r in fresh]
        receivers = {
            code: tuple(self.subscriptions.all_of_subject(code)) for code in {r.subject_code for r in committed}
        }
        with self.database.unit_of_work() as work:
            sequences = self.log.append(work.conn, committed)
            stage(work.conn, publish_events(committed, sequences, receivers, when, self.ledger_key))
            work.notify(*sorted({records_topic(r.subject_code) for r in committed}))
        self.records.put(
            replace(r, sequence=s, record_id=f"rec-{s}") for r, s in zip(committed, sequences, strict=True)
        )
        return sequences


def _validated(
    publisher: str,
    records: Sequence[Record],
    subjects: Mapping[str, Subject],
    view: CatalogView,
    when: Occasion,
    results: list[RecordResult | None],
    offset: int,
) -> list[tuple[int, Record]]:
    """The valid records stamped with the hub's fields; the others answered INVALID in `results`."""
    valid: list[tuple[int, Record]] = []
    now: dt.datetime = when.create_time
    for index, record in enumerate(records):
        subject = subjects[record.subject_code]
        violations = envelope_violations(record, now=now)
        violations += view.schema(subject).validate(record.values)
        if violations:
            results[index] = RecordResult(
                offset + index, "INVALID", violations=tuple(violations), subject_version=str(subject.version)
            )
            continue
        # The digest covers what the publisher sent, so it is taken before the hub's fields are added.
        committed = replace(
            record,
            subject_version=str(subject.version),
            publisher=publisher,
            publish_time=now,
            trace_id=when.trace_id,
            digest=record_digest(record),
        )
        valid.append((index, committed))
    return valid
