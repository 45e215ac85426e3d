"""Grants end by themselves, and replicas on one database agree: authz's use cases on real SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from govmesh.kernel.policy.grants import Application
from govmesh.kernel.policy.model import (
    AccessQuery,
    Action,
    AuditFilter,
    AuditKind,
    GrantEvent,
    GrantMode,
    GrantState,
    ItemPolicy,
    Reason,
    SharingType,
)
from govmesh.kernel.policy.principals import department_principal
from govmesh.runtime.database import make_engine, migrate
from govmesh.runtime.identity import Principal
from govmesh.runtime.unit_of_work import Database
from govmesh.services.authz.main import MIGRATIONS
from govmesh.services.authz.usecases import Authz

START = datetime(2009, 3, 1, 9, 0, tzinfo=UTC)
AIC, LTAX, AUDITOR = Principal("department", "AIC"), Principal("department", "LTAX"), Principal("auditor", "audit")
ITEMS = [
    ItemPolicy("102.001", "102.001.001", "AIC", SharingType.UNCONDITIONAL),
    ItemPolicy("102.001", "102.001.021", "AIC", SharingType.CONDITIONAL),
    ItemPolicy("102.001", "102.001.030", "AIC", SharingType.NOT_SHARED),
]
DEPARTMENTS = [
    department_principal("AIC", "工商局", ["market-regulators"]),
    department_principal("LTAX", "地税局", ["tax-bureaus"]),
    department_principal("NTAX", "国税局", ["tax-bureaus"]),
]
READ = AccessQuery("department", "LTAX", Action.READ, "102.001", ("102.001.021",))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    engine = make_engine(database_url)
    migrate(engine, MIGRATIONS, "authz_alembic_version")
    try:
        yield Database(engine, service="authz")
    finally:
        engine.dispose()


def _replica(database: Database, clock: Clock) -> Authz:
    authz = Authz(database, clock=clock)
    authz.start()
    authz.catalog.sync_catalog(DEPARTMENTS, ITEMS, catalog_revision=1)
    return authz


def _application(days: int) -> Application:
    return Application(
        subject="102.001",
        items=("102.001.021",),
        mode=GrantMode.POINT_TO_POINT,
        consumer_departments=("LTAX",),
        consumer_groups=(),
        actions=frozenset(),
        purpose="tax registration",
        legal_basis="穗府办〔2008〕1号",
        start_time=None,
        end_time=START + timedelta(days=days),
        row_scope=None,
    )


def test_a_grant_past_its_end_denies_at_once_and_the_sweep_marks_it_expired(database: Database) -> None:
    clock = Clock()
    authz = _replica(database, clock)
    grant = authz.grants.apply_grant(LTAX, _application(days=30), validate_only=False, request_id="")
    authz.grants.approve_grant(AIC, grant.id, "批准")
    assert authz.decisions.check(LTAX, READ).reason is Reason.GRANTED

    clock.now = START + timedelta(days=30)  # the end time itself is no longer inside the period
    assert authz.decisions.check(LTAX, READ).reason is Reason.GRANT_EXPIRED
    before = authz.policy.revision
    expired = authz.grants.expire_due()
    assert [g.state for g in expired] == [GrantState.EXPIRED]
    assert authz.policy.revision == before + 1
    assert authz.decisions.check(LTAX, READ).reason is Reason.GRANT_EXPIRED
    assert authz.grants.expire_due() == []  # nothing is expired twice

    _, history = authz.grants.get_grant(LTAX, grant.id)
    assert [(h.event, h.principal) for h in history][-1] == (GrantEvent.EXPIRED, "principals/service/authz")
    changes = authz.audit.list_audit(
        AUDITOR, AuditFilter(kind=AuditKind.GRANT_CHANGE), page_size=10, page_token="", oldest_first=True
    )[0]
    assert [c.reason for c in changes] == [Reason.ROLE, Reason.PROVIDER, Reason.GRANT_EXPIRED]


def test_an_application_never_approved_expires_too(database: Database) -> None:
    clock = Clock()
    authz = _replica(database, clock)
    grant = authz.grants.apply_grant(LTAX, _application(days=7), validate_only=False, request_id="")
    assert authz.decisions.check(LTAX, READ).reason is Reason.GRANT_PENDING
    clock.now = START + timedelta(days=8)
    assert [g.id for g in authz.grants.expire_due()] == [grant.id]


def test_replicas_on_one_database_follow_each_other_and_write_catalog_changes_once(
    database: Database,
) -> None:
    clock = Clock()
    first, second = _replica(database, clock), _replica(database, clock)
    assert first.policy.revision == second.policy.revision == len(ITEMS) + len(DEPARTMENTS)
    grant = first.grants.apply_grant(LTAX, _application(days=30), validate_only=False, request_id="")
    first.grants.approve_grant(AIC, grant.id, "批准")
    assert second.decisions.check(LTAX, READ).reason is Reason.NO_GRANT  # not refreshed yet
    second.policy.refresh()
    assert second.policy.revision == first.policy.revision
    assert second.decisions.check(LTAX, READ).reason is Reason.GRANTED

    # The catalog tightens an item; both replicas hear of it, the log records it once.
    tightened = ItemPolicy("102.001", "102.001.001", "AIC", SharingType.CONDITIONAL)
    changed = [*ITEMS[:0], tightened, *ITEMS[1:]]
    assert len(first.catalog.sync_subject("102.001", changed, catalog_revision=2)) == 1
    assert second.catalog.sync_subject("102.001", changed, catalog_revision=2) == []
    unconditional_before = AccessQuery("department", "NTAX", Action.READ, "102.001", ("102.001.001",))
    assert second.decisions.check(Principal("department", "NTAX"), unconditional_before).reason is Reason.NO_GRANT
    # An item the catalog dropped is unknown from then on.
    first.catalog.sync_subject("102.001", changed[:2], catalog_revision=3)
    second.policy.refresh()
    gone = AccessQuery("department", "AIC", Action.PUBLISH, "102.001", ("102.001.030",))
    assert second.decisions.check(AIC, gone).reason is Reason.UNKNOWN_ITEM
