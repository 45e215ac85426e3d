"""The warnings application end to end through the gateway: facts in by subscription, warnings out by
publish, reminders by the outbox, closing by request — and never a NOT_SHARED value on the way."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from govmesh.apps.notifier.outbox import Dispatcher
from govmesh.apps.notifier.providers import FileProvider
from govmesh.apps.warnings.domain.model import State
from govmesh.apps.warnings.domain.rules import load_rules
from govmesh.apps.warnings.main import SHIPPED_RULES, open_database
from govmesh.apps.warnings.persistence.tables import facts, outbox
from govmesh.apps.warnings.runner import WarningsRunner
from govmesh.apps.warnings.usecases import WarningsApp
from govmesh.contracts.exchange.v1 import exchange_pb2 as pb
from govmesh.kernel.catalog.standards import make_credit_code
from tests.integration.apps_support import D0, Clock, issue, record, until
from tests.integration.exchange_support import grant, receive, subscribe
from tests.integration.mesh import Mesh

WARNINGS = "subjects/206.001"
REMINDER_MOBILE = "206.001.014"  # NOT_SHARED: stays with the information office
CONDITIONAL_206_001 = [f"206.001.{n:03d}" for n in (1, 6, 10, 11, 12, 13, 15, 16, 17, 18, 19)]
E1, E2, E3 = (make_credit_code("440106", n) for n in (101, 102, 103))
PHONES = {E1: "13800000001", E2: "13800000002", E3: ""}


@dataclass
class Running:
    app: WarningsApp
    runner: WarningsRunner
    engine: Engine
    clock: Clock
    sms: FileProvider


@pytest.fixture
async def warnings_app(exchange_mesh: Mesh, database_url: str, tmp_path: Path) -> AsyncIterator[Running]:
    issue(exchange_mesh, "department/INFO", "department/CAB")
    # The information office may have the enterprise's phone for reminders; the tax bureaus may have
    # the warnings' conditional items. The reminder mobile is NOT_SHARED and no grant can name it.
    await grant(exchange_mesh, subject="subjects/102.001", items=["102.001.021"], consumers=["INFO"])
    await grant(exchange_mesh, subject=WARNINGS, items=CONDITIONAL_206_001, groups=["tax-bureaus"])
    engine = open_database(exchange_mesh.settings, database_url)
    clock = Clock()
    app = WarningsApp(engine, load_rules(SHIPPED_RULES), clock)
    sms = FileProvider(tmp_path / "sms.jsonl")
    runner = WarningsRunner(
        app, exchange_mesh.exchange_stub("department/INFO"), Dispatcher(engine, outbox, sms), evaluate_seconds=3600
    )
    await runner.subscribe_all()
    runner.start()
    try:
        yield Running(app, runner, engine, clock, sms)
    finally:
        await runner.stop()
        engine.dispose()


def enterprise(key: str, n: int) -> pb.Record:
    values = {"102.001.001": key, "102.001.003": f"广州市某某贸易有限公司{n}", "102.001.012": "440106"}
    values["102.001.015"] = D0.date()
    if PHONES[key]:
        values["102.001.021"] = PHONES[key]
    return record("102.001", key, 0, values)


def tax_registration(subject: str, key: str, day: int) -> pb.Record:
    code = subject
    values = {
        f"{code}.001": key,
        f"{code}.002": f"4401{key[-10:]}",
        f"{code}.003": "广州市某某贸易有限公司",
        f"{code}.008": (D0 + dt.timedelta(days=day)).date(),
        f"{code}.009": "正常",
        f"{code}.011": "440106",
        f"{code}.012": "天河区税务局",
    }
    return record(subject, key, day, values)


def fact_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(facts)).scalar_one())


def assert_no_phone(delivered: list[pb.Delivery] | list[pb.Record]) -> None:
    for item in delivered:
        record_ = item.record if isinstance(item, pb.Delivery) else item
        assert REMINDER_MOBILE not in record_.values
        assert not {v.string_value for v in record_.values.values()} & {p for p in PHONES.values() if p}


async def test_a_warning_reaches_the_tax_bureaus_without_the_mobile_and_closes_itself_when_registration_arrives(
    exchange_mesh: Mesh, warnings_app: Running
) -> None:
    ltax = exchange_mesh.exchange_stub("department/LTAX")
    await subscribe(ltax, "ltax-warnings", subject=WARNINGS)
    aic, ntax = exchange_mesh.exchange_stub("department/AIC"), exchange_mesh.exchange_stub("department/NTAX")
    published = await aic.Publish(pb.PublishRequest(records=[enterprise(k, n) for n, k in enumerate((E1, E2, E3))]))
    assert published.accepted_count == 3, published
    await ltax.Publish(pb.PublishRequest(records=[tax_registration("102.020", k, 5) for k in (E1, E2)]))
    await ntax.Publish(pb.PublishRequest(records=[tax_registration("102.030", E1, 6)]))
    await until(lambda: fact_count(warnings_app.engine) == 6, what="the application to store every fact")

    # Day 20: a reminder to E2 (no national tax registration yet); E3 left no phone to remind.
    warnings_app.clock.day += 20
    assert (await warnings_app.runner.evaluate_all()).reminders == 1
    assert await warnings_app.runner.dispatcher.drain() == 1  # type: ignore[union-attr]
    assert [(m["phone"], m["key"]) for m in warnings_app.sms.sent()] == [(PHONES[E2], "1")]

    # Day 30: warnings for E2 and E3, delivered to local tax without the reminder mobile.
    warnings_app.clock.day += 10
    raised = (await warnings_app.runner.evaluate_all()).raised
    assert {w.entity_key for w in raised} == {E2, E3}
    deliveries = await receive(ltax, "ltax-warnings", 2)
    assert {d.record.entity_key for d in deliveries} == {E2, E3}
    assert_no_phone(deliveries)
    statuses = {d.record.entity_key: d.record.values["206.001.016"].enum_value for d in deliveries}
    assert statuses == {E2: "待处理", E3: "待处理"}
    kinds = {d.record.entity_key: d.record.values["206.001.010"].enum_value for d in deliveries}
    assert kinds == {E2: "应办未办国税登记", E3: "应办未办地税和国税登记"}

    # National tax registers E2 late: the warning closes itself and local tax learns it.
    await ntax.Publish(pb.PublishRequest(records=[tax_registration("102.030", E2, 33)]))
    number = next(w.number for w in raised if w.entity_key == E2)
    closed = await until(lambda: warnings_app.app.get(number).state is State.CLOSED, what="the warning to close")
    assert closed and warnings_app.app.get(number).closed_by == "auto"
    (update,) = await receive(ltax, "ltax-warnings", 1)
    assert update.record.entity_key == E2 and update.record.values["206.001.016"].enum_value == "已补办登记"
    assert_no_phone([update])

    # Local tax closes E3's warning as a false alarm, by a request to the information office.
    e3_number = next(w.number for w in raised if w.entity_key == E3)
    reply = await ltax.SendRequest(
        pb.SendRequestRequest(
            subjects=[WARNINGS],
            entity_keys=[E3],
            parameters={"action": "close", "warning": e3_number, "outcome": "false_alarm", "note": "已迁出本市"},
            target_departments=["INFO"],
            question="close warning",
        ),
        timeout=20,
    )
    (answer,) = reply.request.replies
    assert answer.status == pb.REPLY_STATUS_ANSWERED, answer
    (closed_record,) = answer.records
    assert closed_record.values["206.001.016"].enum_value == "无需登记"
    assert closed_record.values["206.001.017"].string_value == "已迁出本市"
    assert_no_phone([closed_record])
    figures = warnings_app.app.figures()
    assert figures.raised["no-tax-registration"] == 2 and figures.closed_by_department["no-tax-registration"] == 1
    assert figures.reminders_sent == 1


async def test_a_department_not_responsible_cannot_close_a_warning(exchange_mesh: Mesh, warnings_app: Running) -> None:
    aic = exchange_mesh.exchange_stub("department/AIC")
    await aic.Publish(pb.PublishRequest(records=[enterprise(E3, 3)]))
    await until(lambda: fact_count(warnings_app.engine) == 1, what="the fact")
    warnings_app.clock.day += 31
    (warning,) = (await warnings_app.runner.evaluate_all()).raised
    ntax = exchange_mesh.exchange_stub("department/NTAX")
    hrss = exchange_mesh.exchange_stub("department/HRSS")
    for stub, expected in ((hrss, "not_responsible"), (ntax, "")):
        reply = await stub.SendRequest(
            pb.SendRequestRequest(
                subjects=[WARNINGS],
                entity_keys=[E3],
                parameters={"action": "close", "warning": warning.number, "outcome": "handled", "note": "已催办"},
                target_departments=["INFO"],
            ),
            timeout=20,
        )
        (answer,) = reply.request.replies
        if expected:
            assert answer.status in (pb.REPLY_STATUS_FAILED, pb.REPLY_STATUS_DENIED), answer
        else:
            assert answer.status == pb.REPLY_STATUS_ANSWERED, answer
    assert warnings_app.app.get(warning.number).closed_by == "department/NTAX"


async def test_a_bureau_closes_several_warnings_in_one_request_and_one_closed_meanwhile_is_left_out(
    exchange_mesh: Mesh, warnings_app: Running
) -> None:
    aic = exchange_mesh.exchange_stub("department/AIC")
    await aic.Publish(pb.PublishRequest(records=[enterprise(key, n) for n, key in enumerate((E1, E2, E3))]))
    await until(lambda: fact_count(warnings_app.engine) == 3, what="the facts")
    warnings_app.clock.day += 31
    raised = {w.entity_key: w for w in (await warnings_app.runner.evaluate_all()).raised}
    assert sorted(raised) == sorted((E1, E2, E3))
    ntax = exchange_mesh.exchange_stub("department/NTAX")

    async def close(numbers: list[str], keys: list[str]) -> pb.Reply:
        parameters = {"action": "close", "warnings": ",".join(numbers), "outcome": "handled", "note": "已催办"}
        request = pb.SendRequestRequest(
            subjects=[WARNINGS], entity_keys=keys, parameters=parameters, target_departments=["INFO"]
        )
        (answer,) = (await ntax.SendRequest(request, timeout=20)).request.replies
        return answer

    first = await close([raised[E1].number], [E1])
    assert first.status == pb.REPLY_STATUS_ANSWERED, first
    both = await close([raised[E1].number, raised[E2].number, raised[E3].number], [E1, E2, E3])
    assert both.status == pb.REPLY_STATUS_ANSWERED, both
    assert sorted(r.entity_key for r in both.records) == sorted((E2, E3))  # E1 was closed already
    assert_no_phone(list(both.records))
    for key in (E1, E2, E3):
        closed = warnings_app.app.get(raised[key].number)
        assert (closed.state.value, closed.closed_by) == ("closed", "department/NTAX")
    unknown = await close([raised[E1].number, "YJ019999999999"], [E1])
    assert unknown.status == pb.REPLY_STATUS_FAILED, unknown
