"""Database round trips of the payment hot path, counted on an in-process gateway against the real stack.

The REST app and the saga run in this process on a pool whose connections log every statement they send
(asyncpg query loggers; BEGIN and COMMIT are statements too), so a change that adds a round trip to a
payment fails here. Merchant, wallet and promotions are the stack's processes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import asyncpg
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer

from services.gateway import emv
from services.gateway.rest.app import RestApi
from services.gateway.saga import Payments
from services.gateway.security import Keys
from services.kit.config import SERVICES, Settings
from services.kit.events import Bus, OutboxRelay
from services.kit.localstack import ServiceProcesses
from services.kit.service import Runtime

from .helpers import Admin, Api

pytestmark = pytest.mark.stack
COUPON = 300
# Statements per payment: idempotency claim (with the session check), trade insert, one per saga step
# (coupon reserved, funds posted, success with its outbox event), idempotency answer.
STORE_QR_STATEMENTS = 6
# An order QR binds the consumer to the existing trade instead of inserting one.
ORDER_QR_STATEMENTS = 6
# A payment code: the signed request's nonce, idempotency claim, one statement that inserts the trade and uses
# the code, the saga steps, idempotency answer.
PAYMENT_CODE_STATEMENTS = 7


@dataclasses.dataclass
class Statements:
    """Every statement sent by the pool's connections, in order."""

    sent: list[str] = dataclasses.field(default_factory=list)

    def record(self, query: asyncpg.connection.LoggedQuery) -> None:
        self.sent.append(" ".join(query.query.split())[:100])

    async def during(self, action: Callable[[], Any]) -> list[str]:
        await asyncio.sleep(0)  # loggers run on the loop: let earlier ones land before the count starts
        self.sent.clear()
        await action()
        await asyncio.sleep(0)
        return list(self.sent)


async def counting_pool(settings: Settings, statements: Statements) -> asyncpg.Pool:
    async def init(conn: asyncpg.Connection) -> None:
        await conn.execute(f"SET search_path = {settings.schema}")
        conn.add_query_logger(statements.record)

    async def reset(conn: asyncpg.Connection) -> None:
        # As the services' pools do (kit.db): only an unfinished transaction is undone on release.
        if conn.is_in_transaction():
            await conn.execute("ROLLBACK")

    return await asyncpg.create_pool(settings.service_dsn(), min_size=1, max_size=4, init=init, reset=reset)


@pytest_asyncio.fixture(scope="module")
async def gateway(
    stack: ServiceProcesses, settings_for: Callable[[str], Settings], bus: Bus
) -> AsyncIterator[dict[str, Any]]:
    """An in-process gateway REST app on a counting pool, calling the stack's services."""
    base = settings_for("gateway")
    settings = dataclasses.replace(base, addresses={s: f"127.0.0.1:{stack.grpc_ports[s]}" for s in SERVICES})
    statements = Statements()
    pool = await counting_pool(settings, statements)
    runtime = Runtime(settings, pool, bus, OutboxRelay(pool, bus, "gateway"))
    keys = Keys.from_env()
    payments = Payments(runtime, keys)
    unlimited = (1e6, 1e6)
    rest = RestApi(runtime, payments, keys, {"address": unlimited, "consumer": unlimited, "key": unlimited})
    server = TestServer(rest.app())
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            yield {
                "api": Api(session, str(server.make_url("")).rstrip("/")),
                "statements": statements,
                "pool": pool,
                "keys": keys,
                "admin": Admin(stack),
            }
    finally:
        await server.close()
        for channel in runtime.channels.values():
            await channel.close()
        await pool.close()


async def shopper(g: dict[str, Any], campaign: str) -> str:
    """A funded consumer holding one coupon of the campaign."""
    api = g["api"]
    token = await api.consumer()
    await api.fund(token, 50_000)
    r = await api.call("POST", f"/v1/red-envelopes/{campaign}/grab", {}, token=token)
    assert r.status == 201 and r.body["status"] == "GRANTED", r.body
    return token


def store_qr(g: dict[str, Any], store: str) -> str:
    return emv.encode(emv.QrCode(store, "5812", "Noodle House", "Shanghai"), g["keys"].qr_key)


async def warm_shop(g: dict[str, Any]) -> tuple[str, tuple[str, str], str]:
    """A store, its merchant's signing key and a shopper (holding one coupon) who has paid there once, so the
    gateway's caches are warm for the payment being counted."""
    merchant, store = await g["admin"].shop()
    key = await g["admin"].key(merchant)
    token = await shopper(g, await g["admin"].campaign(COUPON))
    warm = await g["api"].call("POST", "/v1/payments", {"qr_payload": store_qr(g, store), "amount": 500}, token=token)
    assert warm.status == 201 and warm.body["status"] == "TRADE_SUCCESS", warm.body
    return store, key, token


