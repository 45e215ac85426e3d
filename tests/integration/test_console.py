"""The web console in a real browser (Debian's Chromium via Playwright) in front of a real mesh over mutual TLS."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from playwright.async_api import Browser, Page, expect

from govmesh.console.identity import SESSION_COOKIE, load_secret
from govmesh.contracts.authz.v1 import authz_pb2 as apb
from govmesh.contracts.exchange.v1 import exchange_pb2 as epb
from govmesh.runtime.telemetry import JsonLinesSpanExporter
from tests.integration.console_support import (
    Console,
    chromium,
    screenshot,
    signed_in,
    start_console,
)
from tests.integration.exchange_support import PHONE, STATEMENTS, enterprise, exchange_knows, receive, subscribe
from tests.integration.mesh import Mesh


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """The console is a client of the gateway: what it shows does not depend on the database, so SQLite only."""
    yield f"sqlite:///{tmp_path / 'govmesh.db'}"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def console(exchange_mesh: Mesh) -> AsyncIterator[Console]:
    running = await start_console(exchange_mesh)
    try:
        yield running
    finally:
        await running.server.stop(1)


async def test_a_maintainer_proposes_a_change_sees_the_diff_with_breaking_changes_and_applies_it(
    console: Console, browser: Browser
) -> None:
    page = await signed_in(browser, console, "maintainer/ops")
    await page.goto(f"{console.base_url}/catalog/subjects/102.001")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("企业设立登记信息")
    await screenshot(page, "subject-102.001")

    await page.get_by_role("link", name="Propose a change").click()
    editor = page.locator("textarea[name=subject_yaml]")
    text = await editor.input_value()
    # A minor change (an English name) and a breaking one (the registration number narrowed 15 → 12).
    edited = text.replace("name_en: Business registration number", "name_en: Registration number (old)")
    edited = edited.replace("length: 15", "length: 12", 1)
    assert edited != text
    await editor.fill(edited)
    await page.locator("input[name=reason]").first.fill("注册号 narrowed for the 2009 standard")
    await page.get_by_role("button", name="Check the change").click()

    diff = page.locator("table.diff")
    await expect(diff).to_contain_text("Registration number (old)")
    await expect(diff.locator(".breaking")).to_contain_text("BREAKING")
    await screenshot(page, "change-review-diff")

    # Applying a breaking change without declaring a major version is refused by the catalog itself.
    await page.get_by_role("button", name="Apply").click()
    await expect(page.locator(".error").first).to_contain_text("FAILED_PRECONDITION")
    await page.locator("input[name=major]").check()
    await page.get_by_role("button", name="Apply").click()
    await page.wait_for_url("**/catalog/subjects/102.001/versions")
    await expect(page.get_by_role("heading", name="v2.0")).to_be_visible()


async def test_a_maintainer_edits_a_subject_in_a_form_and_tightening_sharing_is_flagged_as_breaking(
    console: Console, browser: Browser
) -> None:
    page = await signed_in(browser, console, "maintainer/ops")
    await page.goto(f"{console.base_url}/catalog/subjects/102.001")
    await page.get_by_role("link", name="as a form").click()
    await page.get_by_label("102.001.006 sharing").select_option("not_shared")
    await page.get_by_label("102.001.021 sharing").select_option("unconditional")
    await page.locator("input[name=reason]").fill("联系电话 opened, 法定代表人身份证 closed")
    await page.get_by_role("button", name="Check the change").click()
    rows = page.locator("table.diff tr")
    await expect(rows.filter(has_text="102.001.006")).to_contain_text("BREAKING")
    await expect(rows.filter(has_text="102.001.021")).not_to_contain_text("BREAKING")
    await screenshot(page, "change-review-form")
    # The catalog's own rules still apply: an item made NOT_SHARED must say why; the edit stays on screen.
    await page.go_back()
    await page.get_by_label("102.001.002 sharing").select_option("not_shared")
    async with page.expect_response(lambda r: r.url.endswith("/changes/check-form")) as answer:
        await page.get_by_role("button", name="Check the change").click()
    assert (await answer.value).status == 400
    await expect(page.locator(".error")).to_contain_text("say the condition, or why the item is not shared")
    await expect(page.locator("textarea[name=subject_yaml]")).to_contain_text("102.001.002")


async def test_a_maintainer_proposes_a_new_subject_and_it_is_created_at_version_one(
    console: Console, browser: Browser
) -> None:
    page = await signed_in(browser, console, "maintainer/ops")
    await page.goto(f"{console.base_url}/changes/new")
    await page.locator("input[name=reason]").fill("新主题 for the green channel")
    await page.get_by_role("button", name="Check the change").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("create 102.901 新主题")
    await page.get_by_role("button", name="Apply").click()
    await page.wait_for_url("**/catalog/subjects/102.901/versions")
    await expect(page.get_by_role("heading", name="v1.0")).to_be_visible()
    await page.goto(f"{console.base_url}/changes")
    await expect(page.locator("main")).to_contain_text("新主题 for the green channel")


async def test_a_department_cannot_propose_catalog_changes(console: Console, browser: Browser) -> None:
    page = await signed_in(browser, console, "department/LTAX")
    await page.goto(f"{console.base_url}/catalog/subjects/102.001/edit")
    await page.get_by_role("button", name="Check the change").click()
    await expect(page.locator(".error")).to_contain_text("PERMISSION_DENIED")


async def _apply_for_phone_grant(page: Page, console: Console) -> str:
    await page.goto(f"{console.base_url}/grants/new?subject=102.001")
    await page.locator(f"input[name=item][value='{PHONE}']").check()
    await page.locator("input[name=purpose]").fill("税务登记核查")
    await page.locator("input[name=legal_basis]").fill("穗府办〔2008〕1号")
    await screenshot(page, "grant-application")
    await page.get_by_role("button", name="Apply", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("applied")
    return page.url.rsplit("/", 1)[1]


async def _receive_until(page: Page, text: str, timeout: float = 30.0) -> None:
    """Presses "receive" until a delivery shows `text`: delivery is asynchronous, so poll with a deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        await page.get_by_role("button", name="Receive and acknowledge what is waiting").click()
        await page.wait_for_load_state()
        if await page.get_by_test_id("delivery").filter(has_text=text).count():
            return
        assert asyncio.get_running_loop().time() < deadline, f"no delivery with {text!r} arrived"
        await asyncio.sleep(0.3)


