"""How authz's copy of the catalog differs from the catalog: the items and departments to write, decided purely."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from govmesh.kernel.policy.model import ItemPolicy, PrincipalEntry


@dataclass
class ItemChanges:
    """What the copy must write: items new or changed (in the catalog's order), and items gone from it."""

    written: list[ItemPolicy] = field(default_factory=list)
    new: set[str] = field(default_factory=set)
    removed: list[ItemPolicy] = field(default_factory=list)


def item_changes(
    stored: Mapping[str, ItemPolicy], incoming: Iterable[ItemPolicy], subjects: Collection[str] | None
) -> ItemChanges:
    """Compares the copy with the catalog; `subjects` limits removals to those subjects (None: every item)."""
    found = ItemChanges()
    seen: set[str] = set()
    for item in incoming:
        seen.add(item.item)
        old = stored.get(item.item)
        if old == item:
            continue
        if old is None:
            found.new.add(item.item)
        found.written.append(item)
    for code, old in stored.items():
        in_scope = subjects is None or old.subject in subjects
        if code not in seen and in_scope and not old.removed:
            found.removed.append(dataclasses.replace(old, removed=True))
    return found


def department_changes(
    stored: Mapping[str, PrincipalEntry], incoming: Iterable[PrincipalEntry]
) -> tuple[list[PrincipalEntry], list[PrincipalEntry]]:
    """(new or changed departments, departments to disable): one the catalog no longer lists keeps its
    grants on record but decides nothing."""
    seen = set()
    written = []
    for principal in incoming:
        seen.add(principal.code)
        if stored.get(principal.code) != principal:
            written.append(principal)
    disabled = [
        dataclasses.replace(old, disabled=True) for code, old in stored.items() if code not in seen and not old.disabled
    ]
    return written, disabled