async def test_store_qr_payment_round_trips(gateway: dict[str, Any]) -> None:
    g, api, admin = gateway, gateway["api"], gateway["admin"]
    merchant, store = await admin.shop()
    campaign = await admin.campaign(COUPON)
    qr = store_qr(g, store)
    token = await shopper(g, campaign)
    warm = await api.call("POST", "/v1/payments", {"qr_payload": qr, "amount": 1_000}, token=token)
    assert warm.status == 201 and warm.body["discount"] == COUPON, warm.body  # caches warm; the coupon is spent
    token = await shopper(g, campaign)
    replies: list[Any] = []

    async def pay() -> None:
        replies.append(await api.call("POST", "/v1/payments", {"qr_payload": qr, "amount": 2_000}, token=token))

    sent = await g["statements"].during(pay)
    trade = replies[0].body
    assert replies[0].status == 201 and trade["status"] == "TRADE_SUCCESS", trade
    assert (trade["amount"], trade["discount"], trade["paid"]) == (2_000, COUPON, 2_000 - COUPON)
    assert len(sent) <= STORE_QR_STATEMENTS, "\n".join(sent)
    event = await g["pool"].fetchval(
        "SELECT count(*) FROM outbox WHERE subject = 'gateway.trade.succeeded' "
        "AND position(convert_to($1, 'UTF8') in payload) > 0",
        trade["trade_id"],
    )
    assert event == 1


async def test_order_qr_payment_round_trips(gateway: dict[str, Any]) -> None:
    g, api = gateway, gateway["api"]
    store, key, token = await warm_shop(g)
    order = await api.call(
        "POST",
        "/v1/merchant/orders",
        {"store_id": store, "amount": 1_500, "subject": "noodles", "out_trade_no": "ORD-" + secrets.token_hex(4)},
        key=key,
    )
    assert order.status == 201, order.body
    replies: list[Any] = []

    async def pay() -> None:
        replies.append(await api.call("POST", "/v1/payments", {"qr_payload": order.body["qr_payload"]}, token=token))

    sent = await g["statements"].during(pay)
    trade = replies[0].body
    assert replies[0].status == 201 and trade["status"] == "TRADE_SUCCESS", trade
    assert trade["trade_id"] == order.body["trade_id"] and trade["paid"] == 1_500
    assert len(sent) <= ORDER_QR_STATEMENTS, "\n".join(sent)


async def test_payment_code_round_trips(gateway: dict[str, Any]) -> None:
    g, api = gateway, gateway["api"]
    store, key, token = await warm_shop(g)
    code = (await api.call("POST", "/v1/payment-codes", {}, token=token)).body["payment_code"]
    charge = {"store_id": store, "out_trade_no": "POS-" + secrets.token_hex(4), "amount": 700, "payment_code": code}
    replies: list[Any] = []

    async def charge_code() -> None:
        replies.append(await api.call("POST", "/v1/merchant/trades/pay-by-code", charge, key=key))

    sent = await g["statements"].during(charge_code)
    trade = replies[0].body
    assert replies[0].status == 201 and trade["status"] == "TRADE_SUCCESS", trade
    assert trade["paid"] == 700 and trade["consumer_id"]
    assert len(sent) <= PAYMENT_CODE_STATEMENTS, "\n".join(sent)
    refused_no = "POS-" + secrets.token_hex(4)
    reuse = await api.call("POST", "/v1/merchant/trades/pay-by-code", {**charge, "out_trade_no": refused_no}, key=key)
    assert reuse.status == 422 and reuse.body["error"]["code"] == "PAYMENT_CODE_USED", reuse.body
    assert not await g["pool"].fetchval("SELECT count(*) FROM trades WHERE out_trade_no = $1", refused_no)


async def test_revoked_session_claims_nothing(gateway: dict[str, Any]) -> None:
    g, api, admin = gateway, gateway["api"], gateway["admin"]
    merchant, store = await admin.shop()
    qr = emv.encode(emv.QrCode(store, "5812", "Noodle House", "Shanghai"), g["keys"].qr_key)
    token = await api.consumer()
    await api.fund(token, 5_000)
    body = {"qr_payload": qr, "amount": 800}
    paid = await api.call("POST", "/v1/payments", body, token=token, idem="before-logout")
    assert paid.status == 201 and paid.body["status"] == "TRADE_SUCCESS", paid.body
    assert (await api.call("DELETE", "/v1/sessions/current", token=token)).status == 200
    for key in ("after-logout", "before-logout"):  # a new key, and a replay of a stored answer
        refused = await api.call("POST", "/v1/payments", body, token=token, idem=key)
        assert refused.status == 401 and refused.body["error"]["code"] == "TOKEN_REVOKED", refused.body
    claimed = await g["pool"].fetchval("SELECT count(*) FROM idempotency_keys WHERE idem_key = 'after-logout'")
    assert claimed == 0
    trades = await g["pool"].fetchval("SELECT count(*) FROM trades WHERE merchant_id = $1", merchant)
    assert trades == 1