async def test_a_consumer_applies_the_provider_approves_in_another_session_and_the_subscription_receives_the_item(
    console: Console, browser: Browser
) -> None:
    consumer = await signed_in(browser, console, "department/LTAX")
    number = await _apply_for_phone_grant(consumer, console)

    provider = await signed_in(browser, console, "department/AIC")
    await provider.goto(f"{console.base_url}/grants/queue")
    row = provider.get_by_role("row").filter(has_text=f"grants/{number}")
    await row.get_by_label(f"reason for grant {number}").fill("批准 2009-17")
    await screenshot(provider, "approval-queue")
    await row.get_by_role("button", name="Approve").click()
    await expect(provider.get_by_role("heading", level=1)).to_contain_text("approved")
    await screenshot(provider, "grant-approved")

    approved = await console.mesh.authz_stub("admin/hub").GetGrant(apb.GetGrantRequest(name=f"grants/{number}"))
    await exchange_knows(console.mesh, approved.grant.revision)

    await consumer.goto(f"{console.base_url}/exchange/subscriptions")
    await consumer.locator("input[name=subject]").fill("102.001")
    await consumer.get_by_role("button", name="Create subscription").click()
    await expect(consumer.get_by_role("heading", level=1)).to_contain_text("102.001")

    published = await console.mesh.exchange_stub("department/AIC").Publish(epb.PublishRequest(records=[enterprise(7)]))
    assert published.accepted_count == 1
    await _receive_until(consumer, "13800138000")
    delivery = consumer.get_by_test_id("delivery").first
    await expect(delivery).to_contain_text(PHONE)
    await expect(delivery).not_to_contain_text(STATEMENTS)  # NOT_SHARED never leaves its provider
    await screenshot(consumer, "subscription-received")


