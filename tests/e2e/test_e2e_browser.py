"""In real headless Chromium: a consumer signs up in the web app, grabs a red envelope and pays a store's QR, and
the payment appears live in that merchant's console (no reload), which then refunds part of it.

Screenshots go to artifacts/ (and the final ones to docs/screenshots/ for the README).
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from services.cli.demo import Endpoints, Operator, World, yuan
from services.kit.localstack import ROOT, ServiceProcesses

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "e2e"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.stack
if not CHROMIUM.exists():
    pytest.skip("chromium not installed: apt-get install chromium", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.async_api", reason="playwright not installed: pip install -e '.[dev]'")


@pytest_asyncio.fixture(loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="session")
async def shop(e2e_stack: ServiceProcesses) -> AsyncIterator[tuple[World, str]]:
    """A mall tenant with a POS key, and a red-envelope campaign for the mall."""
    op = Operator(Endpoints.from_stack(e2e_stack))
    try:
        from services.gen.scanpay.merchant.v1 import merchant_pb2

        mall = await op.merchant.CreateMall(merchant_pb2.CreateMallRequest(
            name="Browser Test Mall", operator_name="Mall Ops", city="Shanghai", commission_bps=300),
            metadata=(("x-scanpay-actor", "admin"),))
        tenant = await op.onboard("Golden Noodle", "5812", mall.mall_id, "", secrets.token_hex(4).upper(), 1)
        world = World(mall.mall_id, "", ("", ""), [tenant])
        world.campaign_id = await op.campaign(world, 50, seed=5)
        yield world, f"http://127.0.0.1:{e2e_stack.http_port}"
    finally:
        await op.close()


async def snap(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def test_consumer_pays_store_qr_and_console_sees_it_live(browser: Any, shop: tuple[World, str]) -> None:
    world, base = shop
    tenant = world.shops[0]
    expect = playwright_api.expect
    errors: list[str] = []

    # The merchant signs in to the console with its POS key; the secret signs requests in the browser.
    merchant = await browser.new_context(viewport={"width": 1280, "height": 900})
    console = await merchant.new_page()
    console.on("pageerror", lambda exc: errors.append(f"console: {exc}"))
    await console.goto(f"{base}/console/")
    await console.get_by_label("Key id").fill(tenant.key[0])
    await console.get_by_label("Secret").fill(tenant.key[1])
    await console.get_by_role("button", name="Sign in").click()
    await expect(console.locator("#merchant-name")).to_have_text("Golden Noodle")
    await expect(console.locator("#live-state")).to_have_text("live", timeout=15_000)
    qr_image = console.get_by_role("img", name="Store QR code of Golden Noodle")
    await expect(qr_image).to_be_visible()
    assert (await qr_image.get_attribute("src") or "").startswith("data:image/svg+xml")
    store_qr = (await console.locator(".qr-text").first.text_content() or "").strip()
    assert store_qr.startswith("000201") and tenant.store_id in store_qr
    await expect(console.locator("#trade-rows tr")).to_have_count(0)

    # A shopper on a phone: sign up, bind a test card, top up, grab an envelope, paste the QR text and pay.
    phone = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    app = await phone.new_page()
    app.on("pageerror", lambda exc: errors.append(f"app: {exc}"))
    await app.goto(f"{base}/app/")
    await app.get_by_role("tab", name="Sign up").click()
    await app.get_by_label("Mobile number").fill("139" + f"{secrets.randbelow(10**8):08d}")
    await app.get_by_label("Password (8+ characters)").fill("browser-pass-1")
    await app.get_by_role("button", name="Create account").click()
    await expect(app.locator("#msg")).to_have_text("Welcome to scanpay!")
    await app.get_by_label("Card number").fill("4111 1111 1111 1111")
    await app.get_by_label("Name on card").fill("Han Meimei")
    await app.get_by_role("button", name="Bind card").click()
    await expect(app.locator("#cards")).to_contain_text("1111")
    await app.locator("#topup-amount").fill("200.00")
    await app.get_by_role("button", name="Top up").click()
    await expect(app.locator("#msg")).to_have_text("Topped up ¥200.00")
    await expect(app.locator("#balance")).to_have_text("¥200.00")
    await snap(app, "app-wallet")

    await app.get_by_role("navigation", name="Sections").get_by_role("button", name="Red envelopes").click()
    await app.get_by_role("button", name="Grab a red envelope from Double 11 mall red envelopes").click()
    await expect(app.locator("#msg")).to_have_text(re.compile(r"You got ¥\d+\.\d\d off!"))
    await expect(app.locator("#coupons li[data-coupon-id]")).to_have_count(1)
    envelope = int(re.sub(r"\D", "", (await app.locator("#msg").text_content() or "")))
    await snap(app, "app-envelopes")

    await app.get_by_role("navigation", name="Sections").get_by_role("button", name="Pay").click()
    await app.get_by_label("Scanned QR code (paste its text)").fill(store_qr)
    await app.get_by_role("button", name="Continue").click()
    await expect(app.locator("#pay-to")).to_have_text("Pay Golden Noodle")
    await app.locator("#pay-amount").fill("88.00")
    await app.locator("#pay-form").get_by_role("button", name="Pay").click()
    await expect(app.locator("#msg")).to_contain_text("Paid ")
    assert f"({yuan(envelope)} red envelope)" in (await app.locator("#msg").text_content() or "")
    await snap(app, "app-paid")

    # The console shows it without a reload: the row arrives over server-sent events fed from NATS.
    row = console.locator("#trade-rows tr").first
    await expect(row).to_contain_text("¥88.00", timeout=15_000)
    await expect(row).to_contain_text("store QR")
    await expect(row).to_contain_text("SUCCESS")
    trade_id = await row.get_attribute("data-trade-id")
    await expect(console.locator("#t-trades")).to_have_text("1")
    await expect(console.locator("#t-gross")).to_have_text("¥88.00")

    await app.get_by_role("navigation", name="Sections").get_by_role("button", name="History").click()
    await expect(app.locator(f'#history li[data-trade-id="{trade_id}"]')).to_contain_text("success")
    await snap(app, "app-history")

    # The merchant refunds part of it from the console.
    await console.get_by_role("button", name=f"Refund trade {trade_id}").click()
    await console.get_by_label("Amount (yuan)").fill("20.00")
    await console.get_by_role("button", name="Refund", exact=True).click()
    await expect(console.locator("#refund-dialog")).not_to_be_visible()
    await expect(row).to_contain_text("¥20.00")
    await expect(console.locator("#t-refunded")).to_have_text("¥20.00")
    await expect(console.locator("#t-net")).to_have_text("¥68.00")
    await snap(console, "console")

    assert not errors, errors
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in ("console", "app-paid", "app-envelopes"):
        shutil.copy(ARTIFACTS / f"{name}.png", SCREENSHOTS / f"{name}.png")
    await merchant.close()
    await phone.close()
