"""Maps between proto enums (`SHARING_TYPE_CONDITIONAL`) and domain enums (`SharingType.CONDITIONAL`) by name."""

from __future__ import annotations

import enum
from typing import Any, Generic, TypeVar

from govmesh.runtime.errors import ViolationCollector

E = TypeVar("E", bound=enum.Enum)


class EnumMapping(Generic[E]):
    """A two-way map that relies on the naming convention `<PROTO_PREFIX>_<DOMAIN_NAME>`.

    `zero` names the domain member that the proto's UNSPECIFIED value stands for, where "not set"
    is itself meaningful (a data item with no format standard); otherwise UNSPECIFIED is invalid.
    """

    def __init__(self, proto_enum: Any, domain_enum: type[E], prefix: str, *, zero: E | None = None):
        self._to_domain: dict[int, E] = {}
        self._to_proto: dict[E, int] = {}
        for member in domain_enum:
            number = 0 if member is zero else proto_enum.Value(f"{prefix}_{member.name}")
            self._to_domain[number] = member
            self._to_proto[member] = number
        self._names = ", ".join(f"{prefix}_{m.name}" for m in domain_enum if m is not zero)

    def to_proto(self, member: E) -> int:
        return self._to_proto[member]

    def to_domain(self, number: int, field: str, found: ViolationCollector) -> E:
        """The domain member for a proto number; UNSPECIFIED or unknown numbers are violations."""
        member = self._to_domain.get(number)
        if member is None:
            found.add(field, f"must be one of {self._names}")
            return next(iter(self._to_domain.values()))
        return member

    def optional(self, number: int, field: str, found: ViolationCollector) -> E | None:
        """For filters: UNSPECIFIED means no filter; an unknown number is a violation."""
        if number == 0:
            return None
        return self.to_domain(number, field, found)
