"""The console's back end without a browser: session cookie, live feed over SSE, totals, pages; and its pure parts."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from yarl import URL

from services.cli.demo import Endpoints, Operator, Rest, Shop
from services.gateway.rest import console
from services.gen.scanpay.gateway.v1 import events_pb2
from services.gen.scanpay.merchant.v1 import merchant_pb2
from services.kit.errors import Unauthenticated
from services.kit.events import build_envelope
from services.kit.localstack import ServiceProcesses

ADMIN = (("x-scanpay-actor", "admin"),)
SECRET = "jwt-secret-for-tests-0123456789abcdef"


def test_feed_item_shows_a_payment_to_its_merchant_only() -> None:
    succeeded = build_envelope("gateway", "trade.succeeded", events_pb2.TradeSucceeded(
        trade_id="trd_1", merchant_id="mch_1", store_id="sto_1", way=events_pb2.PAYMENT_WAY_ORDER_QR,
        amount=_money(8_800), paid=_money(8_158), discount=_money(642)))
    merchant, item = console.feed_item(succeeded)  # type: ignore[misc]
    assert merchant == "mch_1"
    assert (item["type"], item["trade_id"], item["way"], item["amount"], item["paid"], item["discount"]) == (
        "trade.succeeded", "trd_1", "ORDER_QR", 8_800, 8_158, 642)
    refund = build_envelope("gateway", "refund.succeeded", events_pb2.RefundSucceeded(
        refund_id="rfd_1", trade_id="trd_1", merchant_id="mch_1", amount=_money(2_000)))
    merchant, item = console.feed_item(refund)  # type: ignore[misc]
    assert (merchant, item["type"], item["refund_id"], item["amount"]) == ("mch_1", "refund.succeeded", "rfd_1", 2_000)
    other = build_envelope("gateway", "notification.delivered", events_pb2.TradeClosed(trade_id="trd_1"))
    assert console.feed_item(other) is None


def test_live_feed_fans_out_per_merchant_and_drops_for_a_stalled_browser() -> None:
    feed = console.LiveFeed(bus=None)  # type: ignore[arg-type]
    mine, theirs = feed.listen("mch_1"), feed.listen("mch_2")
    for n in range(console.FEED_QUEUE + 5):
        feed.publish("mch_1", {"n": n})
    assert mine.qsize() == console.FEED_QUEUE and theirs.qsize() == 0
    assert mine.get_nowait() == {"n": 0}
    feed.leave("mch_1", mine)
    feed.publish("mch_1", {"n": -1})
    assert "mch_1" not in feed.listeners


def test_console_session_is_its_own_kind_of_token() -> None:
    from services.gateway import security

    now = time.time()
    token = console.issue_console_session(SECRET, "mch_1", "key_1", now)
    assert console.read_console_session(SECRET, token) == ("mch_1", "key_1")
    consumer_token = security.issue_access_token(SECRET, "csm_1", "ses_1", now)
    with pytest.raises(Unauthenticated):
        console.read_console_session(SECRET, consumer_token)
    with pytest.raises(Unauthenticated):
        security.read_access_token(SECRET, token)
    with pytest.raises(Unauthenticated):
        console.read_console_session(SECRET, console.issue_console_session(SECRET, "mch_1", "key_1",
                                                                           now - console.SESSION_SECONDS - 5))


# --- against the running stack ---------------------------------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="session")
async def tenant(e2e_stack: ServiceProcesses) -> AsyncIterator[tuple[Shop, str, Operator]]:
    op = Operator(Endpoints.from_stack(e2e_stack))
    mall = await op.merchant.CreateMall(merchant_pb2.CreateMallRequest(
        name="Feed Mall", operator_name="Ops", city="Shanghai", commission_bps=100), metadata=ADMIN)
    shop = await op.onboard("Tea Garden", "5814", mall.mall_id, "", secrets.token_hex(4).upper(), 7)
    yield shop, f"http://127.0.0.1:{e2e_stack.http_port}", op
    await op.close()


async def test_signed_session_opens_the_live_feed_and_a_payment_arrives(tenant: tuple[Shop, str, Operator]) -> None:
    shop, base, op = tenant
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:  # cookies for an IP
        rest = Rest(session, base)
        async with session.get(f"{base}/console/api/feed") as r:
            assert r.status == 401
        status, body = await rest.call("POST", "/console/api/session", key=("key_unknown", "nope"))
        assert status == 401 and body["error"]["code"] == "SIGNATURE_INVALID"
        assert not session.cookie_jar.filter_cookies(URL(f"{base}/console/api/feed")).get(console.COOKIE)
        signed_in = await rest.expect(201, "POST", "/console/api/session", key=shop.key)
        assert signed_in["merchant_id"] == shop.merchant_id and signed_in["merchant_name"] == "Tea Garden"
        assert session.cookie_jar.filter_cookies(URL(f"{base}/console/api/feed")).get(console.COOKIE)

        async with session.get(f"{base}/console/api/feed") as feed:
            assert feed.status == 200 and feed.headers["Content-Type"].startswith("text/event-stream")
            assert await _next_event(feed) == ("ready", {})
            qr = await rest.expect(200, "GET", f"/v1/merchant/stores/{shop.store_id}/qr", key=shop.key)
            token = await _shopper(rest, 5_000)
            trade = await rest.expect(201, "POST", "/v1/payments", {"qr_payload": qr["qr_payload"], "amount": 1_234},
                                      token=token)
            kind, event = await asyncio.wait_for(_next_event(feed), 15)
            assert kind == "payment" and event["type"] == "trade.succeeded"
            assert (event["trade_id"], event["amount"], event["way"]) == (trade["trade_id"], 1_234, "STORE_QR")

        totals = await rest.expect(200, "GET", "/console/api/today", key=shop.key)
        assert (totals["trades"], totals["gross"], totals["refunded"], totals["net_sales"]) == (1, 1_234, 0, 1_234)
        stores = await rest.expect(200, "GET", "/console/api/stores", key=shop.key)
        assert [s["store_id"] for s in stores["stores"]] == [shop.store_id]


async def test_pages_are_served_with_a_strict_policy(tenant: tuple[Shop, str, Operator]) -> None:
    _, base, _ = tenant
    async with aiohttp.ClientSession() as session:
        for path, marker in (("/console/", "merchant console"), ("/app/", "Pay a shop"),
                             ("/console/util.js", "export function yuan"), ("/app/app.js", "BarcodeDetector")):
            async with session.get(base + path) as r:
                assert r.status == 200, path
                assert marker in await r.text()
                assert "default-src 'self'" in r.headers["Content-Security-Policy"]
        async with session.get(f"{base}/console/../kit/config.py") as r:
            assert r.status == 404
        async with session.get(f"{base}/app", allow_redirects=False) as r:
            assert r.status == 302 and r.headers["Location"] == "/app/"


async def test_partner_key_and_consumer_token_cannot_open_a_console(tenant: tuple[Shop, str, Operator]) -> None:
    _, base, op = tenant
    partner = await op.merchant.CreatePartner(merchant_pb2.CreatePartnerRequest(
        name="Some O2O", webhook_url="http://127.0.0.1:9/hook"), metadata=ADMIN)
    key = await op.merchant.CreateCredential(merchant_pb2.CreateCredentialRequest(
        owner_kind=merchant_pb2.OWNER_KIND_PARTNER, owner_id=partner.partner_id), metadata=ADMIN)
    async with aiohttp.ClientSession() as session:
        rest = Rest(session, base)
        status, body = await rest.call("POST", "/console/api/session", key=(key.credential.key_id, key.secret))
        assert status == 403 and body["error"]["code"] == "PERMISSION_DENIED"
        token = await _shopper(rest, 0)
        status, body = await rest.call("GET", "/console/api/stores", token=token)
        assert status == 401
        status, body = await rest.call("GET", "/app/api/campaigns", token=token)
        assert status == 200 and isinstance(body["campaigns"], list)


async def _shopper(rest: Rest, top_up: int) -> str:
    phone = "137" + f"{secrets.randbelow(10**8):08d}"
    await rest.expect(201, "POST", "/v1/consumers", {"phone": phone, "password": "feed-pass-1"})
    login = await rest.expect(201, "POST", "/v1/sessions", {"phone": phone, "password": "feed-pass-1"})
    if top_up:
        card = await rest.expect(201, "POST", "/v1/me/cards", {"card_number": "4111111111111111", "expiry": "12/30",
                                                               "holder_name": "Li Lei"}, token=login["access_token"])
        await rest.expect(201, "POST", "/v1/me/topups", {"card_id": card["card_id"], "amount": top_up},
                          token=login["access_token"])
    return login["access_token"]


async def _next_event(stream: aiohttp.ClientResponse) -> tuple[str, Any]:
    """The next SSE event (name, JSON data), skipping comments."""
    kind, data = "message", ""
    while True:
        line = (await stream.content.readline()).decode().rstrip("\n")
        if line.startswith(":") or line.startswith("retry:") or line.startswith("id:"):
            continue
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and data:
            return kind, json.loads(data)


def _money(amount: int) -> Any:
    from services.gen.scanpay.common.v1 import common_pb2

    return common_pb2.Money(amount=amount, currency="CNY")
