"""Authz's copy of the catalog: what changed is decided without a database, and so is a grant's expiry."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from govmesh.kernel.policy.model import GrantState, ItemPolicy, Reason, SharingType
from govmesh.kernel.policy.principals import department_principal
from govmesh.services.authz.domain.catalog_copy import department_changes, item_changes
from govmesh.services.authz.domain.expiry import expiry
from tests.unit.test_authz_policy import a_grant

NOW = datetime(2009, 6, 1, 12, 0, tzinfo=UTC)
NAME = ItemPolicy("102.001", "102.001.003", "AIC", SharingType.UNCONDITIONAL)
PHONE = ItemPolicy("102.001", "102.001.021", "AIC", SharingType.CONDITIONAL)
TAX = ItemPolicy("301.001", "301.001.005", "LTAX", SharingType.CONDITIONAL)


def test_items_new_changed_and_gone_are_told_apart_and_removals_stay_within_the_subjects_compared() -> None:
    stored = {i.item: i for i in (NAME, PHONE, TAX)}
    now_shared = dataclasses.replace(PHONE, sharing_type=SharingType.UNCONDITIONAL)
    added = ItemPolicy("102.001", "102.001.030", "AIC", SharingType.NOT_SHARED)
    found = item_changes(stored, [now_shared, added], {"102.001"})
    assert found.written == [now_shared, added]
    assert found.new == {"102.001.030"}
    assert found.removed == [dataclasses.replace(NAME, removed=True)]  # 301.001 was not compared
    assert item_changes(stored, [NAME, PHONE, TAX], None).written == []


def test_a_department_the_catalog_no_longer_lists_is_disabled_once() -> None:
    aic, ltax = department_principal("AIC", "工商局", []), department_principal("LTAX", "地税局", ["tax"])
    renamed = department_principal("AIC", "市场监管局", [])
    written, disabled = department_changes({"AIC": aic, "LTAX": ltax}, [renamed])
    assert written == [renamed]
    assert disabled == [dataclasses.replace(ltax, disabled=True)]
    assert department_changes({"LTAX": disabled[0]}, []) == ([], [])


def test_a_grant_past_its_end_expires_with_an_audit_entry_naming_when_it_ended() -> None:
    grant = a_grant(4, end_time=NOW - timedelta(minutes=1))
    expired, audit = expiry(grant, NOW, "trace")
    assert expired.state is GrantState.EXPIRED
    assert (audit.reason, audit.object, audit.trace_id) == (Reason.GRANT_EXPIRED, grant.name, "trace")
    assert grant.end_time.isoformat() in audit.message
