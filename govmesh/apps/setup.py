"""Everything the applications need on a development hub, applied once: grants, verifiable items."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from govmesh.apps.grants import ensure_grants, load_grants
from govmesh.apps.verification.setup import ensure_setup as ensure_verification

HERE = Path(__file__).parent
GRANT_FILES = (HERE / "warnings" / "grants.yaml", HERE / "taxtotal" / "grants.yaml", HERE / "district" / "grants.yaml")


async def ensure_all(stub_of: Callable[[str], Any]) -> list[str]:
    """Applies every application's shipped grants and verification's catalog change; returns what changed.

    `stub_of(identity)` returns `govmesh.client.Stubs` as that identity (the hub administrator, the
    catalog maintainer and each providing department: a development hub holds all their certificates).
    """
    done: list[str] = []
    for path in GRANT_FILES:
        done += await ensure_grants(lambda identity: stub_of(identity).authz, load_grants(path))
    changed, created = await ensure_verification(stub_of)
    return done + [f"items/{code}" for code in changed] + created
