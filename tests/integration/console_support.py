"""What the console's browser tests share: the console on port 0 before a test mesh, Chromium, sign-in, screenshots."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from govmesh.console.identity import issue_login_token, load_secret
from govmesh.console.main import ConsoleServer
from govmesh.console.web import ConsoleConfig
from tests.integration.mesh import Mesh

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, never a downloaded build; these flags keep it from calling home or needing a GPU.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}
# Screenshots of the main pages, for a person to look at after a run.
SCREENSHOTS = Path(os.environ.get("GOVMESH_SCREENSHOT_DIR", "test-output/console"))


@dataclass
class Console:
    """The running console, its address, and the mesh behind it."""

    mesh: Mesh
    server: ConsoleServer
    base_url: str
    data_dir: Path
    trace_file: Path

    def login_link(self, principal: str) -> str:
        return f"{self.base_url}/login?token={issue_login_token(load_secret(self.data_dir), principal)}"


async def start_console(mesh: Mesh, *, session_seconds: int = 3600) -> Console:
    data_dir = mesh.settings.data_dir
    trace_file = data_dir / "spans.jsonl"
    config = ConsoleConfig(
        data_dir=data_dir,
        certs_dir=mesh.settings.certs_dir,
        gateway=mesh.gateway_address,
        trace_files=(trace_file,),
        public_url="http://127.0.0.1",
        login_seconds=120,
        session_seconds=session_seconds,
    )
    server = ConsoleServer(config)
    port = await server.start("127.0.0.1:0")
    return Console(mesh, server, f"http://127.0.0.1:{port}", data_dir, trace_file)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: apt-get install -y chromium chromium-driver fonts-wqy-microhei")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def signed_in(browser: Browser, console: Console, principal: str, *, narrow: bool = False) -> Page:
    """A new browser session (its own cookies) signed in as `principal` through a one-time link."""
    context: BrowserContext = await browser.new_context(
        viewport=NARROW if narrow else WIDE, accept_downloads=True, locale="zh-CN"
    )
    context.set_default_timeout(20_000)
    page = await context.new_page()
    await page.goto(console.login_link(principal))
    await page.get_by_role("button", name=f"Sign in as {principal}").click()
    await page.wait_for_url(f"{console.base_url}/")
    return page


async def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path
