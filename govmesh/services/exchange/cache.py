"""Recently committed records and the narrowed forms receivers got: read once, delivered to every subscriber."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from govmesh.services.exchange.domain.policy import Filtered, narrow
from govmesh.services.exchange.domain.records import Record

DEFAULT_CAPACITY = 10_000


class RecordCache:
    """A bounded, thread-safe LRU of records by log position.

    Records never change once committed, so a cached copy is never stale: subscribers of one
    subject read the log's positions from the database and the records themselves from here, and
    receivers with the same visible items share one narrowed copy (and its digest).
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY):
        self._capacity = capacity
        self._records: OrderedDict[int, Record] = OrderedDict()
        self._narrowed: OrderedDict[tuple[int, frozenset[str]], Filtered] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, records: Iterable[Record]) -> None:
        with self._lock:
            for record in records:
                self._records[record.sequence] = record
                self._records.move_to_end(record.sequence)
            while len(self._records) > self._capacity:
                self._records.popitem(last=False)

    def get(self, sequence: int) -> Record | None:
        with self._lock:
            record = self._records.get(sequence)
            if record is not None:
                self._records.move_to_end(sequence)
            return record

    def narrowed(self, record: Record, visible: frozenset[str]) -> Filtered:
        key = (record.sequence, visible)
        with self._lock:
            found = self._narrowed.get(key)
            if found is not None:
                self._narrowed.move_to_end(key)
                return found
        made = narrow(record, visible)
        with self._lock:
            self._narrowed[key] = made
            while len(self._narrowed) > self._capacity:
                self._narrowed.popitem(last=False)
        return made

    def __len__(self) -> int:
        return len(self._records)
