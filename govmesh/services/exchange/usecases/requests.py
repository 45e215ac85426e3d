"""Requests: checked, addressed to targets the policy lets the requester hear from, stored, waited on and read."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace

from govmesh.kernel.catalog.view import CatalogView
from govmesh.runtime.clock import now
from govmesh.runtime.errors import NotFound, ViolationCollector
from govmesh.runtime.identity import Principal
from govmesh.runtime.paging import Page, PageRequest, page_of
from govmesh.services.exchange.domain.ledger import request_event
from govmesh.services.exchange.domain.policy import Action
from govmesh.services.exchange.domain.records import entity_keys_problems
from govmesh.services.exchange.domain.requests import (
    DEFAULT_TIME_TO_LIVE,
    MAX_ENTITY_KEYS,
    MAX_TIME_TO_LIVE,
    DataRequest,
    ReplyStatus,
    RequestKind,
    Target,
    WaitMode,
)
from govmesh.services.exchange.domain.routing import Route, is_master_key
from govmesh.services.exchange.persistence.records import RecordLog
from govmesh.services.exchange.persistence.requests import RequestStore
from govmesh.services.exchange.persistence.subscriptions import SubscriptionStore
from govmesh.services.exchange.signals import Signals, inbox_topic, request_topic, wait
from govmesh.services.exchange.usecases.callers import Callers
from govmesh.services.exchange.usecases.common import Presence, new_id, occasion
from govmesh.services.exchange.usecases.master_routes import (
    Holders,
    MasterLinks,
    linked_holders,
    master_routes,
    target_keys,
)
from govmesh.services.exchange.usecases.results import GatheredRequest, RequestDraft

MAX_GATHERED_RECORDS = 5_000
# SendRequest answers this long before the caller's deadline, so the answer still reaches it.
DEADLINE_MARGIN_SECONDS = 0.25
DEFAULT_WAIT_SECONDS = 30.0


class Requests:
    def __init__(
        self,
        callers: Callers,
        requests: RequestStore,
        log: RecordLog,
        subscriptions: SubscriptionStore,
        signals: Signals,
        presence: Presence,
        masters: MasterLinks | None = None,
    ):
        self.callers = callers
        self.requests = requests
        self.log = log
        self.subscriptions = subscriptions
        self.signals = signals
        self.presence = presence
        self.masters = masters

    async def send_request(
        self,
        principal: Principal,
        draft: RequestDraft,
        *,
        wait_mode: WaitMode,
        max_wait: dt.timedelta | None,
        time_remaining: float | None,
        full_view: bool,
    ) -> GatheredRequest:
        """Resolves the targets, checks each with the policy, stores the request; then waits if asked."""
        started = asyncio.get_running_loop().time()
        planned = new_id("req-")
        holders = await linked_holders(self.masters, draft)
        # Watched before the request is stored: a target may answer before the store returns here.
        with self.signals.watch(request_topic(planned)) as wake:
            request = await asyncio.to_thread(self._send, principal, draft, planned, holders)
            self.signals.fire(*(inbox_topic(t.department) for t in request.targets if t.status is ReplyStatus.PENDING))
            if wait_mode is WaitMode.WAIT:
                budget = max_wait.total_seconds() if max_wait is not None else None
                if time_remaining is not None:
                    left = time_remaining - DEADLINE_MARGIN_SECONDS
                    budget = min(budget, left) if budget is not None else left
                until = started + (DEFAULT_WAIT_SECONDS if budget is None else budget)
                if request.id == planned:
                    settled = await self._wait_for_replies(request, wake, until, full_view)
                else:  # an idempotent retry: the earlier request may have moved on since it was stored
                    with self.signals.watch(request_topic(request.id)) as woken:
                        woken.set()
                        settled = await self._wait_for_replies(request, woken, until, full_view)
                if settled is not None:
                    return settled
        return await asyncio.to_thread(self.gathered, principal, request.id, full_view)

    async def _wait_for_replies(
        self, request: DataRequest, wake: asyncio.Event, until: float, full_view: bool
    ) -> GatheredRequest | None:
        """Waits until no target is pending, the request expired, no pending target is online, or `until`.

        Returns the request gathered when the last look found it settled (it need not be read again), else None.
        """
        loop = asyncio.get_running_loop()
        pending = [t.department for t in request.targets if t.status is ReplyStatus.PENDING]
        while pending:
            if request.expire_time is not None and now() >= request.expire_time:
                return None
            # An inbox open on this replica is known without asking the database.
            if not any(self.presence.inboxes[department] for department in pending):
                online = await asyncio.to_thread(self.subscriptions.online, "inbox", pending, now())
                if not online:
                    return None
            remaining = until - loop.time()
            if remaining <= 0:
                return None
            await wait(wake, min(remaining, 0.5))
            wake.clear()
            current, settled = await asyncio.to_thread(self._look, request.id, full_view)
            if settled is not None:
                return settled
            pending = [t.department for t in current.targets if t.status is ReplyStatus.PENDING]
        return None

    def _look(self, request_id: str, full_view: bool) -> tuple[DataRequest, GatheredRequest | None]:
        """The request as stored now, and gathered for its requester if no target is pending any more."""
        request = self.requests.get(request_id)
        if request is None:
            raise NotFound("request", f"requests/{request_id}")
        if any(t.status is ReplyStatus.PENDING for t in request.targets):
            return request, None
        return request, self._gather(request, full_view)

    def _send(self, principal: Principal, draft: RequestDraft, request_id: str, holders: Holders) -> DataRequest:
        requester = self.callers.department(principal)
        if draft.idempotency_key:
            existing = self.requests.by_key(requester, draft.idempotency_key)
            if existing is not None:
                return existing
        draft = checked_draft(draft, self.callers.catalog)
        when = occasion()
        ttl = draft.time_to_live or DEFAULT_TIME_TO_LIVE
        targets = self._resolve_targets(
            principal, requester, draft, master_routes(self.callers, principal, draft, holders)
        )
        request = DataRequest(
            id=request_id,
            requester=requester,
            kind=draft.kind,
            subjects=draft.subjects,
            items=draft.items,
            entity_keys=draft.entity_keys,
            claims=draft.claims,
            question=draft.question,
            parameters=dict(draft.parameters),
            purpose=draft.purpose,
            target_departments=draft.target_departments,
            to_subject_providers=draft.to_subject_providers,
            to_holders_of_entity=draft.to_holders_of_entity,
            targets=tuple(targets),
            create_time=when.create_time,
            expire_time=when.create_time + ttl,
            trace_id=when.trace_id,
            idempotency_key=draft.idempotency_key,
        )
        reached = tuple(t.department for t in targets if t.status is ReplyStatus.PENDING)
        event = request_event(request.name, requester, reached, draft.subjects, draft.entity_keys, when)
        return self.requests.create(request, [event], [inbox_topic(d) for d in reached])

    def _asked(self, principal: Principal, draft: RequestDraft, routed: dict[str, Route]) -> dict[str, list[str]]:
        """The subjects asked of each target department."""
        view = self.callers.catalog
        asked: dict[str, list[str]] = {}
        for code in draft.target_departments:
            asked.setdefault(code, [])
            asked[code] += [s for s in draft.subjects if view.subject_by_code[s].provider == code]
        if draft.to_subject_providers:
            for s in draft.subjects:
                asked.setdefault(view.subject_by_code[s].provider, []).append(s)
        if draft.to_holders_of_entity:
            for route in routed.values():
                asked.setdefault(route.department, []).extend(route.subjects)
            direct = [k for k in draft.entity_keys if not is_master_key(k)]
            for _entity, department, subject in self.log.holders(direct):
                if draft.subjects and subject not in draft.subjects:
                    continue
                # A holder is addressed only where LocateEntity would name it: a holding of a subject
                # the requester may request nothing of is not revealed, not even as a DENIED target.
                if not self.callers.knows_holdings_of(principal, subject):
                    continue
                asked.setdefault(department, []).append(subject)
        return asked

    def _resolve_targets(
        self, principal: Principal, requester: str, draft: RequestDraft, routed: dict[str, Route]
    ) -> list[Target]:
        """Every target with the subjects and keys asked of it, checked with the policy before the request goes out."""
        return [
            replace(
                self._target(principal, requester, draft, department, list(dict.fromkeys(subjects))),
                keys=target_keys(draft, routed.get(department)),
            )
            for department, subjects in sorted(self._asked(principal, draft, routed).items())
        ]

    def _target(
        self, principal: Principal, requester: str, draft: RequestDraft, department: str, subjects: list[str]
    ) -> Target:
        if not subjects:
            return Target(
                department,
                ReplyStatus.DENIED,
                (),
                denial_reason="NOT_PROVIDER",
                message=f"{department} provides none of the subjects asked about",
                final_time=now(),
            )
        view = self.callers.catalog
        action = Action.VERIFY if draft.kind is RequestKind.VERIFY else Action.REQUEST
        allowed: list[str] = []
        denied: list[str] = []
        grants: list[str] = []
        first_denial = ""
        for subject in subjects:
            wanted = [i for i in draft.items if view.item_by_code[i].subject_code == subject]
            if draft.items and not wanted:
                continue
            entitlement = self.callers.entitlement(principal, action, subject, wanted, asked=True)
            allowed += list(entitlement.allowed)
            grants += entitlement.grants_for(entitlement.allowed)
            denied += [d.item_code for d in entitlement.denied] if draft.items else []
            if not first_denial and entitlement.denied:
                first_denial = entitlement.denied[0].reason
        if not allowed:
            return Target(
                department,
                ReplyStatus.DENIED,
                tuple(subjects),
                denied_items=tuple(denied),
                denial_reason=first_denial or "NO_GRANT",
                message=f"{requester} may receive no item it asked of {department}",
                final_time=now(),
            )
        return Target(
            department,
            ReplyStatus.PENDING,
            tuple(subjects),
            items=tuple(dict.fromkeys(allowed)),
            denied_items=tuple(denied),
            grants=tuple(dict.fromkeys(grants)),
        )

    def gathered(self, principal: Principal, request_id: str, full_view: bool) -> GatheredRequest:
        request = self.requests.get(request_id)
        if request is None:
            raise NotFound("request", f"requests/{request_id}")
        return self._gather(request, full_view)

    def _gather(self, request: DataRequest, full_view: bool) -> GatheredRequest:
        """The request as of now with the replies its requester may read (unless only the basic view is asked)."""
        request = request.as_of(now())
        if not full_view:
            return GatheredRequest(request, (), True)
        replies = self.requests.replies(request.id, limit=100_000)
        chunks = tuple(self.callers.readable_replies(request, replies))
        total = sum(len(c.records) + len(c.verifications) for c in chunks)
        if total > MAX_GATHERED_RECORDS:
            return GatheredRequest(request, tuple(replace(c, records=(), verifications=()) for c in chunks), True)
        return GatheredRequest(request, chunks, False)

    def get_request(self, principal: Principal, request_id: str, *, full_view: bool) -> GatheredRequest:
        self.callers.own_request(principal, request_id)
        return self.gathered(principal, request_id, full_view)

    def list_requests(
        self, principal: Principal, *, incomplete_only: bool, start_time: dt.datetime | None, page: PageRequest
    ) -> Page[DataRequest]:
        requester = self.callers.department(principal)
        found = self.requests.page(
            requester, incomplete_only=incomplete_only, start_time=start_time, offset=page.offset, limit=page.size + 1
        )
        moment = now()
        return page_of([r.as_of(moment) for r in found], page)


def checked_draft(draft: RequestDraft, view: CatalogView) -> RequestDraft:
    """The draft with its entity keys settled; refused whole with every field that is wrong."""
    found = ViolationCollector()
    if not (draft.target_departments or draft.to_subject_providers or draft.to_holders_of_entity):
        found.add("target_departments", "name targets, or target the subjects' providers or the entities' holders")
    if not draft.subjects and not draft.to_holders_of_entity:
        found.add("subjects", "required unless the request goes to the entities' holders")
    for n, code in enumerate(draft.subjects):
        if code not in view.subject_by_code:
            raise NotFound("subject", f"subjects/{code}", metadata={"field": f"subjects[{n}]"})
    for n, code in enumerate(draft.items):
        item = view.item_by_code.get(code)
        if item is None or (draft.subjects and item.subject_code not in draft.subjects):
            found.add(f"items[{n}]", "not an item of the subjects asked about")
    for n, code in enumerate(draft.target_departments):
        if code not in view.department_by_code:
            found.add(f"target_departments[{n}]", f"no department {code!r} in the catalog")
    entity_keys = _entity_keys(draft, view, found)
    if draft.time_to_live is not None and not dt.timedelta(0) < draft.time_to_live <= MAX_TIME_TO_LIVE:
        found.add("time_to_live", "must be more than 0 and at most 30 days")
    if len(draft.question) > 2000 or len(draft.purpose) > 1000:
        found.add("question", "question at most 2,000 and purpose at most 1,000 characters")
    if len(draft.idempotency_key) > 128:
        found.add("idempotency_key", "at most 128 characters")
    found.raise_if_any("the request has invalid fields")
    return replace(draft, entity_keys=tuple(dict.fromkeys(entity_keys)))


def _entity_keys(draft: RequestDraft, view: CatalogView, found: ViolationCollector) -> tuple[str, ...]:
    """The entities a request is about (a VERIFY request's claims name them when the draft does not)."""
    entity_keys = draft.entity_keys
    if draft.kind is RequestKind.VERIFY:
        if not draft.claims:
            found.add("claims", "a VERIFY request needs claims")
        entity_keys = entity_keys or tuple(dict.fromkeys(c.entity_key for c in draft.claims))
        for n, claim in enumerate(draft.claims):
            for code in claim.values:
                item = view.item_by_code.get(code)
                if item is None or (draft.subjects and item.subject_code not in draft.subjects):
                    found.add(f"claims[{n}].values", f"{code} is not an item of the subjects asked about")
            for m, predicate in enumerate(claim.predicates):
                item = view.item_by_code.get(predicate.item_code)
                if item is None or (draft.subjects and item.subject_code not in draft.subjects):
                    found.add(f"claims[{n}].predicates[{m}].item", "not an item of the subjects asked about")
    elif draft.claims:
        found.add("claims", "only VERIFY requests carry claims")
    if not entity_keys:
        found.add("entity_keys", "name the entities the request is about")
    for path, problem in entity_keys_problems(entity_keys, MAX_ENTITY_KEYS):
        found.add(path, problem)
    return entity_keys
