"""Routing by master record: each holder is asked by its own key, and answers back under the asked key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MASTER_PREFIX = "masters/"


@dataclass(frozen=True, order=True)
class HeldRecord:
    """One department's record linked to a master record, as the masters service names it."""

    department: str
    subject: str
    key: str


def master_ids(entity_keys: Iterable[str]) -> list[str]:
    """The master ids among a request's entity keys (`masters/{id}`), in order, once each."""
    return list(dict.fromkeys(k.removeprefix(MASTER_PREFIX) for k in entity_keys if is_master_key(k)))


def is_master_key(entity_key: str) -> bool:
    """Whether a key names a master record, as the masters service names them (`masters/` and letters or digits)."""
    identifier = entity_key.removeprefix(MASTER_PREFIX)
    return entity_key.startswith(MASTER_PREFIX) and identifier.isascii() and identifier.isalnum()


@dataclass(frozen=True)
class Route:
    """The keys one target department is asked by, each with the key the requester asked by."""

    department: str
    subjects: tuple[str, ...]
    # The target's own key → the requester's key (a master key, or the same key when asked directly).
    asked_by: Mapping[str, str]

    @property
    def own_keys(self) -> tuple[str, ...]:
        return tuple(self.asked_by)


def routes(
    holders: Mapping[str, Sequence[HeldRecord]], subjects: Sequence[str], knowable: Mapping[str, bool]
) -> list[Route]:
    """One route per department holding a record of the asked masters, by department code.

    `holders` maps each asked master key to its linked records; `subjects` narrows to the subjects
    asked (all when empty); `knowable` says, per subject, whether the requester may learn of its
    holdings — a record of a subject it may not is not routed to, as the directory would not name it.
    A record without a subject (loaded outside the exchange) cannot be checked against a grant and
    is left out.
    """
    asked: dict[str, dict[str, str]] = {}
    held: dict[str, list[str]] = {}
    for master_key, records in holders.items():
        for record in records:
            if not record.subject or (subjects and record.subject not in subjects):
                continue
            if not knowable.get(record.subject, False):
                continue
            asked.setdefault(record.department, {}).setdefault(record.key, master_key)
            held.setdefault(record.department, []).append(record.subject)
    return [
        Route(department, tuple(dict.fromkeys(held[department])), asked[department]) for department in sorted(asked)
    ]
