"""Retention: records past their subject's retention and acknowledged by every subscription are removed."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from govmesh.kernel.catalog.model import Subject
from govmesh.services.exchange.persistence.records import RecordLog

log = logging.getLogger("govmesh.exchange")
# Deleted per statement, so one subject's backlog never holds the log's lock for long.
BATCH = 5000


def cutoffs(subjects: Iterable[Subject], now: dt.datetime) -> dict[str, dt.datetime]:
    """For each subject with a retention, the publish time before which its records may go."""
    return {s.code: now - s.retention for s in subjects if s.retention is not None}


def prune_expired(log_of_records: RecordLog, subjects: Iterable[Subject], now: dt.datetime) -> dict[str, int]:
    """Removes what retention allows, batch by batch; returns how many records went, per subject."""
    removed: dict[str, int] = {}
    for subject, before in cutoffs(subjects, now).items():
        total = 0
        while True:
            gone = log_of_records.prune(subject, before, BATCH)
            total += gone
            if gone < BATCH:
                break
        if total:
            removed[subject] = total
            log.info("retention removed %d records of subject %s published before %s", total, subject, before)
    return removed
