"""The exchange validates against its own copy of the catalog, and the copy follows catalog changes."""

from __future__ import annotations

import asyncio

from govmesh.contracts.catalog.v1 import catalog_pb2 as cpb
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from tests.integration.exchange_support import ENTERPRISES, enterprise
from tests.integration.mesh import Mesh

NEW_ITEM = "102.001.031"


async def test_an_item_added_to_the_catalog_is_accepted_by_the_exchange_without_a_restart(exchange_mesh: Mesh) -> None:
    aic = exchange_mesh.exchange_stub("department/AIC")
    record = enterprise(0)
    record.values[NEW_ITEM].string_value = "绿色通道"
    before = await aic.Publish(pb.PublishRequest(records=[record], validate_only=True))
    assert [(v.item_code, v.reason) for v in before.results[0].violations] == [(NEW_ITEM, "UNKNOWN_ITEM")]

    await exchange_mesh.catalog_stub("maintainer/ops").CreateItem(
        cpb.CreateItemRequest(
            parent=ENTERPRISES,
            item=cpb.DataItem(
                code=NEW_ITEM,
                name_zh="办理渠道",
                name_en="Registration channel",
                data_type=cpb.DATA_TYPE_STRING,
                length=20,
                sharing_type=cpb.SHARING_TYPE_UNCONDITIONAL,
                sensitivity=cpb.SENSITIVITY_LEVEL_PUBLIC,
            ),
            reason="the green channel records how an enterprise registered",
        )
    )
    async with asyncio.timeout(10):
        while True:
            after = await aic.Publish(pb.PublishRequest(records=[record]))
            if after.accepted_count == 1:
                break
            await asyncio.sleep(0.1)
    assert after.results[0].subject_version == "1.1"
