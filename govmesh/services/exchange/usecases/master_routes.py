"""Requests by master record: the holders the masters service links to it, each asked by its own key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from govmesh.runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument
from govmesh.runtime.identity import Principal
from govmesh.services.exchange.domain.routing import HeldRecord, Route, is_master_key, master_ids, routes
from govmesh.services.exchange.usecases.callers import Callers
from govmesh.services.exchange.usecases.common import EXCHANGE_DOMAIN
from govmesh.services.exchange.usecases.results import RequestDraft

Holders = Mapping[str, Sequence[HeldRecord]]


class MasterLinks(Protocol):
    """Where the exchange learns a master record's linked records (the masters service's ResolveHolders)."""

    async def holders(self, master_ids: Sequence[str]) -> dict[str, list[HeldRecord]]: ...


def asked_keys(draft: RequestDraft) -> tuple[str, ...]:
    """The entity keys a draft names, a VERIFY request's claims' when it names none."""
    return draft.entity_keys or tuple(dict.fromkeys(c.entity_key for c in draft.claims))


async def linked_holders(links: MasterLinks | None, draft: RequestDraft) -> Holders:
    """The linked records of every master record the draft names; nothing when it names none."""
    wanted = master_ids(asked_keys(draft))
    if not wanted:
        return {}
    if draft.target_departments or draft.to_subject_providers or not draft.to_holders_of_entity:
        # Only the holders know the entity by a key of their own; a named department would be asked
        # by a master key it cannot answer for.
        raise InvalidArgument(
            "a request about a master record goes to its holders",
            [FieldViolation("to_holders_of_entity", "set it, and name no other targets, to ask by masters/{id}")],
        )
    if links is None:
        raise FailedPrecondition(
            "this exchange does not reach the masters service; requests by master record cannot be routed",
            reason="MASTERS_UNAVAILABLE",
            domain=EXCHANGE_DOMAIN,
        )
    return await links.holders(wanted)


def master_routes(callers: Callers, principal: Principal, draft: RequestDraft, holders: Holders) -> dict[str, Route]:
    """Each holding department's route, among the holdings the requester may learn of (as LocateEntity)."""
    view = callers.catalog
    subjects = {r.subject for records in holders.values() for r in records if r.subject in view.subject_by_code}
    knowable = {code: callers.knows_holdings_of(principal, code) for code in subjects}
    return {route.department: route for route in routes(holders, draft.subjects, knowable)}


def target_keys(draft: RequestDraft, route: Route | None) -> tuple[tuple[str, str], ...]:
    """(own key, asked key) pairs a target is asked by: the draft's direct keys as they are, and its route's."""
    keys = asked_keys(draft)
    if not any(is_master_key(k) for k in keys):
        return ()
    direct = [(k, k) for k in keys if not is_master_key(k)]
    routed = list(route.asked_by.items()) if route is not None else []
    return tuple(dict.fromkeys([*direct, *routed]))
