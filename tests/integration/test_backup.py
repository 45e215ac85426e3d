"""The database commands: `govmesh backup` and `restore` bring a filled mesh back whole, `migrate` upgrades it."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from govmesh.cli.app import app
from govmesh.contracts.authz.v1 import authz_pb2 as apb
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.runtime import config
from govmesh.runtime.database import make_engine
from tests.integration.authz_support import CONDITIONAL, check
from tests.integration.conftest import _postgres_database
from tests.integration.exchange_support import ENTERPRISES, PHONE, enterprise, grant, receive, subscribe
from tests.integration.mesh import Mesh, start_mesh

REPO = Path(__file__).resolve().parents[2]

# Each table with the column that orders it: what a restore must bring back row for row.
TABLES = {
    "exchange_records": "seq",
    "exchange_ledger": "sequence",
    "exchange_subscriptions": "key",
    "authz_grants": "id",
    "authz_audit_entries": "sequence",
}


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the same kind as the test's own."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'govmesh.db'}"
    else:
        yield from _postgres_database()


def _rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY {key}"))]
                for table, key in TABLES.items()
            }
    finally:
        engine.dispose()


async def _invoke(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


async def _fill(mesh: Mesh) -> None:
    """Records published and delivered under a grant, a denial in the audit log, the ledger chained."""
    await grant(mesh, subject=ENTERPRISES, items=[PHONE], consumers=["LTAX"])
    ltax = mesh.exchange_stub("department/LTAX")
    await subscribe(ltax, "ltax-backup")
    await mesh.exchange_stub("department/AIC").Publish(pb.PublishRequest(records=[enterprise(n) for n in range(6)]))
    assert len(await receive(ltax, "ltax-backup", 6)) == 6
    denied = await check(mesh.authz_stub("department/QTS"), CONDITIONAL)
    assert denied.decision == apb.DECISION_DENY
    # Reading the audit log flushes authz's background writer; chaining puts every exchange in the ledger.
    await mesh.authz_stub("auditor/audit").ListAuditEntries(apb.ListAuditEntriesRequest())
    assert mesh.exchange_app is not None
    await asyncio.to_thread(mesh.exchange_app.ledger.chain_ledger)


async def test_a_backup_restored_into_a_fresh_database_has_every_record_grant_audit_entry_and_ledger_entry(
    exchange_mesh: Mesh, database_url: str, fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVMESH_DATA_DIR", str(exchange_mesh.settings.data_dir))
    config.settings.cache_clear()
    await _fill(exchange_mesh)
    before = _rows(database_url)
    assert len(before["exchange_records"]) == 6 and len(before["authz_grants"]) == 1
    assert before["authz_audit_entries"] and len(before["exchange_ledger"]) >= 3

    file = tmp_path / "backups" / "govmesh.backup"
    saved = await _invoke("backup", str(file), "--database-url", database_url, "--json")
    assert saved.exit_code == 0, saved.output
    assert json.loads(saved.stdout)["bytes"] == file.stat().st_size > 0

    restored = await _invoke("restore", str(file), "--database-url", fresh_database_url, "--json")
    assert restored.exit_code == 0, restored.output
    # Everything there was before the backup is back; authz's writer may have added audit entries since.
    after = _rows(fresh_database_url)
    assert {table: rows[: len(before[table])] for table, rows in after.items()} == before

    # The restored database serves a mesh whose ledger verifies end to end and whose grant still holds.
    second = await start_mesh(exchange_mesh.settings, fresh_database_url, with_exchange=True)
    try:
        verified = await _invoke("ledger", "verify", "--json", "--target", second.gateway_address)
        assert verified.exit_code == 0, verified.output
        report = json.loads(verified.stdout)
        assert report["ok"] is True and report["entries_checked"] == len(before["exchange_ledger"])
        grants = await second.authz_stub("department/LTAX").ListGrants(apb.ListGrantsRequest())
        assert [apb.GrantState.Name(g.state) for g in grants.grants] == ["GRANT_STATE_APPROVED"]
        subscription = (
            await second.exchange_stub("department/LTAX").GetSubscription(
                pb.GetSubscriptionRequest(name="subscriptions/ltax-backup")
            )
        ).subscription
        assert (subscription.lag.acknowledged_count, subscription.lag.pending_count) == (6, 0)
    finally:
        await second.stop()


async def test_restore_refuses_a_file_that_is_not_a_backup_of_that_kind_and_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    refused = await _invoke("restore", str(junk), "--database-url", database_url)
    assert refused.exit_code == 1 and "neither a SQLite database nor a pg_dump" in refused.output

    other_kind = tmp_path / "other.backup"
    if database_url.startswith("sqlite"):
        other_kind.write_bytes(b"PGDMP" + b"\0" * 64)
    else:
        with sqlite3.connect(tmp_path / "small.db") as small:
            small.execute("CREATE TABLE t (x INTEGER)")
        saved = await _invoke("backup", str(other_kind), "--database-url", f"sqlite:///{tmp_path / 'small.db'}")
        assert saved.exit_code == 0, saved.output
    mismatched = await _invoke("restore", str(other_kind), "--database-url", database_url)
    assert mismatched.exit_code == 1 and "cannot be restored into" in mismatched.output


async def test_migrate_brings_an_empty_database_to_the_code_and_check_tells_whether_it_is_behind(
    database_url: str,
) -> None:
    behind = await _invoke("migrate", "--check", "--database-url", database_url, "--json")
    assert behind.exit_code == 1
    assert {s["service"]: s["now"] for s in json.loads(behind.stdout)["services"]} == {
        "catalog": None,
        "authz": None,
        "exchange": None,
        "masters": None,
    }
    upgraded = await _invoke("migrate", "--database-url", database_url, "--json")
    assert upgraded.exit_code == 0, upgraded.output
    assert all(s["current"] and s["was"] is None for s in json.loads(upgraded.stdout)["services"])
    current = await _invoke("migrate", "--check", "--database-url", database_url, "--json")
    assert current.exit_code == 0 and json.loads(current.stdout)["checked_only"] is True
    heads = {s["service"]: s["head"] for s in json.loads(current.stdout)["services"]}
    # The head each service reports is its newest migration file's revision.
    for service, head in heads.items():
        versions = REPO / "govmesh" / "services" / service / "persistence" / "migrations" / "versions"
        assert head == max(f.name[:4] for f in versions.glob("[0-9][0-9][0-9][0-9]_*.py")), service
