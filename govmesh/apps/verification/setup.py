"""What verification needs on the hub: verifiable items in the catalog and VERIFY grants (setup.yaml)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf.field_mask_pb2 import FieldMask

from govmesh.apps.grants import ShippedGrant, ensure_grants, load_grants
from govmesh.contracts.catalog.v1 import catalog_pb2 as cpb

SETUP = Path(__file__).with_name("setup.yaml")


def catalog_changes(path: Path = SETUP) -> list[dict[str, str]]:
    return [dict(c) for c in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("catalog", [])]


def grants(path: Path = SETUP) -> list[ShippedGrant]:
    return load_grants(path)


async def ensure_setup(stub_of: Callable[[str], Any], path: Path = SETUP) -> tuple[list[str], list[str]]:
    """Applies the catalog changes as `maintainer/ops` (a minor version each, audited with its reason) and
    the grants as on a development hub; returns the items changed and the grants created.

    `stub_of(identity)` returns `govmesh.client.Stubs` on a channel as that identity.
    """
    catalog = stub_of("maintainer/ops").catalog
    changed: list[str] = []
    for change in catalog_changes(path):
        code = change["item"]
        name = f"subjects/{code.rsplit('.', 1)[0]}/items/{code}"
        item = (await catalog.GetItem(cpb.GetItemRequest(name=name))).item
        wanted = cpb.SharingType.Value(f"SHARING_TYPE_{change['sharing_type'].upper()}")
        if item.sharing_type == wanted:
            continue
        item.sharing_type = wanted
        item.sharing_conditions = change.get("sharing_conditions", item.sharing_conditions)
        await catalog.UpdateItem(
            cpb.UpdateItemRequest(
                item=item, update_mask=FieldMask(paths=["sharing_type", "sharing_conditions"]), reason=change["reason"]
            )
        )
        changed.append(code)
    # Authz learns the catalog change from its feed within moments; until then the item is still
    # NOT_SHARED there and a grant naming it is refused.
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        try:
            created = await ensure_grants(lambda identity: stub_of(identity).authz, grants(path))
            return changed, created
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.FAILED_PRECONDITION or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)
