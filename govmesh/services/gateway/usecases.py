"""What the gateway answers itself: who the caller is, a principal's limits and usage, the upstream services."""

from __future__ import annotations

from dataclasses import dataclass

from govmesh.runtime import errors
from govmesh.runtime.identity import Principal, Role
from govmesh.runtime.paging import Page, page_request, paginate
from govmesh.services.gateway.domain.limits import Limiter, Limits, Usage
from govmesh.services.gateway.domain.policy import CallPolicy, PrincipalProfile
from govmesh.services.gateway.identity import Caller
from govmesh.services.gateway.upstreams import Upstream, Upstreams

HUB_ADMINISTRATOR = Role.HUB_ADMINISTRATOR
PRINCIPAL_PREFIX = "principals/"


@dataclass(frozen=True)
class Identity:
    """The caller as the gateway sees it: certificate, principal, and what the policy copy knows of it."""

    caller: Caller
    profile: PrincipalProfile
    policy_revision: int


@dataclass(frozen=True)
class PrincipalLimits:
    principal: Principal
    limits: Limits
    usage: Usage


def _require_administrator(caller: Caller, what: str) -> None:
    if not caller.principal.has_role(HUB_ADMINISTRATOR):
        raise errors.PermissionDenied(
            f"{what} needs the {HUB_ADMINISTRATOR} role; {caller.header} does not hold it",
            reason="ROLE_REQUIRED",
            metadata={"role": HUB_ADMINISTRATOR, "principal": caller.header},
        )


def parse_principal_name(name: str) -> Principal:
    """`principals/department/AIC` → that principal; anything else is INVALID_ARGUMENT."""
    principal = Principal.parse(name.removeprefix(PRINCIPAL_PREFIX)) if name.startswith(PRINCIPAL_PREFIX) else None
    if principal is None or principal.is_anonymous:
        raise errors.InvalidArgument(
            "not a principal name",
            [errors.FieldViolation("principal", f"{name!r} is not principals/{{kind}}/{{code}}")],
        )
    return principal


class GatewayQueries:
    """The use cases of GatewayService, over the gateway's own state."""

    def __init__(self, policy: CallPolicy, limiter: Limiter, upstreams: Upstreams):
        self._policy = policy
        self._limiter = limiter
        self._upstreams = upstreams

    def who_am_i(self, caller: Caller) -> Identity:
        return Identity(caller, self._policy.profile(caller.principal), self._policy.revision)

    def limits(self, caller: Caller, principal_name: str) -> PrincipalLimits:
        """The caller's own limits, or (for a hub administrator) any principal's."""
        principal = caller.principal if not principal_name else parse_principal_name(principal_name)
        if principal != caller.principal:
            _require_administrator(caller, "reading another principal's limits")
        return PrincipalLimits(principal, self._limiter.config.for_principal(principal), self._limiter.usage(principal))

    def upstreams(self, caller: Caller, service: str, page_size: int, page_token: str) -> Page[Upstream]:
        _require_administrator(caller, "listing the upstreams")
        chosen = [u for name, u in sorted(self._upstreams.by_service.items()) if not service or name == service]
        if service and not chosen:
            raise errors.NotFound("upstream", service)
        return paginate(chosen, page_request(page_size, page_token))
