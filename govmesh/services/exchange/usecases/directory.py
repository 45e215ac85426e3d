"""The reference directory: who holds a file on an entity, told only to those who may request from it."""

from __future__ import annotations

from collections.abc import Sequence

from govmesh.runtime.clock import now
from govmesh.runtime.errors import FieldViolation, InvalidArgument, PermissionDenied, ViolationCollector
from govmesh.runtime.identity import Principal
from govmesh.services.exchange.domain.directory import Holding
from govmesh.services.exchange.domain.records import entity_key_problem, entity_keys_problems
from govmesh.services.exchange.domain.requests import MAX_ENTITY_KEYS
from govmesh.services.exchange.persistence.records import RecordLog
from govmesh.services.exchange.usecases.callers import AUTHZ_DOMAIN, Callers


class Directory:
    def __init__(self, callers: Callers, log: RecordLog):
        self.callers = callers
        self.log = log

    def locate_entity(self, principal: Principal, entity_key: str, subjects: Sequence[str]) -> list[Holding]:
        """Holdings of subjects the caller may request at least one item of; nothing else is said."""
        self.callers.department(principal)
        problem = entity_key_problem(entity_key)
        if problem:
            raise InvalidArgument("bad entity key", [FieldViolation("entity_key", problem)])
        for n, code in enumerate(subjects):
            self.callers.subject(code, f"subjects[{n}]")
        wanted = set(subjects)
        holdings = [h for h in self.log.holdings(entity_key) if not wanted or h.subject_code in wanted]
        knowable = {
            code: self.callers.knows_holdings_of(principal, code) for code in {h.subject_code for h in holdings}
        }
        return sorted(
            (h for h in holdings if knowable[h.subject_code]),
            key=lambda h: (h.department, h.subject_code, h.source.value),
        )

    def _provided_subject(self, principal: Principal, subject_code: str, entity_keys: Sequence[str]) -> str:
        department = self.callers.department(principal)
        subject = self.callers.subject(subject_code)
        if subject.provider != department:
            raise PermissionDenied(
                f"only {subject.provider} holds subjects/{subject.code} as its provider",
                reason="NOT_PROVIDER",
                domain=AUTHZ_DOMAIN,
            )
        found = ViolationCollector()
        if not entity_keys:
            found.add("entity_keys", "name at least one entity")
        for path, problem in entity_keys_problems(entity_keys, MAX_ENTITY_KEYS):
            found.add(path, problem)
        found.raise_if_any()
        return department

    def register_holdings(self, principal: Principal, subject_code: str, entity_keys: Sequence[str]) -> int:
        department = self._provided_subject(principal, subject_code, entity_keys)
        return self.log.register(department, subject_code, entity_keys, now())

    def unregister_holdings(self, principal: Principal, subject_code: str, entity_keys: Sequence[str]) -> int:
        department = self._provided_subject(principal, subject_code, entity_keys)
        return self.log.unregister(department, subject_code, entity_keys)
