"""Who principals are: resource names, the roles each kind holds, and departments as registered principals."""

from __future__ import annotations

import re
from collections.abc import Iterable

from govmesh.kernel.policy.model import PrincipalEntry, PrincipalKind, Role
from govmesh.runtime.identity import KIND_ROLES as CERTIFICATE_ROLES

KIND_ROLES: dict[PrincipalKind, frozenset[Role]] = {kind: CERTIFICATE_ROLES[kind] for kind in PrincipalKind}

_KIND_OF_SEGMENT = {kind.value: kind for kind in PrincipalKind}
# The contract spells the administrator kind out in places; certificates say `admin`. Both are read.
_KIND_OF_SEGMENT["administrator"] = PrincipalKind.ADMINISTRATOR

# The same segment rule as certificate identities (govmesh.runtime.identity): ASCII, and not "." or "..".
_CODE = re.compile(r"(?!\.{1,2}\Z)[A-Za-z0-9._-]+")

AUTHZ_SERVICE = "principals/service/authz"


def kind_of(segment: str) -> PrincipalKind | None:
    return _KIND_OF_SEGMENT.get(segment)


def parse_principal_name(name: str) -> tuple[str, str] | None:
    """`principals/department/AIC` → ("department", "AIC"); None when it is not a principal name."""
    parts = name.split("/")
    if len(parts) != 3 or parts[0] != "principals" or kind_of(parts[1]) is None or not _CODE.fullmatch(parts[2]):
        return None
    kind = kind_of(parts[1])
    assert kind is not None
    return kind.value, parts[2]


def principal_name(kind: str, code: str) -> str:
    return f"principals/{kind}/{code}"


def department_principal(
    code: str, display_name: str, groups: Iterable[str], *, disabled: bool = False
) -> PrincipalEntry:
    """A department as a principal: role department, acting for itself, in the catalog's groups."""
    return PrincipalEntry(
        kind=PrincipalKind.DEPARTMENT,
        code=code,
        roles=KIND_ROLES[PrincipalKind.DEPARTMENT],
        department=code,
        groups=tuple(sorted(set(groups))),
        display_name=display_name,
        disabled=disabled,
    )


def hub_principal(kind: PrincipalKind, code: str) -> PrincipalEntry:
    """A maintainer, administrator, auditor or mesh service: the hub's CA registered it by issuing its
    certificate, and its kind alone decides its roles."""
    return PrincipalEntry(kind=kind, code=code, roles=KIND_ROLES[kind])
