"""The warning rules over the application's own tables, on SQLite and PostgreSQL: each rule is one query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from govmesh.apps.warnings.domain.model import AUTO, Outcome, State, day_number
from govmesh.apps.warnings.domain.rules import load_rules
from govmesh.apps.warnings.main import SHIPPED_RULES, open_database
from govmesh.apps.warnings.usecases import IncomingRecord, WarningsApp
from govmesh.runtime import errors
from govmesh.runtime.config import Settings

D0 = dt.datetime(2008, 3, 3, 2, 0, tzinfo=dt.UTC)  # 10:00 in Guangzhou


class Clock:
    def __init__(self) -> None:
        self.day = day_number(D0.date())

    def __call__(self) -> int:
        return self.day


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = open_database(Settings(), database_url)
    yield engine
    engine.dispose()


def fact(subject: str, key: str, days: int, publisher: str = "AIC", n: int = 0, **values: object) -> IncomingRecord:
    return IncomingRecord(
        subject, f"{subject}-{key}-{days}-{n}", key, "440106", D0 + dt.timedelta(days=days), publisher, dict(values)
    )


def test_registered_without_tax_registration_is_warned_after_30_days_and_closes_itself(engine: Engine) -> None:
    clock = Clock()
    app = WarningsApp(engine, load_rules(SHIPPED_RULES), clock)
    app.ingest(
        [
            fact("102.001", "E1", 0, **{"102.001.003": "广州市甲公司", "102.001.021": "13800138001"}),
            fact("102.001", "E2", 0, **{"102.001.003": "广州市乙公司", "102.001.021": "13800138002"}),
            fact("102.001", "E3", 0, **{"102.001.003": "广州市丙公司"}),
            fact("102.020", "E1", 5, "LTAX"),
            fact("102.030", "E1", 6, "NTAX"),
            fact("102.020", "E2", 8, "LTAX"),
        ]
    )
    app.ingest([fact("102.020", "E1", 5, "LTAX")])  # a redelivery is not a second fact
    clock.day += 19
    assert app.evaluate().reminders == 0 and not app.evaluate().raised
    clock.day += 1
    reminded = app.evaluate()
    assert reminded.reminders == 1  # E2 has a phone and misses national tax; E3 has no phone to remind
    assert app.evaluate().reminders == 0  # once
    clock.day += 10
    raised = {w.entity_key: w for w in app.evaluate().raised}
    assert set(raised) == {"E2", "E3"}
    assert raised["E2"].missing == ("国税",) and raised["E3"].missing == ("地税", "国税")
    assert raised["E2"].reminded_day == clock.day - 10
    assert raised["E2"].number.startswith("YJ01") and raised["E2"].name == "广州市乙公司"
    assert not app.evaluate().raised  # a warning is raised once

    app.ingest([fact("102.030", "E2", 33, "NTAX")])
    closed = app.evaluate(["E2"]).closed
    assert [w.entity_key for w in closed] == ["E2"]
    assert closed[0].state is State.CLOSED and closed[0].closed_by == AUTO and closed[0].outcome is Outcome.REGISTERED

    shut = app.close(raised["E3"].number, Outcome.FALSE_ALARM, "已迁出本市", "department/LTAX")
    assert shut.outcome is Outcome.FALSE_ALARM and shut.note == "已迁出本市"
    with pytest.raises(errors.FailedPrecondition):
        app.close(raised["E3"].number, Outcome.HANDLED, "", "department/LTAX")
    figures = app.figures()
    assert figures.raised["no-tax-registration"] == 2 and figures.closed["no-tax-registration"] == 2
    assert figures.follow_up_rate("no-tax-registration") == 1.0
    assert figures.registered_enterprises == 3 and figures.tax_registered_enterprises == 2


def test_a_warning_is_closed_only_by_a_department_responsible_for_it(engine: Engine) -> None:
    clock = Clock()
    app = WarningsApp(engine, load_rules(SHIPPED_RULES), clock)
    app.ingest([fact("102.001", "E9", 0, **{"102.001.003": "广州市丁公司"})])
    clock.day += 40
    (warning,) = app.evaluate().raised
    with pytest.raises(errors.PermissionDenied) as denied:
        app.close(warning.number, Outcome.HANDLED, "", "department/HRSS")
    assert denied.value.reason == "NOT_RESPONSIBLE"
    with pytest.raises(errors.NotFound):
        app.close("YJ99", Outcome.HANDLED, "", "department/LTAX")
    assert app.get(warning.number).state is State.OPEN


def test_deregistered_with_an_open_tax_registration_is_warned_only_for_the_bureau_holding_it(engine: Engine) -> None:
    clock = Clock()
    app = WarningsApp(engine, load_rules(SHIPPED_RULES), clock)
    app.ingest(
        [
            fact("102.020", "D1", 0, "LTAX"),
            fact("102.030", "D1", 0, "NTAX"),
            fact("102.002", "D1", 100),
            fact("102.021", "D1", 110, "LTAX"),
            fact("102.020", "D2", 0, "LTAX"),
            fact("102.002", "D2", 100),
            fact("102.021", "D2", 120, "LTAX"),  # the only registration, closed in time
        ]
    )
    clock.day += 140
    raised = app.evaluate().raised
    by_rule = {(w.rule, w.entity_key): w for w in raised}
    assert set(by_rule) == {("deregistered-not-at-tax", "D1")}
    assert by_rule[("deregistered-not-at-tax", "D1")].missing == ("国税",)


def test_pension_paid_after_death_and_relief_from_two_departments_are_found(engine: Engine) -> None:
    clock = Clock()
    app = WarningsApp(engine, load_rules(SHIPPED_RULES), clock)
    app.ingest(
        [
            fact("101.002", "P1", 0, "CAB"),
            fact("202.011", "P1", 20, "HRSS", 1),  # the month of death: paid before it was known
            fact("202.011", "P1", 50, "HRSS", 2),
            fact("202.011", "P1", 80, "HRSS", 3),
            fact("101.002", "P2", 0, "CAB"),
            fact("202.011", "P2", 25, "HRSS"),
            fact("202.004", "H1", 10, "CAB"),
            fact("351.004", "H1", 12, "YUEXIU"),
            fact("202.004", "H2", 10, "CAB"),
            fact("202.004", "H2", 40, "CAB", 1),  # twice from one department is not duplication
        ]
    )
    clock.day += 90
    raised = {(w.rule, w.entity_key): w for w in app.evaluate().raised}
    assert set(raised) == {("pension-after-death", "P1"), ("duplicate-relief", "H1")}
    assert raised[("pension-after-death", "P1")].detail["count"] == 2
    assert raised[("duplicate-relief", "H1")].detail["sources"] == ["CAB", "YUEXIU"]