async def test_an_auditor_filters_the_audit_log_and_exports_it_as_csv(
    console: Console, browser: Browser, span_exporter: InMemorySpanExporter
) -> None:
    consumer = await signed_in(browser, console, "department/LTAX")
    number = await _apply_for_phone_grant(consumer, console)
    # A department deciding on another's subject is denied, and the denial is audited.
    await consumer.locator("input[name=reason]").fill("I approve my own")
    await consumer.get_by_role("button", name="Approve").click()
    await expect(consumer.locator(".error")).to_contain_text("PERMISSION_DENIED")

    auditor = await signed_in(browser, console, "auditor/audit")
    await auditor.goto(f"{console.base_url}/audit?decision=deny")
    await expect(auditor.get_by_role("table")).to_contain_text("department/LTAX")
    await screenshot(auditor, "audit-log")
    async with auditor.expect_download() as download_info:
        await auditor.get_by_role("link", name="Export CSV").click()
    download = await download_info.value
    rows = list(csv.DictReader(io.StringIO(Path(await download.path()).read_text(encoding="utf-8"))))
    assert rows, "the export has no rows"
    assert {row["decision"] for row in rows} == {"deny"}
    assert any(row["principal"].endswith("department/LTAX") and row["object"] == f"grants/{number}" for row in rows)

    # The ledger verifies, and the trace of the home page's call shows as a tree of spans.
    await auditor.goto(f"{console.base_url}/ledger?verify=1")
    await expect(auditor.get_by_test_id("ledger-ok")).to_contain_text("Ledger verified")
    await screenshot(auditor, "ledger-verified")
    await auditor.goto(f"{console.base_url}/")
    trace_link = auditor.locator("a[href^='/trace?id=']")
    trace_id = (await trace_link.inner_text()).strip()
    JsonLinesSpanExporter(console.trace_file).export(
        [s for s in span_exporter.get_finished_spans() if format(s.get_span_context().trace_id, "032x") == trace_id]
    )
    await trace_link.click()
    await expect(auditor.get_by_test_id("trace-tree")).to_contain_text("WhoAmI")
    await screenshot(auditor, "trace-tree")


async def test_catalog_pages_render_chinese_page_through_long_lists_and_fit_a_narrow_screen(
    console: Console, browser: Browser
) -> None:
    page = await signed_in(browser, console, "department/QTS", narrow=True)
    await page.goto(f"{console.base_url}/catalog")
    await expect(page.get_by_role("table")).to_contain_text("工商")
    await screenshot(page, "catalog-narrow", full_page=False)
    await page.goto(f"{console.base_url}/catalog/subjects")
    first_page = await page.get_by_role("row").count()
    await page.get_by_role("link", name="Next page →").click()
    await expect(page).to_have_url(re.compile("page_token="))
    assert first_page == 51  # a header and one page of 50
    # Nothing is wider than the screen: tables scroll inside their own box.
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    wide = await signed_in(browser, console, "department/QTS")
    await wide.goto(f"{console.base_url}/catalog/search")
    # Results come as the person types: htmx (vendored, allowed by the page's CSP) swaps them in.
    async with wide.expect_request(lambda r: r.headers.get("hx-request") == "true"):
        await wide.get_by_role("searchbox").press_sequentially("统一社会信用代码")
    await expect(wide.get_by_role("table")).to_contain_text("统一社会信用代码")
    assert "q=" in wide.url  # the search is in the address, so it can be shared and reloaded
    await screenshot(wide, "search", full_page=False)


