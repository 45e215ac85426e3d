"""Who is calling: the principal the gateway verified from a client certificate, and its roles."""

from __future__ import annotations

import contextvars
import enum
import re
from dataclasses import dataclass

# The gateway sets this header after verifying the caller's certificate, and strips any copy a
# caller sent; internal services believe it only from a peer whose certificate says service/gateway.
PRINCIPAL_HEADER = "x-govmesh-principal"
SPIFFE_PREFIX = "spiffe://govmesh/"
# A SPIFFE ID path segment: ASCII letters, digits, dots, dashes and underscores, and not "." or "..".
_CODE = re.compile(r"(?!\.{1,2}\Z)[A-Za-z0-9._-]+")


class Role(enum.StrEnum):
    """The hub's role vocabulary, the one definition every floor uses (the policy library's too)."""

    DEPARTMENT = "department"
    CATALOG_MAINTAINER = "catalog-maintainer"
    HUB_ADMINISTRATOR = "hub-administrator"
    AUDITOR = "auditor"
    # Mesh services (the gateway, the exchange …) enforce the policy for the callers they serve.
    ENFORCEMENT_POINT = "enforcement-point"


class PrincipalKind(enum.StrEnum):
    """The `{kind}` segment of a certificate identity `spiffe://govmesh/{kind}/{code}`."""

    DEPARTMENT = "department"
    MAINTAINER = "maintainer"
    ADMINISTRATOR = "admin"
    AUDITOR = "auditor"
    SERVICE = "service"


# The roles a certificate's kind carries; the policy library's principals hold the same.
KIND_ROLES: dict[str, frozenset[Role]] = {
    PrincipalKind.DEPARTMENT: frozenset({Role.DEPARTMENT}),
    PrincipalKind.MAINTAINER: frozenset({Role.CATALOG_MAINTAINER}),
    PrincipalKind.ADMINISTRATOR: frozenset({Role.HUB_ADMINISTRATOR}),
    PrincipalKind.AUDITOR: frozenset({Role.AUDITOR}),
    PrincipalKind.SERVICE: frozenset({Role.ENFORCEMENT_POINT}),
    "anonymous": frozenset(),
}


@dataclass(frozen=True)
class Principal:
    """A verified caller: a department by its code, or a person or service in a hub role."""

    kind: str
    code: str

    @property
    def roles(self) -> frozenset[Role]:
        return KIND_ROLES.get(self.kind, frozenset())

    @property
    def is_anonymous(self) -> bool:
        return self.kind == "anonymous"

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    def header_value(self) -> str:
        return f"{self.kind}/{self.code}"

    def spiffe_id(self) -> str:
        return f"{SPIFFE_PREFIX}{self.kind}/{self.code}"

    def __str__(self) -> str:
        return self.header_value()

    @classmethod
    def parse(cls, text: str) -> Principal:
        """Reads `kind/code` (the header form) or `spiffe://govmesh/kind/code`; anything else is anonymous."""
        if text.startswith(SPIFFE_PREFIX):
            text = text[len(SPIFFE_PREFIX) :]
        kind, sep, code = text.partition("/")
        if not sep or kind not in KIND_ROLES or kind == "anonymous" or not _CODE.fullmatch(code):
            return ANONYMOUS
        return cls(kind, code)


ANONYMOUS = Principal("anonymous", "-")
# The one peer whose word about who a call is for is believed: it verified that caller's certificate.
GATEWAY_SERVICE = Principal("service", "gateway")


def acting_principal(peer: Principal, forwarded: str | None) -> Principal:
    """Who a call acts as: its verified peer, or what it forwarded if (and only if) that peer is the gateway."""
    if peer == GATEWAY_SERVICE and forwarded:
        return Principal.parse(forwarded)
    return peer


current_principal: contextvars.ContextVar[Principal] = contextvars.ContextVar("current_principal", default=ANONYMOUS)
