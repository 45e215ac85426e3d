"""The tax-total request and the district return, end to end through the gateway."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from govmesh.apps.district.usecases import ensure_feed, subscription_id
from govmesh.apps.grants import ensure_grants, load_grants
from govmesh.apps.taxtotal.usecases import SHIPPED_GRANTS, request_of, tax_totals
from govmesh.contracts.authz.v1 import authz_pb2 as apb
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.kernel.catalog.standards import make_credit_code
from tests.integration.apps_support import answer_inbox, issue
from tests.integration.exchange_support import (
    REPRESENTATIVE_ID,
    TIANHE,
    YUEXIU,
    enterprise,
    exchange_knows,
    grant,
    quiet,
    receive,
)
from tests.integration.mesh import Mesh

E1, E2, E3 = (make_credit_code(TIANHE, n) for n in (201, 202, 203))


def total(subject: str, key: str, amount: str, year: int = 2008) -> dict[str, Any]:
    division = f"{subject}.016" if subject == "301.001" else f"{subject}.013"
    return {
        f"{subject}.001": key,
        f"{subject}.002": "广州某某贸易有限公司",
        f"{subject}.004": year,
        f"{subject}.005": Decimal(amount),
        f"{subject}.006": Decimal("777.77"),  # the taxes behind the total: NOT_SHARED
        division: TIANHE,
    }


HOLDINGS = {
    ("301.001", E1): [total("301.001", E1, "120000.50"), total("301.001", E1, "99.00", year=2007)],
    ("301.001", E2): [total("301.001", E2, "5000.00")],
    ("301.002", E1): [total("301.002", E1, "88000.00")],
}


async def test_police_get_one_line_per_enterprise_with_each_bureaus_total_and_partial_answers_marked(
    exchange_mesh: Mesh,
) -> None:
    stubs = {code: exchange_mesh.exchange_stub(f"department/{code}") for code in ("PSB", "LTAX", "NTAX")}
    created = await ensure_grants(lambda i: exchange_mesh.authz_stub(i), load_grants(SHIPPED_GRANTS))
    grants = [
        (await exchange_mesh.authz_stub("admin/hub").GetGrant(apb.GetGrantRequest(name=n))).grant for n in created
    ]
    await exchange_knows(exchange_mesh, max(g.revision for g in grants))
    ltax = asyncio.create_task(answer_inbox(stubs["LTAX"], HOLDINGS, frozenset()))
    ntax = asyncio.create_task(answer_inbox(stubs["NTAX"], HOLDINGS, frozenset()))
    try:
        lines = {line.credit_code: line for line in await tax_totals(stubs["PSB"], [E1, E2, E3], 2008, wait=30)}
        assert lines[E1].status == {"LTAX": "ANSWERED", "NTAX": "ANSWERED"} and not lines[E1].partial
        assert lines[E1].total == {"LTAX": "120000.50", "NTAX": "88000.00"}  # 2008's, not 2007's
        assert lines[E2].partial and lines[E2].status == {"LTAX": "ANSWERED", "NTAX": "NO_RECORD"}
        assert lines[E3].status == {"LTAX": "NO_RECORD", "NTAX": "NO_RECORD"}
        answer = await stubs["PSB"].SendRequest(request_of([E1, E2], 2008, "test"), timeout=30)
        assert "777.77" not in str(answer) and "301.001.006" not in str(answer)
    finally:
        ntax.cancel()
        await asyncio.gather(ntax, return_exceptions=True)
    try:
        # National tax is offline: its part is marked, local tax's answer still comes.
        lines = {line.credit_code: line for line in await tax_totals(stubs["PSB"], [E1], 2008, wait=30)}
        assert lines[E1].partial and lines[E1].status == {"LTAX": "ANSWERED", "NTAX": "NO_ANSWER"}
        assert lines[E1].total == {"LTAX": "120000.50"}
    finally:
        ltax.cancel()
        await asyncio.gather(ltax, return_exceptions=True)


async def test_a_district_gets_every_enterprise_of_its_own_and_never_another_districts(exchange_mesh: Mesh) -> None:
    issue(exchange_mesh, "department/TIANHE")
    aic, tianhe = exchange_mesh.exchange_stub("department/AIC"), exchange_mesh.exchange_stub("department/TIANHE")
    await grant(
        exchange_mesh,
        subject="subjects/102.001",
        items=[REPRESENTATIVE_ID],
        consumers=["TIANHE"],
        row_scope=apb.RowScope(division_codes=[TIANHE]),
    )
    before = [enterprise(n, TIANHE if n % 2 else YUEXIU, key_prefix="before") for n in range(10)]
    assert (await aic.Publish(pb.PublishRequest(records=before))).accepted_count == 10
    await ensure_feed(tianhe, TIANHE, ["102.001"])
    initial = await receive(tianhe, subscription_id("102.001"), 5)
    assert sorted(d.record.entity_key for d in initial) == sorted(
        r.entity_key for r in before if r.division_code == TIANHE
    )
    after = [enterprise(n, TIANHE if n % 2 else YUEXIU, key_prefix="after") for n in range(10, 16)]
    await aic.Publish(pb.PublishRequest(records=after))
    changes = await receive(tianhe, subscription_id("102.001"), 3)
    assert sorted(d.record.entity_key for d in changes) == sorted(
        r.entity_key for r in after if r.division_code == TIANHE
    )
    for delivery in [*initial, *changes]:
        assert delivery.record.division_code == TIANHE
        assert REPRESENTATIVE_ID in delivery.record.values  # conditional, under the row-scoped grant
    assert await quiet(tianhe, subscription_id("102.001"), 1.5) == []  # nothing else, ever
