"""`scanpay demo`: play a Double 11 day on the running stack, then settle and reconcile it.

A mall with 20 stores, 2 street merchants and a partner O2O platform; consumers with bound cards and top-ups;
a red-envelope campaign; payments by every way in (store QR, order QR, payment code), some failing
(insufficient balance, expired QR); partial and full refunds; then the day is settled and reconciled and the
statements written. Everything a consumer or a POS does goes through the public REST API of the gateway
(signed like a real POS); the platform operator's steps use the services' gRPC APIs as admin.

The plan (who buys what, where, how, and what fails) comes from --seed alone, and each consumer's steps run in
order while consumers run side by side (bounded), so the same seed gives the same summary.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import secrets
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import grpc
from aiohttp import web
from google.protobuf import timestamp_pb2
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..gateway import security
from ..gen.scanpay.common.v1 import common_pb2
from ..gen.scanpay.merchant.v1 import merchant_pb2, merchant_pb2_grpc
from ..gen.scanpay.promotions.v1 import promotions_pb2, promotions_pb2_grpc
from ..gen.scanpay.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from ..kit import config
from ..kit.grpc import error_detail, make_channel
from ..kit.localstack import ROOT, RUN_DIR, ServiceProcesses

console = Console(stderr=True)
ADMIN = (("x-scanpay-actor", "admin"),)
SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "double11-demo"
GOOD_CARDS = ("4111111111111111", "5555555555554444", "6222021234567894")
ORDER_QR_SECONDS = 60  # the shortest order QR the gateway makes: these are the ones left to expire
MALL_COMMISSION_BPS = 300
ENVELOPE_MIN, ENVELOPE_MAX, ENVELOPE_MIN_SPEND = 100, 2_000, 2_000
# (display name, MCC) of the mall's 20 tenants and the 2 street merchants.
MALL_TENANTS = [
    ("Golden Noodle", "5812"), ("Panda Hotpot", "5812"), ("Dim Sum House", "5812"), ("Tea Garden", "5814"),
    ("Bubble Tea Lab", "5814"), ("Fresh Mart", "5411"), ("Silk Road Fashion", "5651"), ("Urban Denim", "5651"),
    ("Kids Corner", "5641"), ("Jade Jewellery", "5944"), ("Bright Optics", "8043"), ("Book Harbour", "5942"),
    ("Sound & Vision", "5732"), ("Phone Plaza", "5732"), ("Beauty Bloom", "5977"), ("Sports Peak", "5655"),
    ("Home Nest", "5719"), ("Toy Planet", "5945"), ("Coffee Cloud", "5814"), ("Cinema Snacks", "5499"),
]
STREET_MERCHANTS = [("Uncle Wang's Jianbing", "5814"), ("Lane 12 Fruit Stand", "5499")]
PARTNER_MALL_TENANTS = 3  # mall tenants onboarded through the O2O platform (besides both street merchants)
WAYS = ("STORE_QR", "ORDER_QR", "PAYMENT_CODE")
SAME_DAY_ENV = "SCANPAY_SETTLEMENT_SAME_DAY"  # settlement's switch to settle the current day (demos, local runs)
RETRIES = 6  # 0.5 s doubling: about 30 s in all, enough for a busy 2-core box to catch up


# --- where the stack is ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoints:
    gateway: str  # REST base URL
    grpc: dict[str, str]
    nats_url: str
    token: str

    @classmethod
    def from_env(cls) -> Endpoints:
        settings = config.load("gateway")
        return cls(f"http://127.0.0.1:{settings.http_port}", settings.addresses, settings.nats_url,
                   settings.internal_token)

    @classmethod
    def from_stack(cls, stack: ServiceProcesses) -> Endpoints:
        return cls(f"http://127.0.0.1:{stack.http_port}", {s: f"127.0.0.1:{p}" for s, p in stack.grpc_ports.items()},
                   stack.nats_url, config.load("gateway").internal_token)


@dataclass(frozen=True)
class DemoConfig:
    consumers: int = 2000
    seed: int = 11
    concurrency: int = 16
    out_dir: Path = RUN_DIR / "demo"


# --- the plan ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Purchase:
    way: str
    shop: int  # index into World.shops
    amount: int
    expired: bool = False  # an order QR paid after it expired
    fails: str = ""  # the refusal the plan expects, e.g. INSUFFICIENT_BALANCE


@dataclass(frozen=True)
class Shopper:
    index: int
    phone: str
    card: str
    top_up: int
    purchases: tuple[Purchase, ...]


def plan(cfg: DemoConfig, shop_count: int, run_tag: int) -> list[Shopper]:
    """Who buys what where and how; the same seed gives the same plan (run_tag only keeps phones unique)."""
    rng = random.Random(cfg.seed)
    shoppers = []
    for i in range(cfg.consumers):
        purchases = []
        for _ in range(rng.choice((1, 1, 2, 2, 2, 3))):
            way = rng.choices(WAYS, weights=(50, 25, 25))[0]
            amount = rng.choice((rng.randint(8, 60), rng.randint(30, 300), rng.randint(100, 900))) * 100
            amount += rng.choice((0, 0, 50, 90))
            purchases.append(Purchase(way, rng.randrange(shop_count), amount))
        top_up = sum(p.amount for p in purchases) + rng.randint(0, 200) * 100
        fate = rng.random()
        # About 3% run out of money and 1.5% scan an order QR too late; shoppers 1 and 2 always do, so even a
        # small day shows both failures.
        if fate < 0.03 or i == 1:
            # Tops up a little and then tries a big purchase: refused for insufficient balance.
            top_up = 1_000
            purchases = [Purchase(rng.choice(WAYS), rng.randrange(shop_count), rng.randint(200, 600) * 100,
                                  fails="INSUFFICIENT_BALANCE")]
        elif fate < 0.045 or i == 2:
            purchases.append(Purchase("ORDER_QR", rng.randrange(shop_count), rng.randint(20, 200) * 100, expired=True,
                                      fails="QR_EXPIRED"))
        phone = f"1{30 + run_tag % 70:02d}{run_tag % 10_000:04d}{i:04d}"
        shoppers.append(Shopper(i, phone, GOOD_CARDS[rng.randrange(len(GOOD_CARDS))], top_up, tuple(purchases)))
    return shoppers


# --- the world ---------------------------------------------------------------------------------------------


@dataclass
class Shop:
    name: str
    mcc: str
    merchant_id: str
    store_id: str
    mall_id: str
    key: tuple[str, str]  # the merchant's own POS key (id, secret)
    partner: bool  # onboarded by the O2O platform, which makes its order QRs
    store_qr: str = ""


@dataclass
class World:
    mall_id: str
    partner_id: str
    partner_key: tuple[str, str]
    shops: list[Shop]
    campaign_id: str = ""


@dataclass
class Tally:
    attempts: int = 0
    succeeded: int = 0
    by_way: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    gmv: int = 0
    discounts: int = 0
    paid: int = 0
    envelopes: Counter[str] = field(default_factory=Counter)
    refunds_full: int = 0
    refunds_partial: int = 0
    refunded: int = 0
    successes: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)


@dataclass
class Summary:
    business_date: str
    consumers: int
    merchants: int
    stores: int
    trades: int
    succeeded: int
    success_rate: float
    by_way: dict[str, int]
    failures: dict[str, int]
    gmv: int
    discounts: int
    paid_by_consumers: int
    envelopes: dict[str, int]
    refunds_full: int
    refunds_partial: int
    refunded: int
    settled_gross: int
    settled_refunds: int
    fees: int
    mall_commission: int
    net: int
    payouts: int
    batches: int
    payout_files: list[str]
    reconciliation_ok: bool
    reconciliation: dict[str, int]
    statements_dir: str
    statements: int
    partner_notifications: int
    console_key: dict[str, str]
    seconds: float


class DemoError(Exception):
    """A step of the demo failed in a way the summary cannot explain."""


class SameDayRefused(DemoError):
    """Settlement settles a day only once it is over (T+1) and was not started with its same-day switch."""

    def __init__(self, day: str, tally: Tally) -> None:
        super().__init__(f"settlement refuses to settle {day} before it is over (T+1): start it with "
                         f"{SAME_DAY_ENV}=1 to settle the current day in a demo (docs/demo.md)")
        self.tally = tally


# --- REST as a consumer or a POS -----------------------------------------------------------------------------


class Rest:
    """The gateway's REST API, called like a careful client: a 429 waits for Retry-After; a 5xx, a 409 "still in
    progress" or a dropped connection is retried with backoff under the same Idempotency-Key, so nothing is done
    twice (the gateway replays or resumes the first attempt)."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def call(self, method: str, path: str, body: Any = None, *, token: str = "",
                   key: tuple[str, str] | None = None, merchant_id: str = "", idem: str = "") -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else b""
        idem = idem or secrets.token_hex(12)
        for attempt in range(RETRIES + 1):
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            if key:
                headers.update(signed_headers(key, method, path, data))
            if merchant_id:
                headers["X-Scanpay-Merchant-Id"] = merchant_id
            if method == "POST":
                headers["Idempotency-Key"] = idem
            try:
                async with self.session.request(method, self.base + path, data=data, headers=headers) as reply:
                    raw = await reply.read()
                    status, wait = reply.status, float(reply.headers.get("Retry-After", "0") or 0)
                    ctype = reply.headers.get("Content-Type", "")
            except (aiohttp.ClientConnectionError, TimeoutError):
                if attempt == RETRIES:
                    raise
                await asyncio.sleep(0.5 * 2**attempt)
                continue
            parsed = json.loads(raw) if "json" in ctype else raw
            busy = status == 409 and "in progress" in str(parsed)
            if attempt < RETRIES and (status == 429 or status >= 500 or busy):
                await asyncio.sleep(max(wait, 0.5 * 2**attempt))
                continue
            return status, parsed
        raise AssertionError("unreachable")

    async def expect(self, status: int, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        got, reply = await self.call(method, path, body, **kw)
        if got != status:
            raise DemoError(f"{method} {path}: HTTP {got} {reply!r:.300}")
        return reply


def signed_headers(key: tuple[str, str], method: str, path: str, body: bytes) -> dict[str, str]:
    ts, nonce = str(int(time.time())), secrets.token_hex(12)
    return {"X-Scanpay-Key-Id": key[0], "X-Scanpay-Timestamp": ts, "X-Scanpay-Nonce": nonce,
            "X-Scanpay-Signature": security.sign_request(key[1], method, path, ts, nonce, body)}


def error_code(reply: Any) -> str:
    return reply.get("error", {}).get("code", "ERROR") if isinstance(reply, dict) else "ERROR"


# --- the partner's webhook endpoint ---------------------------------------------------------------------------


class PartnerInbox:
    """The O2O platform's notification endpoint: counts signed notifications that verify.

    Runs on its own thread so it keeps answering while `scanpay dev up --demo` keeps the stack up."""

    def __init__(self) -> None:
        self.port = 0
        self.secret = ""
        self.verified = 0
        self.refused = 0
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/scanpay/notify"

    def start(self) -> None:
        threading.Thread(target=lambda: asyncio.run(self._serve()), name="partner-inbox", daemon=True).start()
        if not self._ready.wait(10):
            raise DemoError("the partner's webhook endpoint did not start")

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post("/scanpay/notify", self._receive)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        await asyncio.Event().wait()

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        header = request.headers.get("Scanpay-Signature", "")
        if self.secret and security.verify_webhook_signature(self.secret, header, body, time.time()):
            self.verified += 1
            return web.json_response({"received": True})
        self.refused += 1
        return web.json_response({"received": False}, status=401)


# --- the operator (gRPC, admin) ---------------------------------------------------------------------------------


class Operator:
    def __init__(self, endpoints: Endpoints) -> None:
        self.channels = {
            name: make_channel(endpoints.grpc[name], endpoints.token, config_name, deadline=deadline)
            for name, config_name, deadline in (
                ("merchant", "scanpay.merchant.v1.MerchantService", 10.0),
                ("promotions", "scanpay.promotions.v1.PromotionsService", 10.0),
                ("settlement", "scanpay.settlement.v1.SettlementService", 900.0))}
        self.merchant = merchant_pb2_grpc.MerchantServiceStub(self.channels["merchant"])
        self.promotions = promotions_pb2_grpc.PromotionsServiceStub(self.channels["promotions"])
        self.settlement = settlement_pb2_grpc.SettlementServiceStub(self.channels["settlement"])

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()

    async def onboard(self, name: str, mcc: str, mall_id: str, partner_id: str, tag: str, n: int) -> Shop:
        m = await self.merchant.CreateMerchant(merchant_pb2.CreateMerchantRequest(
            legal_name=f"{name} Trading Co., Ltd.", display_name=name, licence_id=f"D11{tag}{n:03d}", mcc=mcc,
            partner_id=partner_id, settlement_account=merchant_pb2.BankAccountInput(
                account_number=f"6222{n:04d}{int(tag, 16) % 10**8:08d}", account_name=f"{name} Trading",
                bank_name=("ICBC", "China Merchants Bank", "Bank of China")[n % 3])), metadata=ADMIN)
        await self.merchant.ChangeMerchantStatus(merchant_pb2.ChangeMerchantStatusRequest(
            merchant_id=m.merchant_id, to_status=merchant_pb2.MERCHANT_STATUS_ACTIVE, reason="KYC approved"),
            metadata=ADMIN)
        s = await self.merchant.CreateStore(merchant_pb2.CreateStoreRequest(
            merchant_id=m.merchant_id, mall_id=mall_id, name=name if mall_id else f"{name} (street)",
            address=f"Level {1 + n % 5}, Unit {100 + n}, 1 Century Avenue" if mall_id else f"{12 + n} Yongkang Rd",
            city="Shanghai", lat=31.235 + n * 0.0001, lng=121.505 + n * 0.0001), metadata=ADMIN)
        c = await self.merchant.CreateCredential(merchant_pb2.CreateCredentialRequest(
            owner_kind=merchant_pb2.OWNER_KIND_MERCHANT, owner_id=m.merchant_id), metadata=ADMIN)
        return Shop(name, mcc, m.merchant_id, s.store_id, mall_id, (c.credential.key_id, c.secret), bool(partner_id))

    async def seed(self, inbox: PartnerInbox) -> World:
        tag = secrets.token_hex(4).upper()
        mall = await self.merchant.CreateMall(merchant_pb2.CreateMallRequest(
            name="Century Double 11 Mall", operator_name="Century Mall Operations Ltd", city="Shanghai",
            commission_bps=MALL_COMMISSION_BPS), metadata=ADMIN)
        partner = await self.merchant.CreatePartner(merchant_pb2.CreatePartnerRequest(
            name="Dianping-style O2O Platform", webhook_url=inbox.url), metadata=ADMIN)
        key = await self.merchant.CreateCredential(merchant_pb2.CreateCredentialRequest(
            owner_kind=merchant_pb2.OWNER_KIND_PARTNER, owner_id=partner.partner_id), metadata=ADMIN)
        via_partner = len(MALL_TENANTS) - PARTNER_MALL_TENANTS
        tenants = [(name, mcc, mall.mall_id, partner.partner_id if i >= via_partner else "")
                   for i, (name, mcc) in enumerate(MALL_TENANTS)]
        tenants += [(name, mcc, "", partner.partner_id) for name, mcc in STREET_MERCHANTS]
        shops = await asyncio.gather(*[self.onboard(name, mcc, mall_id, partner_id, tag, n)
                                       for n, (name, mcc, mall_id, partner_id) in enumerate(tenants)])
        return World(mall.mall_id, partner.partner_id, (key.credential.key_id, key.secret), list(shops))

    async def campaign(self, world: World, envelopes: int, seed: int) -> str:
        ends = timestamp_pb2.Timestamp()
        ends.FromSeconds(int(time.time()) + 7 * 86400)
        average = (ENVELOPE_MIN + ENVELOPE_MAX) // 4
        reply = await self.promotions.CreateCampaign(promotions_pb2.CreateCampaignRequest(
            request_id=f"double11-{secrets.token_hex(6)}", name="Double 11 mall red envelopes",
            budget=_money(average * envelopes), count=envelopes, split=promotions_pb2.SPLIT_MODE_RANDOM,
            min_amount=_money(ENVELOPE_MIN), max_amount=_money(ENVELOPE_MAX), seed=seed, ends_at=ends,
            per_consumer_limit=1, min_spend=_money(ENVELOPE_MIN_SPEND),
            targeting=promotions_pb2.Targeting(kind=promotions_pb2.TARGET_KIND_MALL, mall_id=world.mall_id)),
            metadata=ADMIN)
        return reply.campaign.id


def _money(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount=amount, currency="CNY")


# --- the day ---------------------------------------------------------------------------------------------------


class Day:
    def __init__(self, cfg: DemoConfig, rest: Rest, world: World, progress: Progress) -> None:
        self.cfg = cfg
        self.rest = rest
        self.world = world
        self.progress = progress
        self.tally = Tally()
        self.sessions: dict[int, tuple[str, str]] = {}  # shopper -> (access token, refresh token)
        self.expiring: dict[tuple[int, int], tuple[str, float]] = {}
        self.limit = asyncio.Semaphore(cfg.concurrency)

    def pos_key(self, shop: Shop) -> tuple[tuple[str, str], str]:
        """The key a POS call for this shop is signed with: the platform's for partner merchants."""
        return (self.world.partner_key, shop.merchant_id) if shop.partner else (shop.key, "")

    async def each(self, label: str, items: list[Any], work: Any) -> None:
        task = self.progress.add_task(label, total=len(items))

        async def one(item: Any) -> None:
            async with self.limit:
                await work(item)
            self.progress.advance(task)

        await asyncio.gather(*[one(item) for item in items])

    # consumers -------------------------------------------------------------------------------------------

    async def sign_up(self, shopper: Shopper) -> None:
        credentials = {"phone": shopper.phone, "password": PASSWORD}
        status, reply = await self.rest.call("POST", "/v1/consumers", credentials)
        if status not in (201, 409):
            raise DemoError(f"sign-up: HTTP {status} {reply!r:.200}")
        login = await self.rest.expect(201, "POST", "/v1/sessions", credentials)
        self.sessions[shopper.index] = (login["access_token"], login["refresh_token"])
        card = await self.as_shopper(shopper, 201, "POST", "/v1/me/cards", {
            "card_number": shopper.card, "expiry": "12/30", "holder_name": f"Shopper {shopper.index}"})
        top_up = await self.as_shopper(shopper, 201, "POST", "/v1/me/topups", {"card_id": card["card_id"],
                                                                               "amount": shopper.top_up})
        if top_up["state"] != "SUCCEEDED":
            raise DemoError(f"top-up {top_up}")

    async def shopper_call(self, shopper: Shopper, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A call with the shopper's access token; an expired one (15 min) is refreshed once, like the app does."""
        access, refresh = self.sessions[shopper.index]
        status, reply = await self.rest.call(method, path, body, token=access)
        if status == 401 and error_code(reply) == "TOKEN_EXPIRED":
            fresh = await self.rest.expect(200, "POST", "/v1/sessions/refresh", {"refresh_token": refresh})
            self.sessions[shopper.index] = (fresh["access_token"], fresh["refresh_token"])
            status, reply = await self.rest.call(method, path, body, token=fresh["access_token"])
        return status, reply

    async def as_shopper(self, shopper: Shopper, expected: int, method: str, path: str, body: Any = None) -> Any:
        status, reply = await self.shopper_call(shopper, method, path, body)
        if status != expected:
            raise DemoError(f"{method} {path}: HTTP {status} {reply!r:.300}")
        return reply

    async def grab(self, shopper: Shopper) -> None:
        reply = await self.as_shopper(shopper, 201, "POST", f"/v1/red-envelopes/{self.world.campaign_id}/grab", {})
        self.tally.envelopes[reply["status"]] += 1

    # the order QRs that will have expired by the time they are scanned ---------------------------------------

    async def precreate_expiring(self, shoppers: list[Shopper]) -> None:
        for shopper in shoppers:
            for n, p in enumerate(shopper.purchases):
                if p.expired:
                    shop = self.world.shops[p.shop]
                    key, merchant = self.pos_key(shop)
                    order = await self.rest.expect(201, "POST", "/v1/merchant/orders", {
                        "store_id": shop.store_id, "out_trade_no": f"D11-{secrets.token_hex(6)}",
                        "amount": p.amount, "subject": f"{shop.name} order", "timeout_seconds": ORDER_QR_SECONDS},
                        key=key, merchant_id=merchant)
                    self.expiring[(shopper.index, n)] = (order["qr_payload"], time.time() + ORDER_QR_SECONDS)

    # payments ---------------------------------------------------------------------------------------------

    async def shop_around(self, shopper: Shopper) -> None:
        for n, purchase in enumerate(shopper.purchases):
            if not purchase.expired:
                await self.buy(shopper, n, purchase)

    async def buy(self, shopper: Shopper, n: int, p: Purchase) -> None:
        shop = self.world.shops[p.shop]
        self.tally.attempts += 1
        if p.expired:
            qr, _ = self.expiring[(shopper.index, n)]
            status, reply = await self.shopper_call(shopper, "POST", "/v1/payments", {"qr_payload": qr})
        elif p.way == "STORE_QR":
            status, reply = await self.shopper_call(shopper, "POST", "/v1/payments", {"qr_payload": shop.store_qr,
                                                                                      "amount": p.amount})
        elif p.way == "ORDER_QR":
            key, merchant = self.pos_key(shop)
            order = await self.rest.expect(201, "POST", "/v1/merchant/orders", {
                "store_id": shop.store_id, "out_trade_no": f"D11-{shopper.index}-{n}-{secrets.token_hex(4)}",
                "amount": p.amount, "subject": f"{shop.name} order"}, key=key, merchant_id=merchant)
            status, reply = await self.shopper_call(shopper, "POST", "/v1/payments",
                                                    {"qr_payload": order["qr_payload"]})
        else:
            code = await self.as_shopper(shopper, 201, "POST", "/v1/payment-codes", {})
            key, merchant = self.pos_key(shop)
            status, reply = await self.rest.call("POST", "/v1/merchant/trades/pay-by-code", {
                "store_id": shop.store_id, "out_trade_no": f"D11-{shopper.index}-{n}-{secrets.token_hex(4)}",
                "amount": p.amount, "subject": f"{shop.name} till", "payment_code": code["payment_code"]},
                key=key, merchant_id=merchant)
        self.record(shopper, n, status, reply)

    def record(self, shopper: Shopper, n: int, status: int, reply: Any) -> None:
        if status == 201 and reply["status"] == "TRADE_SUCCESS":
            t = self.tally
            t.succeeded += 1
            t.by_way[reply["way"]] += 1
            t.gmv += reply["amount"]
            t.discounts += reply["discount"]
            t.paid += reply["paid"]
            t.successes.append((shopper.index, n, reply))
        elif status == 201:
            self.tally.failures[reply["close_reason"] or reply["status"]] += 1
        else:
            self.tally.failures[error_code(reply)] += 1

    async def pay_expired(self, shoppers: list[Shopper]) -> None:
        due = [(s, n, p) for s in shoppers for n, p in enumerate(s.purchases) if p.expired]
        if not due:
            return
        latest = max(expiry for _, expiry in self.expiring.values())
        task = self.progress.add_task("waiting for order QRs to expire", total=None)
        await asyncio.sleep(max(0.0, latest - time.time() + 1.0))
        self.progress.remove_task(task)
        await self.each("scanning expired order QRs", due, lambda item: self.buy(*item))

    # refunds ----------------------------------------------------------------------------------------------

    async def refunds(self) -> None:
        """Refund some trades in full and some in part (a few twice), chosen by the seed."""
        rng = random.Random(self.cfg.seed + 1)
        chosen: list[tuple[dict[str, Any], list[int]]] = []
        for _, _, trade in sorted(self.tally.successes, key=lambda s: (s[0], s[1])):
            roll = rng.random()
            if roll < 0.03:
                chosen.append((trade, [trade["amount"]]))
            elif roll < 0.08:
                first = max(1, trade["amount"] * rng.randint(20, 50) // 100)
                parts = [first] + ([max(1, (trade["amount"] - first) // 3)] if roll < 0.095 else [])
                chosen.append((trade, parts))
        await self.each("refunding", chosen, self.refund)

    async def refund(self, item: tuple[dict[str, Any], list[int]]) -> None:
        trade, parts = item
        shop = next(s for s in self.world.shops if s.store_id == trade["store_id"])
        key, merchant = self.pos_key(shop)
        for n, amount in enumerate(parts):
            reply = await self.rest.expect(201, "POST", f"/v1/merchant/trades/{trade['trade_id']}/refunds", {
                "out_refund_no": f"R{n + 1}", "amount": amount, "reason": "customer changed their mind"},
                key=key, merchant_id=merchant)
            if reply["refund"]["status"] != "SUCCEEDED":
                raise DemoError(f"refund {reply}")
            self.tally.refunded += amount
        if sum(parts) == trade["amount"]:
            self.tally.refunds_full += 1
        else:
            self.tally.refunds_partial += len(parts)


# --- settlement ------------------------------------------------------------------------------------------------


CLEARED_SUBJECTS = ("gateway.trade.succeeded", "gateway.refund.succeeded")


async def _gateway_counts(js: Any) -> dict[str, int]:
    """Messages per subject in the GATEWAY stream so far (earlier days and demos included)."""
    info = await js.stream_info("GATEWAY", subjects_filter="gateway.>")
    counts = info.state.subjects or {}
    return {subject: counts.get(subject, 0) for subject in CLEARED_SUBJECTS}


async def stream_counts(endpoints: Endpoints) -> dict[str, int]:
    import nats

    nc = await nats.connect(endpoints.nats_url)
    try:
        return await _gateway_counts(nc.jetstream())
    finally:
        await nc.close()


async def wait_for_clearing(endpoints: Endpoints, expected: dict[str, int], timeout: float = 120.0) -> None:
    """Until the stream holds `expected` messages per subject (counted from the start of the stream: a
    caller adds the day's events to the counts from before the day) and settlement has consumed them all."""
    import nats

    nc = await nats.connect(endpoints.nats_url)
    js = nc.jetstream()
    deadline = time.monotonic() + timeout
    try:
        while True:
            counts = await _gateway_counts(js)
            published = all(counts[subject] >= n for subject, n in expected.items())
            pending = 0
            for c in await js.consumers_info("GATEWAY"):
                if c.name.startswith("settlement"):
                    pending += (c.num_pending or 0) + (c.num_ack_pending or 0)
            if published and pending == 0:
                return
            if time.monotonic() > deadline:
                raise DemoError(f"settlement has not cleared the day after {timeout:.0f}s ({pending} pending)")
            await asyncio.sleep(0.5)
    finally:
        await nc.close()


async def settle(op: Operator, world: World, day: str, out_dir: Path) -> dict[str, Any]:
    run = await op.settlement.RunSettlement(settlement_pb2.RunSettlementRequest(business_date=day), metadata=ADMIN)
    report = await op.settlement.Reconcile(settlement_pb2.ReconcileRequest(business_date=day), metadata=ADMIN)
    ours = {shop.merchant_id for shop in world.shops}
    batches = [b for b in await all_batches(op, day) if b.merchant_id in ours]
    folder = out_dir / "statements" / day
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for shop in world.shops:
        statement = await op.settlement.GetStatement(settlement_pb2.GetStatementRequest(
            merchant_id=shop.merchant_id, business_date=day), metadata=ADMIN)
        (folder / statement.file_name).write_bytes(statement.csv)
        written += 1
    mall = await op.settlement.GetMallStatement(settlement_pb2.GetMallStatementRequest(
        mall_id=world.mall_id, business_date=day), metadata=ADMIN)
    (folder / (mall.file_name or f"mall_{world.mall_id}_{day}.csv")).write_bytes(mall.csv)
    findings = {"gateway trades": report.gateway_count, "ledger records": report.ledger_count,
                "clearing trades": report.clearing_count, "matched": report.matched,
                "missing in gateway": report.missing_in_gateway, "missing in ledger": report.missing_in_ledger,
                "missing in clearing": report.missing_in_clearing, "amount mismatches": report.amount_mismatches,
                "duplicates": report.duplicates}
    ok = (report.matched == report.gateway_count == report.clearing_count and not report.missing_in_gateway
          and not report.missing_in_ledger and not report.missing_in_clearing and not report.amount_mismatches
          and not report.duplicates)
    totals = {name: sum(getattr(b, name).amount for b in batches)
              for name in ("gross", "refunds", "discounts", "fees", "mall_commission", "net", "payout")}
    return {"run": run, "batches": len(batches), "totals": totals, "reconciliation": findings, "ok": ok,
            "folder": folder, "written": written + 1}


async def all_batches(op: Operator, day: str) -> list[settlement_pb2.Batch]:
    out: list[settlement_pb2.Batch] = []
    token = ""
    while True:
        page = await op.settlement.ListBatches(settlement_pb2.ListBatchesRequest(
            from_date=day, page=common_pb2.PageRequest(page_size=500, page_token=token)), metadata=ADMIN)
        out.extend(page.batches)
        token = page.page.next_page_token
        if not token:
            return out


# --- putting it together ---------------------------------------------------------------------------------------


async def play(cfg: DemoConfig, endpoints: Endpoints, inbox: PartnerInbox | None = None) -> Summary:
    started = time.monotonic()
    inbox = inbox or PartnerInbox()
    if not inbox.port:
        inbox.start()
    op = Operator(endpoints)
    progress = Progress(TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=False)
    day = datetime.now(SHANGHAI).date().isoformat()
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=cfg.concurrency * 2)) as session:
            rest = Rest(session, endpoints.gateway)
            with progress:
                seeding = progress.add_task("seeding mall, merchants, partner", total=None)
                world = await op.seed(inbox)
                webhook = await rest.expect(200, "GET", "/v1/merchant/webhook", key=world.partner_key)
                inbox.secret = webhook["signing_secret"]
                for shop in world.shops:
                    qr = await rest.expect(200, "GET", f"/v1/merchant/stores/{shop.store_id}/qr", key=shop.key)
                    shop.store_qr = qr["qr_payload"]
                shoppers = plan(cfg, len(world.shops), secrets.randbelow(10**6))
                world.campaign_id = await op.campaign(world, max(1, cfg.consumers * 9 // 10), cfg.seed)
                the_day = Day(cfg, rest, world, progress)
                await the_day.precreate_expiring(shoppers)
                progress.update(seeding, total=1, completed=1)
                await the_day.each("consumers: sign up, card, top-up", shoppers, the_day.sign_up)
                grabbing = progress.add_task("grabbing red envelopes", total=len(shoppers))
                for shopper in shoppers:  # one at a time, in order: who gets which envelope follows the seed
                    await the_day.grab(shopper)
                    progress.advance(grabbing)
                before = await stream_counts(endpoints)
                await the_day.each("paying (store QR, order QR, code)", shoppers, the_day.shop_around)
                await the_day.pay_expired(shoppers)
                await the_day.refunds()
                clearing = progress.add_task("settlement clearing the day", total=None)
                t = the_day.tally
                # The stream keeps earlier demos' events: without the counts from before, their events would
                # stand in for this day's that the gateway's relay has not published yet.
                await wait_for_clearing(endpoints, {
                    "gateway.trade.succeeded": before["gateway.trade.succeeded"] + t.succeeded,
                    "gateway.refund.succeeded": before["gateway.refund.succeeded"] + t.refunds_full + t.refunds_partial,
                })
                progress.update(clearing, total=1, completed=1)
                settling = progress.add_task("settling and reconciling", total=None)
                try:
                    settled = await settle(op, world, day, cfg.out_dir)
                except grpc.aio.AioRpcError as exc:
                    detail = error_detail(exc)
                    if detail is not None and detail.reason == "DAY_NOT_OVER":
                        raise SameDayRefused(day, t) from exc
                    raise
                progress.update(settling, total=1, completed=1)
    finally:
        await op.close()
    run, totals = settled["run"], settled["totals"]
    console_shop = world.shops[0]
    return Summary(
        business_date=day, consumers=cfg.consumers, merchants=len(world.shops), stores=len(world.shops),
        trades=t.attempts, succeeded=t.succeeded, success_rate=round(t.succeeded / max(1, t.attempts), 4),
        by_way=dict(t.by_way), failures=dict(t.failures), gmv=t.gmv, discounts=t.discounts,
        paid_by_consumers=t.paid, envelopes=dict(t.envelopes), refunds_full=t.refunds_full,
        refunds_partial=t.refunds_partial, refunded=t.refunded, settled_gross=totals["gross"],
        settled_refunds=totals["refunds"], fees=totals["fees"], mall_commission=totals["mall_commission"],
        net=totals["net"], payouts=totals["payout"], batches=settled["batches"],
        payout_files=list(run.payout_files), reconciliation_ok=settled["ok"], reconciliation=settled["reconciliation"],
        statements_dir=str(settled["folder"]), statements=settled["written"], partner_notifications=inbox.verified,
        console_key={"merchant": console_shop.name, "merchant_id": console_shop.merchant_id,
                     "key_id": console_shop.key[0], "secret": console_shop.key[1],
                     "store_qr": console_shop.store_qr},
        seconds=round(time.monotonic() - started, 1))


# --- output ----------------------------------------------------------------------------------------------------


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def summary_table(s: Summary) -> Table:
    table = Table(title=f"Double 11 at Century Mall — business day {s.business_date}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    rows = [
        ("consumers / merchants", f"{s.consumers:,} / {s.merchants} (20 mall stores, 2 street, 1 O2O partner)"),
        ("trades", f"{s.trades:,}"),
        ("  succeeded", f"{s.succeeded:,}  ({', '.join(f'{k.lower()} {v}' for k, v in sorted(s.by_way.items()))})"),
        ("  failed", ", ".join(f"{k} {v}" for k, v in sorted(s.failures.items())) or "0"),
        ("success rate", f"{s.success_rate:.1%}"),
        ("GMV", yuan(s.gmv)),
        ("red envelopes (discounts)", f"{yuan(s.discounts)}  (grabs: "
                                      f"{', '.join(f'{k.lower()} {v}' for k, v in sorted(s.envelopes.items()))})"),
        ("paid by consumers", yuan(s.paid_by_consumers)),
        ("refunds", f"{s.refunds_full} full, {s.refunds_partial} partial, {yuan(s.refunded)}"),
        ("settled gross / refunds", f"{yuan(s.settled_gross)} / {yuan(s.settled_refunds)}"),
        ("fees", yuan(s.fees)),
        ("mall commission", yuan(s.mall_commission)),
        ("net to merchants", yuan(s.net)),
        ("payouts", f"{yuan(s.payouts)}  ({s.batches} batches)"),
        ("reconciliation", ("[green]OK[/green] " if s.reconciliation_ok else "[red]DISCREPANCIES[/red] ")
         + f"{s.reconciliation['matched']}/{s.reconciliation['gateway trades']} matched"),
        ("partner notifications", f"{s.partner_notifications} received, signatures verified"),
        ("statements", f"{s.statements} files in {_short(s.statements_dir)}"),
        ("payout files", "\n".join(_short(p) for p in s.payout_files) or "-"),
        ("time", f"{s.seconds:.0f} s"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def print_summary(s: Summary, gateway: str) -> None:
    console.print(summary_table(s))
    key = s.console_key
    console.print(f"merchant console: [bold]{gateway}/console/[/bold]", soft_wrap=True)
    console.print(f"  sign in as {key['merchant']}: key id [bold]{key['key_id']}[/bold]", soft_wrap=True)
    console.print(f"                 secret [bold]{key['secret']}[/bold]", soft_wrap=True)
    console.print(f"consumer web app: [bold]{gateway}/app/[/bold]  sign up, grab a red envelope, pay this store QR:",
                  soft_wrap=True)
    console.print(f"  {key['store_qr']}", soft_wrap=True, highlight=False)


def _short(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return path


def write_summary(s: Summary, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "summary.json"
    path.write_text(json.dumps(asdict(s), indent=2))
    text = Console(file=io.StringIO(), width=110, record=True)
    text.print(summary_table(s))
    (out_dir / "summary.txt").write_text(text.export_text())
    return path


def run(cfg: DemoConfig, endpoints: Endpoints, inbox: PartnerInbox | None = None) -> Summary | None:
    """Play the day and print the summary; None (after saying why) when a step failed."""
    try:
        summary = asyncio.run(play(cfg, endpoints, inbox))
    except SameDayRefused as refused:
        t = refused.tally
        console.print(f"played: {t.attempts} trades, {t.succeeded} succeeded ({t.succeeded / max(1, t.attempts):.1%}),"
                      f" GMV {yuan(t.gmv)}, discounts {yuan(t.discounts)}, refunded {yuan(t.refunded)}; all cleared")
        console.print(f"[red]demo: {refused}[/red]")
        return None
    except grpc.aio.AioRpcError as exc:
        detail = error_detail(exc)
        console.print(f"[red]demo: {exc.code().name} {detail.reason if detail else ''}: {exc.details()}[/red]")
        return None
    except (DemoError, aiohttp.ClientError, OSError) as exc:
        console.print(f"[red]demo: {exc}[/red]")
        return None
    print_summary(summary, endpoints.gateway)
    console.print(f"summary: {_short(str(write_summary(summary, cfg.out_dir)))}")
    return summary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--consumers", type=int, default=2000, help="how many consumers shop (default 2000)")
    parser.add_argument("--seed", type=int, default=11, help="the same seed plays the same day (default 11)")
    parser.add_argument("--concurrency", type=int, default=16, help="consumers shopping at once (default 16)")


def config_from(args: argparse.Namespace) -> DemoConfig:
    if not 1 <= args.consumers <= 9999:
        raise SystemExit("--consumers must be 1..9999")
    if not 1 <= args.concurrency <= 256:
        raise SystemExit("--concurrency must be 1..256")
    return DemoConfig(consumers=args.consumers, seed=args.seed, concurrency=args.concurrency)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = sub.add_parser("demo", help="play a Double 11 day on the running stack, settle and reconcile it")
    add_arguments(demo)
    demo.set_defaults(run=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    summary = run(config_from(args), Endpoints.from_env())
    return 0 if summary is not None and summary.reconciliation_ok else 1
