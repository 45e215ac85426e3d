"""The gateway's coarse check — may this principal make this call at all — as a seam the authz snapshot fills."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from govmesh.runtime import errors
from govmesh.runtime.identity import Principal


@dataclass(frozen=True)
class PrincipalProfile:
    """What the policy knows about a principal beyond its certificate, for WhoAmI."""

    roles: frozenset[str]
    department: str = ""
    groups: tuple[str, ...] = ()
    display_name: str = ""
    disabled: bool = False


class CallPolicy(Protocol):
    """Decides, before a call is forwarded, whether its verified principal may make it at all.

    The gateway asks on every call, on its event loop, so an implementation answers from memory
    (a local copy of the authorization policy kept fresh by a watch), never over the network. The
    services still do the fine, per-item checks; this check only turns away calls that can never
    succeed, close to the caller.
    """

    @property
    def revision(self) -> int:
        """The revision of the policy copy the answers come from; 0 when there is none."""
        ...

    def refusal(self, principal: Principal, method: str) -> errors.DomainError | None:
        """None to let the call through, else the error (PERMISSION_DENIED with a reason) to answer with."""
        ...

    async def audit_refusal(
        self, principal: Principal, method: str, refusal: errors.DomainError, trace_id: str
    ) -> None:
        """Records a `refusal` in the audit log before the caller is answered with it.

        If the log cannot be reached it stays queued for a later write: the caller is answered anyway.
        """
        ...

    def profile(self, principal: Principal) -> PrincipalProfile:
        """The principal's roles, department, groups and state as the policy knows them."""
        ...


def profile_from_certificate(principal: Principal) -> PrincipalProfile:
    """What the certificate alone says: roles by kind, and a department's own code."""
    return PrincipalProfile(roles=principal.roles, department=principal.code if principal.kind == "department" else "")


class AdmitEveryVerifiedPrincipal:
    """The policy until the gateway has an authorization snapshot: every verified principal may call.

    Identity is still enforced before the policy is asked (a call without a valid, unrevoked
    certificate never gets here), and every service still checks roles and grants itself.
    """

    @property
    def revision(self) -> int:
        return 0

    def refusal(self, principal: Principal, method: str) -> errors.DomainError | None:
        return None

    async def audit_refusal(
        self, principal: Principal, method: str, refusal: errors.DomainError, trace_id: str
    ) -> None:
        return None  # it refuses nothing

    def profile(self, principal: Principal) -> PrincipalProfile:
        return profile_from_certificate(principal)
