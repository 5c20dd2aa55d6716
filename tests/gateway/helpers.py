"""Helpers of the gateway end-to-end tests: admin gRPC calls, a signed REST client, consumers."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from services.gateway import security
from services.gen.scanpay.merchant.v1 import merchant_pb2, merchant_pb2_grpc
from services.gen.scanpay.promotions.v1 import promotions_pb2, promotions_pb2_grpc
from services.gen.scanpay.wallet.v1 import wallet_pb2, wallet_pb2_grpc
from services.kit.config import load
from services.kit.grpc import make_channel
from services.kit.localstack import ServiceProcesses

ADMIN = (("x-scanpay-actor", "admin"),)


class Admin:
    """The platform operator, calling the services directly over gRPC."""

    def __init__(self, stack: ServiceProcesses) -> None:
        token = load("gateway").internal_token
        port = stack.grpc_ports
        self.merchant = merchant_pb2_grpc.MerchantServiceStub(
            make_channel(f"127.0.0.1:{port['merchant']}", token, "scanpay.merchant.v1.MerchantService"))
        self.wallet = wallet_pb2_grpc.WalletServiceStub(
            make_channel(f"127.0.0.1:{port['wallet']}", token, "scanpay.wallet.v1.WalletService"))
        self.promotions = promotions_pb2_grpc.PromotionsServiceStub(
            make_channel(f"127.0.0.1:{port['promotions']}", token, "scanpay.promotions.v1.PromotionsService"))

    async def partner(self) -> str:
        p = await self.merchant.CreatePartner(merchant_pb2.CreatePartnerRequest(
            name="Review Site", webhook_url="http://127.0.0.1:9/unused"), metadata=ADMIN)
        return p.partner_id

    async def shop(self, partner_id: str = "") -> tuple[str, str]:
        """An active merchant with one store: (merchant_id, store_id)."""
        m = await self.merchant.CreateMerchant(merchant_pb2.CreateMerchantRequest(
            legal_name="Noodle House Ltd", display_name="Noodle House", licence_id=secrets.token_hex(6).upper(),
            mcc="5812", partner_id=partner_id), metadata=ADMIN)
        await self.merchant.ChangeMerchantStatus(merchant_pb2.ChangeMerchantStatusRequest(
            merchant_id=m.merchant_id, to_status=merchant_pb2.MERCHANT_STATUS_ACTIVE, reason="kyc done"),
            metadata=ADMIN)
        s = await self.merchant.CreateStore(merchant_pb2.CreateStoreRequest(
            merchant_id=m.merchant_id, name="Noodle House Jing'an", address="1 Nanjing W Rd", city="Shanghai",
            lat=31.23, lng=121.47), metadata=ADMIN)
        return m.merchant_id, s.store_id

    async def key(self, owner_id: str, partner: bool = False) -> tuple[str, str]:
        kind = merchant_pb2.OWNER_KIND_PARTNER if partner else merchant_pb2.OWNER_KIND_MERCHANT
        c = await self.merchant.CreateCredential(merchant_pb2.CreateCredentialRequest(
            owner_kind=kind, owner_id=owner_id), metadata=ADMIN)
        return c.credential.key_id, c.secret

    async def campaign(self, value: int, count: int = 100) -> str:
        c = await self.promotions.CreateCampaign(promotions_pb2.CreateCampaignRequest(
            request_id=secrets.token_hex(8), name="Spring red envelopes", budget=_money(value * count), count=count,
            split=promotions_pb2.SPLIT_MODE_FIXED, per_consumer_limit=5,
            targeting=promotions_pb2.Targeting(kind=promotions_pb2.TARGET_KIND_EVERYONE),
            ends_at=_timestamp(time.time() + 7 * 86400)), metadata=ADMIN)
        return c.campaign.id

    async def balance(self, kind: int, owner_id: str) -> int:
        account = await self.wallet.OpenAccount(wallet_pb2.OpenAccountRequest(kind=kind, owner_id=owner_id,
                                                                              currency="CNY"), metadata=ADMIN)
        b = await self.wallet.GetBalance(wallet_pb2.GetBalanceRequest(account_id=account.id), metadata=ADMIN)
        return b.posted.amount

    async def receivable(self, merchant_id: str) -> int:
        return await self.balance(wallet_pb2.ACCOUNT_KIND_MERCHANT_RECEIVABLE, merchant_id)

    async def coupon_status(self, coupon_id: str) -> str:
        c = await self.promotions.GetCoupon(promotions_pb2.GetCouponRequest(coupon_id=coupon_id), metadata=ADMIN)
        return promotions_pb2.CouponStatus.Name(c.coupon.status)


def _timestamp(seconds: float) -> Any:
    from google.protobuf import timestamp_pb2

    out = timestamp_pb2.Timestamp()
    out.FromSeconds(int(seconds))
    return out


def _money(amount: int) -> Any:
    from services.gen.scanpay.common.v1 import common_pb2

    return common_pb2.Money(amount=amount, currency="CNY")


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any


class Api:
    """REST calls to the gateway, as a consumer (token) or a signed merchant/partner key."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base

    async def call(self, method: str, path: str, body: Any = None, *, token: str = "",
                   key: tuple[str, str] | None = None,
                   merchant_id: str = "", idem: str | None = None, raw: bytes | None = None,
                   headers: dict[str, str] | None = None) -> Reply:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        h = {"Content-Type": "application/json", **(headers or {})}
        if token:
            h["Authorization"] = f"Bearer {token}"
        if key:
            h.update(signed_headers(key, method, path, data))
        if merchant_id:
            h["X-Scanpay-Merchant-Id"] = merchant_id
        if method == "POST":
            h["Idempotency-Key"] = idem or secrets.token_hex(8)
        async with self.session.request(method, self.base + path, data=data, headers=h) as r:
            text = await r.read()
            ctype = r.headers.get("Content-Type", "")
            return Reply(r.status, json.loads(text) if "json" in ctype else text, r.headers)

    async def consumer(self, phone: str | None = None) -> str:
        phone = phone or "13" + f"{secrets.randbelow(10**9):09d}"
        r = await self.call("POST", "/v1/consumers", {"phone": phone, "password": "s3cret-pass"})
        assert r.status == 201, r.body
        r = await self.call("POST", "/v1/sessions", {"phone": phone, "password": "s3cret-pass"})
        assert r.status == 201, r.body
        return r.body["access_token"]

    async def fund(self, token: str, amount: int, card: str = "4111111111111111") -> str:
        r = await self.call("POST", "/v1/me/cards", {"card_number": card, "expiry": "12/30", "holder_name": "Li Lei"},
                            token=token)
        assert r.status == 201, r.body
        card_id = r.body["card_id"]
        if amount:
            r = await self.call("POST", "/v1/me/topups", {"card_id": card_id, "amount": amount}, token=token)
            assert r.status == 201 and r.body["state"] == "SUCCEEDED", r.body
        return card_id


def signed_headers(key: tuple[str, str], method: str, path: str, body: bytes, timestamp: int | None = None,
                   nonce: str | None = None) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or secrets.token_hex(12)
    return {"X-Scanpay-Key-Id": key[0], "X-Scanpay-Timestamp": ts, "X-Scanpay-Nonce": nonce,
            "X-Scanpay-Signature": security.sign_request(key[1], method, path, ts, nonce, body)}
