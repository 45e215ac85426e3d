"""The reference directory: who holds data on an entity, as far as the asker may know, and requests to them all."""

from __future__ import annotations

import grpc
import pytest

from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.kernel.catalog.standards import make_credit_code
from tests.integration.exchange_support import ENTERPRISES, LOCAL_TAX, TIANHE, enterprise, grant
from tests.integration.helpers import reason_of
from tests.integration.mesh import Mesh

LABOUR_CONTRACTS = "subjects/306.002"  # HRSS; every item CONDITIONAL or NOT_SHARED
ENTERPRISE = make_credit_code(TIANHE, 7)


async def _holdings(mesh: Mesh, asker: str) -> set[tuple[str, str, int]]:
    found = await mesh.exchange_stub(f"department/{asker}").LocateEntity(pb.LocateEntityRequest(entity_key=ENTERPRISE))
    return {(h.department, h.subject, h.source) for h in found.holdings}


async def test_the_directory_names_who_holds_data_on_an_entity_only_as_far_as_the_asker_may_know(
    exchange_mesh: Mesh,
) -> None:
    await exchange_mesh.exchange_stub("department/AIC").Publish(pb.PublishRequest(records=[enterprise(7)]))
    ltax = exchange_mesh.exchange_stub("department/LTAX")
    registered = await ltax.RegisterHoldings(pb.RegisterHoldingsRequest(subject=LOCAL_TAX, entity_keys=[ENTERPRISE]))
    assert registered.registered_count == 1
    again = await ltax.RegisterHoldings(pb.RegisterHoldingsRequest(subject=LOCAL_TAX, entity_keys=[ENTERPRISE]))
    assert again.registered_count == 0
    hrss = exchange_mesh.exchange_stub("department/HRSS")
    await hrss.RegisterHoldings(pb.RegisterHoldingsRequest(subject=LABOUR_CONTRACTS, entity_keys=[ENTERPRISE]))

    public = {
        ("AIC", ENTERPRISES, pb.HOLDING_SOURCE_PUBLISHED),
        ("LTAX", LOCAL_TAX, pb.HOLDING_SOURCE_REGISTERED),
    }
    # The police may request nothing of labour contracts, so it does not learn that HRSS holds one.
    assert await _holdings(exchange_mesh, "PSB") == public
    await grant(exchange_mesh, subject=LABOUR_CONTRACTS, items=["306.002.001"], consumers=["PSB"])
    assert await _holdings(exchange_mesh, "PSB") == public | {("HRSS", LABOUR_CONTRACTS, pb.HOLDING_SOURCE_REGISTERED)}

    removed = await hrss.UnregisterHoldings(
        pb.UnregisterHoldingsRequest(subject=LABOUR_CONTRACTS, entity_keys=[ENTERPRISE])
    )
    assert removed.unregistered_count == 1
    assert await _holdings(exchange_mesh, "PSB") == public


async def test_a_request_to_every_holder_of_an_entity_reaches_each_of_them(exchange_mesh: Mesh) -> None:
    await exchange_mesh.exchange_stub("department/AIC").Publish(pb.PublishRequest(records=[enterprise(7)]))
    await exchange_mesh.exchange_stub("department/LTAX").RegisterHoldings(
        pb.RegisterHoldingsRequest(subject=LOCAL_TAX, entity_keys=[ENTERPRISE])
    )
    await exchange_mesh.exchange_stub("department/HRSS").RegisterHoldings(
        pb.RegisterHoldingsRequest(subject=LABOUR_CONTRACTS, entity_keys=[ENTERPRISE])
    )
    sent = (
        await exchange_mesh.exchange_stub("department/PSB").SendRequest(
            pb.SendRequestRequest(entity_keys=[ENTERPRISE], to_holders_of_entity=True, wait_mode=pb.WAIT_MODE_ASYNC)
        )
    ).request
    assert {r.target: [*r.subjects] for r in sent.replies} == {"AIC": [ENTERPRISES], "LTAX": [LOCAL_TAX]}


async def test_only_the_provider_of_a_subject_declares_holdings_of_it(exchange_mesh: Mesh) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await exchange_mesh.exchange_stub("department/QTS").RegisterHoldings(
            pb.RegisterHoldingsRequest(subject=LOCAL_TAX, entity_keys=[ENTERPRISE])
        )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert reason_of(refused.value) == "NOT_PROVIDER"
    assert await _holdings(exchange_mesh, "PSB") == set()
