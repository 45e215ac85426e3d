"""The ledger as departments and auditors read it: entries, verification of the chain, statistics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from govmesh.runtime.errors import FieldViolation, InvalidArgument, PermissionDenied, ViolationCollector
from govmesh.runtime.identity import Principal
from govmesh.runtime.paging import PageRequest, paginate
from govmesh.services.exchange.domain.ledger import (
    GENESIS_HASH,
    LedgerEntry,
    StatsDimension,
    StatsRow,
    Verification,
    verify_chain,
)
from govmesh.services.exchange.persistence.ledger import EntryFilter, LedgerStore, StatsFilter
from govmesh.services.exchange.usecases.callers import AUTHZ_DOMAIN, Callers
from govmesh.services.exchange.usecases.results import StatsPage


class Ledger:
    def __init__(self, callers: Callers, ledger: LedgerStore):
        self.callers = callers
        self.ledger = ledger

    def chain_ledger(self, *, wait: bool = True) -> int:
        """Chains what was staged; returns how many entries were appended.

        Readers wait for a chainer busy on another replica, so they see every exchange committed
        before they asked; the background chainer does not.
        """
        total = 0
        while True:
            appended = self.ledger.chain_pending(wait=wait)
            total += appended
            if not appended:
                return total

    def list_ledger_entries(self, principal: Principal, where: EntryFilter, limit: int) -> list[LedgerEntry]:
        if not self.callers.sees_everything(principal):
            own = self.callers.department(principal)
            if where.department and where.department != own:
                raise PermissionDenied(
                    "a department reads only the ledger entries it sent or received",
                    reason="NOT_OWNER",
                    domain=AUTHZ_DOMAIN,
                )
            where = replace(where, visible_to=own)
        self.chain_ledger()
        return self.ledger.entries(where, limit)

    def verify_ledger(
        self,
        principal: Principal,
        *,
        start_sequence: int,
        end_sequence: int,
        expected_previous_hash: str,
        anchors: Mapping[int, str],
    ) -> Verification:
        if not self.callers.sees_everything(principal):
            raise PermissionDenied(
                "verifying the ledger needs the auditor or hub-administrator role",
                reason="ROLE_REQUIRED",
                domain=AUTHZ_DOMAIN,
            )
        found = ViolationCollector()
        if start_sequence < 0 or end_sequence < 0 or (end_sequence and end_sequence < start_sequence):
            found.add("end_sequence", "the range must be 1 ≤ start ≤ end")
        if expected_previous_hash and not _is_hex_digest(expected_previous_hash):
            found.add("expected_previous_hash", "must be 64 hex digits")
        for sequence, digest in anchors.items():
            if sequence < 1 or not _is_hex_digest(digest):
                found.add("anchors", "each anchor is a sequence from 1 and a 64-hex-digit hash")
        found.raise_if_any()
        self.chain_ledger()
        start = start_sequence or 1
        previous = expected_previous_hash or (GENESIS_HASH if start == 1 else "")
        end = end_sequence or self.ledger.head()[0]
        return verify_chain(
            self.ledger.walk(start, end),
            start_sequence=start,
            expected_previous_hash=previous,
            # Anchors past an end the caller chose are outside the question; past the head, they mean a cut.
            anchors={s: h for s, h in anchors.items() if s >= start and not (end_sequence and s > end_sequence)},
        )

    def ledger_stats(
        self,
        principal: Principal,
        dimensions: Sequence[StatsDimension],
        where: StatsFilter,
        page: PageRequest,
    ) -> StatsPage:
        if not self.callers.sees_everything(principal):
            own = self.callers.department(principal)
            if where.department and where.department != own:
                raise PermissionDenied(
                    "a department reads only its own ledger statistics", reason="NOT_OWNER", domain=AUTHZ_DOMAIN
                )
            where = replace(where, department=own)
        if len(set(dimensions)) != len(dimensions):
            raise InvalidArgument("repeated dimension", [FieldViolation("group_by", "each dimension at most once")])
        self.chain_ledger()
        groups: dict[tuple[str, ...], StatsRow] = {}
        total = StatsRow()
        for key, kind, records, exchanged, entries in self.ledger.stats(dimensions, where):
            row = groups.get(key)
            if row is None:
                labels = dict(zip(dimensions, key, strict=True))
                row = groups[key] = StatsRow(
                    department=labels.get(StatsDimension.DEPARTMENT, ""),
                    subject=labels.get(StatsDimension.SUBJECT, ""),
                    day=labels.get(StatsDimension.DAY, ""),
                    key=key,
                )
            row.add(kind, records, exchanged, entries)
            total.add(kind, records, exchanged, entries)
        ordered = [groups[k] for k in sorted(groups)]
        return StatsPage(paginate(ordered, page), total)


def _is_hex_digest(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)
