"""End-to-end on the real stack (five services, PostgreSQL, NATS): the issue's "Done when" list."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from services.gateway import security
from services.gen.scanpay.events.v1 import envelope_pb2
from services.gen.scanpay.gateway.v1 import events_pb2
from services.kit.events import Bus, unpack
from services.kit.localstack import ServiceProcesses

from .helpers import Admin, Api, signed_headers

pytestmark = pytest.mark.stack
GATEWAY_ENV = {"SCANPAY_GATEWAY_NOTIFY_BACKOFF_SCALE": "0.02", "SCANPAY_GATEWAY_NOTIFY_POLL": "0.2",
               "SCANPAY_GATEWAY_RECOVERY_AFTER": "1", "SCANPAY_GATEWAY_RECOVERY_INTERVAL": "0.5"}
COUPON = 500


async def restart_gateway(stack: ServiceProcesses, **env: str) -> None:
    stack.extra_env.update(GATEWAY_ENV)
    for name in ("SCANPAY_GATEWAY_CRASH_AFTER",):
        stack.extra_env.pop(name, None)
    stack.extra_env.update(env)
    stack.kill("gateway", 15)
    stack.start("gateway")
    await stack.wait_healthy(("gateway",), timeout=60)


@pytest_asyncio.fixture(scope="module")
async def world(stack: ServiceProcesses) -> AsyncIterator[dict[str, Any]]:
    await restart_gateway(stack)
    admin = Admin(stack)
    partner = await admin.partner()
    merchant, store = await admin.shop(partner)
    other_merchant, other_store = await admin.shop()
    async with aiohttp.ClientSession() as session:
        yield {
            "admin": admin, "api": Api(session, f"http://127.0.0.1:{stack.http_port}"), "stack": stack,
            "partner": partner, "partner_key": await admin.key(partner, partner=True),
            "merchant": merchant, "store": store, "key": await admin.key(merchant),
            "other_merchant": other_merchant, "other_store": other_store, "other_key": await admin.key(other_merchant),
            "campaign": await admin.campaign(COUPON),
        }


async def store_qr(w: dict[str, Any], store: str | None = None, key: Any = None) -> str:
    r = await w["api"].call("GET", f"/v1/merchant/stores/{store or w['store']}/qr", key=key or w["key"])
    assert r.status == 200, r.body
    return r.body["qr_payload"]


async def grab(w: dict[str, Any], token: str) -> str:
    r = await w["api"].call("POST", f"/v1/red-envelopes/{w['campaign']}/grab", {}, token=token)
    assert r.status == 201 and r.body["status"] == "GRANTED", r.body
    return r.body["coupon"]["coupon_id"]


async def wallet_balance(w: dict[str, Any], token: str) -> int:
    r = await w["api"].call("GET", "/v1/me/wallet", token=token)
    assert r.status == 200, r.body
    return r.body["posted"]


async def published(bus: Bus, subject: str, trade_id: str, timeout: float = 15) -> envelope_pb2.Envelope:
    sub = await bus.js.subscribe(subject, ordered_consumer=True)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                msg = await sub.next_msg(timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                break
            env = envelope_pb2.Envelope()
            env.ParseFromString(msg.data)
            if trade_id in env.data.value.decode("latin-1"):
                return env
    finally:
        await sub.unsubscribe()
    raise AssertionError(f"no {subject} for {trade_id}")


async def test_scan_to_pay_with_best_coupon(world: dict[str, Any], bus: Bus) -> None:
    w, api, admin = world, world["api"], world["admin"]
    token = await api.consumer()
    await api.fund(token, 10_000)
    coupon = await grab(w, token)
    before = await admin.receivable(w["merchant"])
    r = await api.call("POST", "/v1/payments", {"qr_payload": await store_qr(w), "amount": 3_000}, token=token)
    assert r.status == 201, r.body
    trade = r.body
    assert trade["status"] == "TRADE_SUCCESS"
    assert (trade["amount"], trade["discount"], trade["paid"]) == (3_000, COUPON, 3_000 - COUPON)
    assert trade["coupon_id"] == coupon
    assert await wallet_balance(w, token) == 10_000 - (3_000 - COUPON)
    assert await admin.receivable(w["merchant"]) - before == 3_000
    assert await admin.coupon_status(coupon) == "COUPON_STATUS_REDEEMED"
    env = await published(bus, "gateway.trade.succeeded", trade["trade_id"])
    event = unpack(env, events_pb2.TradeSucceeded)
    assert (event.amount.amount, event.paid.amount, event.discount.amount) == (3_000, 2_500, 500)


async def test_insufficient_balance_closes_and_card_fallback_pays(world: dict[str, Any]) -> None:
    w, api, admin = world, world["api"], world["admin"]
    token = await api.consumer()
    card = await api.fund(token, 1_000)
    coupon = await grab(w, token)
    before = await admin.receivable(w["merchant"])
    qr = await store_qr(w)
    r = await api.call("POST", "/v1/payments", {"qr_payload": qr, "amount": 8_000}, token=token)
    assert r.status == 201, r.body
    assert r.body["status"] == "TRADE_CLOSED" and r.body["close_reason"] == "INSUFFICIENT_BALANCE"
    assert await wallet_balance(w, token) == 1_000
    assert await admin.receivable(w["merchant"]) == before
    assert await admin.coupon_status(coupon) == "COUPON_STATUS_ISSUED"
    r = await api.call("POST", "/v1/payments", {"qr_payload": qr, "amount": 8_000, "pay_from_card": {"card_id": card}},
                       token=token)
    assert r.status == 201 and r.body["status"] == "TRADE_SUCCESS", r.body
    assert r.body["paid"] == 8_000 - COUPON
    assert await wallet_balance(w, token) == 0
    assert await admin.receivable(w["merchant"]) - before == 8_000


async def test_same_idempotency_key_charges_once(world: dict[str, Any]) -> None:
    w, api = world, world["api"]
    token = await api.consumer()
    await api.fund(token, 10_000)
    qr = await store_qr(w)
    body = {"qr_payload": qr, "amount": 1_200}
    first = await api.call("POST", "/v1/payments", body, token=token, idem="pay-1")
    again = await api.call("POST", "/v1/payments", body, token=token, idem="pay-1")
    assert first.status == again.status == 201
    assert again.body == first.body and again.headers.get("Idempotent-Replayed") == "true"
    other = await api.call("POST", "/v1/payments", {**body, "amount": 1_300}, token=token, idem="pay-1")
    assert other.status == 422 and other.body["error"]["code"] == "UNPROCESSABLE"
    replies = await asyncio.gather(*[api.call("POST", "/v1/payments", body, token=token, idem="pay-2")
                                     for _ in range(6)])
    ok = [r for r in replies if r.status == 201]
    assert ok and all(r.status in (201, 409) for r in replies)
    assert len({r.body["trade_id"] for r in ok}) == 1
    assert await wallet_balance(w, token) == 10_000 - 2 * 1_200


async def test_precreate_then_scan_and_payment_code(world: dict[str, Any]) -> None:
    w, api = world, world["api"]
    token = await api.consumer()
    await api.fund(token, 10_000)
    order = {"store_id": w["store"], "out_trade_no": "ORD-" + secrets.token_hex(4), "amount": 2_000,
             "subject": "2 bowls"}
    r = await api.call("POST", "/v1/merchant/orders", order, key=w["key"])
    assert r.status == 201 and r.body["status"] == "WAIT_BUYER_PAY", r.body
    again = await api.call("POST", "/v1/merchant/orders", order, key=w["key"])
    assert again.body["trade_id"] == r.body["trade_id"]
    paid = await api.call("POST", "/v1/payments", {"qr_payload": r.body["qr_payload"]}, token=token)
    assert paid.status == 201 and paid.body["status"] == "TRADE_SUCCESS", paid.body
    assert paid.body["trade_id"] == r.body["trade_id"] and paid.body["way"] == "ORDER_QR"

    code = (await api.call("POST", "/v1/payment-codes", {}, token=token)).body["payment_code"]
    charge = {"store_id": w["store"], "out_trade_no": "POS-" + secrets.token_hex(4), "amount": 700,
              "payment_code": code}
    r = await api.call("POST", "/v1/merchant/trades/pay-by-code", charge, key=w["key"])
    assert r.status == 201 and r.body["status"] == "TRADE_SUCCESS", r.body
    reuse = await api.call("POST", "/v1/merchant/trades/pay-by-code",
                           {**charge, "out_trade_no": "POS-" + secrets.token_hex(4)}, key=w["key"])
    assert reuse.status == 422 and reuse.body["error"]["code"] == "PAYMENT_CODE_USED", reuse.body
    assert await wallet_balance(w, token) == 10_000 - 2_000 - 700


async def test_partial_refunds_then_over_refund_then_full(world: dict[str, Any], bus: Bus) -> None:
    w, api = world, world["api"]
    token = await api.consumer()
    await api.fund(token, 10_000)
    await grab(w, token)
    trade = (await api.call("POST", "/v1/payments", {"qr_payload": await store_qr(w), "amount": 4_000},
                            token=token)).body
    assert trade["status"] == "TRADE_SUCCESS" and trade["discount"] == COUPON
    path = f"/v1/merchant/trades/{trade['trade_id']}/refunds"
    r1 = await api.call("POST", path, {"out_refund_no": "R1", "amount": 1_000}, key=w["key"])
    assert r1.status == 201 and r1.body["refund"]["status"] == "SUCCEEDED", r1.body
    assert r1.body["refund"]["discount_part"] == 125 and r1.body["trade"]["status"] == "TRADE_SUCCESS"
    r1_again = await api.call("POST", path, {"out_refund_no": "R1", "amount": 1_000}, key=w["key"])
    assert r1_again.body["refund"]["refund_id"] == r1.body["refund"]["refund_id"]
    r2 = await api.call("POST", path, {"out_refund_no": "R2", "amount": 1_000}, key=w["key"])
    assert r2.status == 201 and r2.body["trade"]["refunded"] == 2_000
    over = await api.call("POST", path, {"out_refund_no": "R3", "amount": 2_001}, key=w["key"])
    assert over.status == 422 and over.body["error"]["code"] == "REFUND_EXCEEDS_PAID"
    assert await wallet_balance(w, token) == 10_000 - 3_500 + 875 * 2
    full = await api.call("POST", path, {"out_refund_no": "R3", "amount": 2_000}, key=w["key"])
    assert full.status == 201 and full.body["trade"]["status"] == "TRADE_CLOSED", full.body
    assert await wallet_balance(w, token) == 10_000
    env = await published(bus, "gateway.trade.closed", trade["trade_id"])
    assert unpack(env, events_pb2.TradeClosed).refunded


async def test_authorisation(world: dict[str, Any]) -> None:
    w, api = world, world["api"]
    alice, bob = await api.consumer(), await api.consumer()
    await api.fund(alice, 5_000)
    trade = (await api.call("POST", "/v1/payments", {"qr_payload": await store_qr(w), "amount": 100},
                            token=alice)).body
    assert (await api.call("GET", f"/v1/payments/{trade['trade_id']}", token=alice)).status == 200
    peek = await api.call("GET", f"/v1/payments/{trade['trade_id']}", token=bob)
    assert peek.status == 404 and set(peek.body["error"]) == {"code", "message", "request_id"}
    steal = await api.call("POST", f"/v1/merchant/trades/{trade['trade_id']}/refunds",
                           {"out_refund_no": "X1", "amount": 100}, key=w["other_key"])
    assert steal.status == 404
    as_partner = await api.call("GET", f"/v1/merchant/trades/{trade['trade_id']}", key=w["partner_key"],
                                merchant_id=w["merchant"])
    assert as_partner.status == 200, as_partner.body
    foreign = await api.call("GET", "/v1/merchant/trades", key=w["partner_key"], merchant_id=w["other_merchant"])
    assert foreign.status == 403


async def test_bad_input_is_refused(world: dict[str, Any]) -> None:
    w, api = world, world["api"]
    token = await api.consumer()
    qr = await store_qr(w)
    tampered = qr[:-5] + ("0" if qr[-5] != "0" else "1") + qr[-4:]
    for body, code in [({"qr_payload": tampered, "amount": 100}, 400), ({"qr_payload": qr, "amount": 0}, 400),
                       ({"qr_payload": qr, "amount": 10.5}, 400), ({"qr_payload": qr, "amount": -3}, 400),
                       ({"qr_payload": qr, "amount": 10**12}, 400)]:
        r = await api.call("POST", "/v1/payments", body, token=token)
        assert r.status == code, (body, r.body)
    r = await api.call("POST", "/v1/payments", raw=b"{" + b" " * 70_000 + b"}", token=token)
    assert r.status == 413
    stale = signed_headers(w["key"], "GET", "/v1/merchant/trades", b"", timestamp=int(time.time()) - 600)
    assert (await api.call("GET", "/v1/merchant/trades", headers=stale)).status == 401
    fixed = signed_headers(w["key"], "GET", "/v1/merchant/trades", b"", nonce="nonce-" + secrets.token_hex(6))
    assert (await api.call("GET", "/v1/merchant/trades", headers=fixed)).status == 200
    replay = await api.call("GET", "/v1/merchant/trades", headers=fixed)
    assert replay.status == 401 and replay.body["error"]["code"] == "NONCE_REPLAYED"
    forged = {**signed_headers(w["key"], "GET", "/v1/merchant/trades", b""), "X-Scanpay-Signature": "0" * 64}
    assert (await api.call("GET", "/v1/merchant/trades", headers=forged)).status == 401
    doc = await api.call("GET", "/openapi.json")
    assert doc.body["openapi"].startswith("3.1") and "/v1/payments" in doc.body["paths"]


async def test_notification_retried_until_webhook_answers(world: dict[str, Any]) -> None:
    w, api = world, world["api"]
    received: list[tuple[bytes, str]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((await request.read(), request.headers.get("Scanpay-Signature", "")))
        return web.Response(status=500 if len(received) < 3 else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        r = await api.call("PUT", "/v1/merchant/webhook", {"url": f"http://127.0.0.1:{port}/hook"},
                           key=w["other_key"])
        assert r.status == 200, r.body
        secret = r.body["signing_secret"]
        token = await api.consumer()
        await api.fund(token, 1_000)
        trade = (await api.call("POST", "/v1/payments", {"qr_payload": await store_qr(w, w["other_store"],
                                                                                        w["other_key"]),
                                                         "amount": 300}, token=token)).body
        deadline = time.monotonic() + 20
        while len(received) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert len(received) >= 3
        body, header = received[-1]
        assert security.verify_webhook_signature(secret, header, body, time.time())
        assert trade["trade_id"].encode() in body
        await asyncio.sleep(0.5)
        log = await api.call("GET", f"/v1/merchant/notifications?trade_id={trade['trade_id']}", key=w["other_key"])
        note = log.body["notifications"][0]
        assert note["status"] == "DELIVERED" and note["attempts"] == 3
        assert [a["status_code"] for a in note["attempts_log"]] == [500, 500, 200]
    finally:
        await runner.cleanup()


async def test_crash_after_wallet_post_completes_on_restart(world: dict[str, Any]) -> None:
    w, api, admin, stack = world, world["api"], world["admin"], world["stack"]
    token = await api.consumer()
    await api.fund(token, 10_000)
    coupon = await grab(w, token)
    qr = await store_qr(w)
    before = await admin.receivable(w["merchant"])
    await restart_gateway(stack, SCANPAY_GATEWAY_CRASH_AFTER="FUNDS_POSTED")
    with pytest.raises(aiohttp.ClientError):
        await api.call("POST", "/v1/payments", {"qr_payload": qr, "amount": 2_000}, token=token, idem="crash-1")
    stack.procs["gateway"].wait(30)
    assert await admin.coupon_status(coupon) == "COUPON_STATUS_RESERVED"
    await restart_gateway(stack)
    deadline = time.monotonic() + 30
    trades: list[Any] = []
    while time.monotonic() < deadline:
        trades = (await api.call("GET", "/v1/me/trades", token=token)).body["trades"]
        if trades and trades[0]["status"] == "TRADE_SUCCESS":
            break
        await asyncio.sleep(0.5)
    assert len(trades) == 1 and trades[0]["status"] == "TRADE_SUCCESS"
    again = await api.call("POST", "/v1/payments", {"qr_payload": qr, "amount": 2_000}, token=token, idem="crash-1")
    assert again.status == 201 and again.body["trade_id"] == trades[0]["trade_id"]
    assert await wallet_balance(w, token) == 10_000 - (2_000 - COUPON)
    assert await admin.receivable(w["merchant"]) - before == 2_000
    assert await admin.coupon_status(coupon) == "COUPON_STATUS_REDEEMED"
