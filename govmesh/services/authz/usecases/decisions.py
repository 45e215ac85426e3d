"""Decisions from the in-memory policy: one question, a batch at one revision, and the items a principal may receive."""

from __future__ import annotations

from collections.abc import Sequence

from govmesh.kernel.policy.model import AccessDecision, AccessQuery, Action, ItemDecision
from govmesh.runtime.errors import FieldViolation, InvalidArgument, NotFound, OutOfRange
from govmesh.runtime.identity import Principal
from govmesh.runtime.paging import PageRequest, read_token, token
from govmesh.services.authz.usecases.callers import Callers
from govmesh.services.authz.usecases.common import ERROR_DOMAIN, MAX_QUERIES_PER_BATCH
from govmesh.services.authz.usecases.policy import PolicyState


class Decisions:
    def __init__(self, state: PolicyState, callers: Callers):
        self.state = state
        self.callers = callers

    def check(self, caller: Principal, query: AccessQuery) -> AccessDecision:
        self.callers.may_ask_about(caller, query)
        decision = self.state.decide(query)
        if not decision.allowed:
            self.callers.audit_denial(caller, query, decision)
        return decision

    def batch_check(self, caller: Principal, queries: Sequence[AccessQuery]) -> tuple[list[AccessDecision], int]:
        """Decides every query at one revision: the lock is held across all of them."""
        if len(queries) > MAX_QUERIES_PER_BATCH:
            raise InvalidArgument(
                "too many queries", [FieldViolation("queries", f"at most {MAX_QUERIES_PER_BATCH} a call")]
            )
        for query in queries:
            self.callers.may_ask_about(caller, query)
        now = self.state.clock()
        with self.state.lock:
            decisions = [self.state.policy.decide(q, now) for q in queries]
            revision = self.state.policy.revision
        for query, decision in zip(queries, decisions, strict=True):
            if not decision.allowed:
                self.callers.audit_denial(caller, query, decision)
        return decisions, revision

    def list_allowed(
        self,
        caller: Principal,
        principal: tuple[str, str],
        action: Action,
        subject: str | None,
        *,
        include_denied: bool,
        page: PageRequest,
        page_token: str,
    ) -> tuple[list[ItemDecision], str, int]:
        """The items (and their rows) a principal may receive; each page at the revision of the first.

        The token carries that revision, so a listing the policy moved under is refused (ABORTED
        would invite a blind retry; OUT_OF_RANGE says to start the listing again).
        """
        self.callers.may_ask_about(caller, AccessQuery(principal[0], principal[1], action))
        offset = 0
        with self.state.lock:
            policy = self.state.policy
            revision = policy.revision
            if page_token:
                token_revision, offset = read_token(page_token, "allowed", 2)
                if token_revision != revision:
                    raise OutOfRange(
                        f"the policy moved from revision {token_revision} to {revision} during the listing; "
                        "list again from the first page"
                    )
            if subject is not None and policy.provider_of(subject) is None:
                raise NotFound("subject", f"subjects/{subject}", domain=ERROR_DOMAIN)
            decisions = policy.list_allowed(principal[0], principal[1], action, subject, self.state.clock())
        if not include_denied:
            decisions = [d for d in decisions if d.allowed]
        window = decisions[offset : offset + page.size]
        end = offset + page.size
        return window, token("allowed", revision, end) if end < len(decisions) else "", revision