async def test_a_forged_or_expired_session_a_reused_link_and_a_form_without_csrf_token_are_refused(
    console: Console, browser: Browser
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    # No session at all.
    response = await page.goto(f"{console.base_url}/grants")
    assert response is not None and response.status == 401
    # A cookie signed with another secret.
    forged = URLSafeTimedSerializer(b"not the console's secret", salt="govmesh-console-session")
    cookie = forged.dumps({"p": "admin/hub", "c": "x", "s": "y"})
    await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": console.base_url}])
    response = await page.goto(f"{console.base_url}/grants")
    assert response is not None and response.status == 401
    # A genuine cookie past its lifetime.
    genuine = URLSafeTimedSerializer(load_secret(console.data_dir), salt="govmesh-console-session")
    old = _signed_long_ago(genuine, {"p": "admin/hub", "c": "x", "s": "z"})
    await context.add_cookies([{"name": SESSION_COOKIE, "value": old, "url": console.base_url}])
    response = await page.goto(f"{console.base_url}/grants")
    assert response is not None and response.status == 401

    # A login link works once.
    link = console.login_link("department/AIC")
    await page.goto(link)
    await page.get_by_role("button", name="Sign in as department/AIC").click()
    await expect(page.get_by_test_id("principal")).to_have_text("department/AIC")
    again = await (await browser.new_context()).new_page()
    await again.goto(link)
    await again.get_by_role("button", name="Sign in as department/AIC").click()
    await expect(again.locator(".error")).to_contain_text("already used")

    # A form posted without the session's CSRF token changes nothing.
    consumer = await signed_in(browser, console, "department/LTAX")
    number = await _apply_for_phone_grant(consumer, console)
    await page.goto(f"{console.base_url}/grants/{number}")
    await page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    await page.locator("input[name=reason]").fill("批准")
    async with page.expect_response(lambda r: r.url.endswith(f"/grants/{number}/approve")) as answer:
        await page.get_by_role("button", name="Approve").click()
    assert (await answer.value).status == 403
    await expect(page.locator(".error")).to_contain_text("CSRF")
    grant = await console.mesh.authz_stub("admin/hub").GetGrant(apb.GetGrantRequest(name=f"grants/{number}"))
    assert grant.grant.state == apb.GRANT_STATE_APPLIED


def _signed_long_ago(serializer: URLSafeTimedSerializer, payload: dict[str, str]) -> str:
    """A value signed with the console's own secret, but a day before now."""
    signer = serializer.make_signer(serializer.salt)
    signer.get_timestamp = lambda: int(time.time()) - 86_400  # type: ignore[method-assign]
    return signer.sign(serializer.dump_payload(payload)).decode()


async def test_every_page_answers_for_a_department_and_shows_its_requests_and_their_replies(
    console: Console, browser: Browser
) -> None:
    sent = await console.mesh.exchange_stub("department/PSB").SendRequest(
        epb.SendRequestRequest(
            subjects=["subjects/301.001"],
            entity_keys=[enterprise(3).entity_key],
            purpose="赴港澳商务通行证 2009-0417",
            to_subject_providers=True,
            wait_mode=epb.WAIT_MODE_ASYNC,
        )
    )
    page = await signed_in(browser, console, "department/PSB")
    request_id = sent.request.name.removeprefix("requests/")
    for path in (
        "/",
        "/catalog",
        "/catalog/subjects?provider=AIC",
        "/catalog/subjects/102.001/versions",
        "/changes",
        "/grants",
        "/grants?state=approved",
        "/grants/queue",
        "/grants/new",
        "/exchange/subscriptions",
        "/trace",
        "/exchange/requests",
        f"/exchange/requests/{request_id}",
    ):
        response = await page.goto(f"{console.base_url}{path}")
        assert response is not None and response.status == 200, path
    await expect(page.get_by_role("heading", level=1)).to_contain_text(sent.request.name)
    await expect(page.locator("main")).to_contain_text("赴港澳商务通行证")
    await expect(page.locator("main")).to_contain_text("LTAX")  # the provider of 301.001, asked
    await screenshot(page, "request-replies")
    # A filter the log does not know is refused before any call, with the reason.
    response = await page.goto(f"{console.base_url}/grants?state=lost")
    assert response is not None and response.status == 400


async def test_a_subscriber_sees_a_dead_letter_replays_it_and_receives_the_record_again(
    console: Console, browser: Browser
) -> None:
    qts = console.mesh.exchange_stub("department/QTS")
    await subscribe(qts, "qts-enterprises")
    await console.mesh.exchange_stub("department/AIC").Publish(epb.PublishRequest(records=[enterprise(11)]))
    (poison,) = await receive(qts, "qts-enterprises", 1, acknowledge=False)
    await qts.AcknowledgeDeliveries(
        epb.AcknowledgeDeliveriesRequest(
            subscription="subscriptions/qts-enterprises",
            nacks=[epb.Nack(delivery_id=poison.delivery_id, reason="无法解析 cannot parse", dead_letter=True)],
        )
    )
    page = await signed_in(browser, console, "department/QTS")
    await page.goto(f"{console.base_url}/exchange/subscriptions")
    await page.get_by_role("link", name="subscriptions/qts-enterprises").click()
    await expect(page.get_by_role("heading", name="Dead letters (1)")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("无法解析")
    await screenshot(page, "dead-letters")
    await page.get_by_role("button", name="Replay the chosen (none chosen: all)").click()
    await expect(page.get_by_role("heading", name="Dead letters (0)")).to_be_visible()
    await _receive_until(page, poison.record.entity_key)
