"""Row scopes: which rows of a subject a grant covers, whether a row lies inside, and how scopes combine."""

from __future__ import annotations

import re
from collections.abc import Iterable

from govmesh.kernel.policy.model import ALL_ROWS, NO_ROWS, Row, RowScope
from govmesh.runtime.errors import ViolationCollector

# [0-9], not \d, so that non-ASCII digits never match.
DIVISION_CODE = re.compile(r"[1-8][0-9]{5}")
MAX_ENTITY_KEYS = 10_000
MAX_DIVISION_CODES = 500


def division_covers(scope_code: str, row_code: str) -> bool:
    """GB/T 2260 containment: a province `440000` covers `44xxxx`, a city `440100` covers `4401xx`."""
    if scope_code == row_code:
        return True
    if len(row_code) != 6:
        return False
    if scope_code.endswith("0000"):
        return row_code[:2] == scope_code[:2]
    if scope_code.endswith("00"):
        return row_code[:4] == scope_code[:4]
    return False


def contains(scope: RowScope, row: Row) -> bool:
    """Whether a row lies in a scope: any one condition of the scope is enough."""
    if scope.all_rows:
        return True
    if row.division_code and any(division_covers(code, row.division_code) for code in scope.division_codes):
        return True
    if row.entity_key and row.entity_key in scope.entity_keys:
        return True
    return scope.requested_entities_only and row.entity_key_requested


def union(scopes: Iterable[RowScope]) -> RowScope:
    """The rows any of the scopes covers: what several grants allow together."""
    divisions: set[str] = set()
    keys: set[str] = set()
    requested = False
    count = 0
    only: RowScope = NO_ROWS
    for scope in scopes:
        if scope.all_rows:
            return ALL_ROWS
        count += 1
        only = scope
        divisions.update(scope.division_codes)
        keys.update(scope.entity_keys)
        requested = requested or scope.requested_entities_only
    if count == 1:
        return only
    # A code inside another listed code adds nothing, so the union names the outermost codes only.
    outermost = {c for c in divisions if not any(o != c and division_covers(o, c) for o in divisions)}
    return RowScope(False, tuple(sorted(outermost)), tuple(sorted(keys)), requested)


def normalized(scope: RowScope | None) -> RowScope:
    """A grant's scope as stored: unset or without any condition means every row."""
    if scope is None or scope.empty:
        return ALL_ROWS
    if scope.all_rows:
        return ALL_ROWS
    return RowScope(
        False,
        tuple(sorted(set(scope.division_codes))),
        tuple(sorted(set(scope.entity_keys))),
        scope.requested_entities_only,
    )


def allows_bulk_delivery(scope: RowScope) -> bool:
    """A scope of requested entities only serves lookups by key, never a subscription's deliveries."""
    return not (
        scope.requested_entities_only and not scope.all_rows and not scope.division_codes and not scope.entity_keys
    )


def check_grant_scope(scope: RowScope, path: str, found: ViolationCollector) -> None:
    """The rules for a scope on a grant: at most one kind of restriction, well-formed codes and keys."""
    if scope.all_rows and (scope.division_codes or scope.entity_keys or scope.requested_entities_only):
        found.add(path, "all_rows cannot be combined with a restriction")
        return
    kinds = sum(1 for present in (scope.division_codes, scope.entity_keys, scope.requested_entities_only) if present)
    if kinds > 1:
        found.add(path, "name one kind of restriction: division codes, or entity keys, or requested entities only")
    if len(scope.division_codes) > MAX_DIVISION_CODES:
        found.add(f"{path}.division_codes", f"at most {MAX_DIVISION_CODES} codes")
    for index, code in enumerate(scope.division_codes):
        if not DIVISION_CODE.fullmatch(code):
            found.add(f"{path}.division_codes[{index}]", "must be a six-digit GB/T 2260 division code")
    if len(scope.entity_keys) > MAX_ENTITY_KEYS:
        found.add(f"{path}.entity_keys", f"at most {MAX_ENTITY_KEYS} keys")
    for index, key in enumerate(scope.entity_keys):
        if not key.strip() or len(key) > 64:
            found.add(f"{path}.entity_keys[{index}]", "must be a non-empty key of at most 64 characters")
