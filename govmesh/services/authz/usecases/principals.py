"""The registered principals, and the policy as enforcement points read it: snapshot and change feed."""

from __future__ import annotations

from govmesh.kernel.policy.model import Action, PolicyChange, PrincipalEntry, PrincipalKind, SnapshotContents
from govmesh.kernel.policy.principals import hub_principal, kind_of, principal_name
from govmesh.runtime.errors import NotFound
from govmesh.runtime.identity import Principal
from govmesh.runtime.paging import Page, PageRequest, paginate
from govmesh.services.authz.usecases.callers import Callers
from govmesh.services.authz.usecases.common import ERROR_DOMAIN
from govmesh.services.authz.usecases.policy import PolicyState


class Principals:
    def __init__(self, state: PolicyState, callers: Callers):
        self.state = state
        self.callers = callers

    def get_principal(self, caller: Principal, kind: str, code: str) -> PrincipalEntry:
        self.callers.require_registered(caller, "principals")
        parsed = kind_of(kind)
        assert parsed is not None, "the servicer parses the name"
        if parsed is not PrincipalKind.DEPARTMENT:
            return hub_principal(parsed, code)
        with self.state.lock:
            entry = self.state.policy.departments.get(code)
        if entry is None:
            raise NotFound("principal", principal_name(kind, code), domain=ERROR_DOMAIN)
        return entry

    def list_principals(self, caller: Principal, kind: PrincipalKind | None, page: PageRequest) -> Page[PrincipalEntry]:
        """The registered principals: the catalog's departments. Hub principals (maintainers,
        administrators, auditors, services) are registered by the CA that issues their certificates,
        so authz knows each by its kind when it calls and has no list of them to give."""
        self.callers.require_registered(caller, "principals")
        with self.state.lock:
            departments = [self.state.policy.departments[c] for c in sorted(self.state.policy.departments)]
        chosen = departments if kind in (None, PrincipalKind.DEPARTMENT) else []
        return paginate(chosen, page)


class PolicyFeed:
    """What enforcement points follow: a snapshot of the policy, then its changes."""

    def __init__(self, state: PolicyState, callers: Callers):
        self.state = state
        self.callers = callers

    def require_reader(self, caller: Principal) -> None:
        self.callers.require_role(caller, Action.POLICY_READ, "policies")

    def changes_after(self, revision: int) -> list[PolicyChange]:
        return self.state.changes_after(revision)

    def snapshot(self) -> SnapshotContents:
        return self.state.snapshot()
