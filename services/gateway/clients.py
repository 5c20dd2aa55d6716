"""Calls to merchant, wallet and promotions, with short caches where a stale answer is harmless."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import grpc

from ..gen.scanpay.common.v1 import common_pb2
from ..gen.scanpay.merchant.v1 import merchant_pb2, merchant_pb2_grpc
from ..gen.scanpay.promotions.v1 import promotions_pb2, promotions_pb2_grpc
from ..gen.scanpay.wallet.v1 import wallet_pb2, wallet_pb2_grpc
from ..kit.auth import Actor
from ..kit.errors import FailedPrecondition, NotFound, Unauthenticated
from ..kit.service import Runtime
from .domain import CURRENCY

K = TypeVar("K")
V = TypeVar("V")
SERVICE_ACTOR = (("x-scanpay-actor", Actor("service", "gateway").header()),)
STORE_CACHE_SECONDS = 30.0
CREDENTIAL_CACHE_MAX_SECONDS = 30.0


class TtlCache(Generic[K, V]):
    """A small per-process cache; entries live `ttl` seconds (or their own ttl). When full, the oldest entry
    makes room (clearing it all made a working set just above `size` miss on almost every call)."""

    def __init__(self, ttl: float, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self.items: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        hit = self.items.get(key)
        if hit is None or hit[0] < time.monotonic():
            self.items.pop(key, None)
            return None
        return hit[1]

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        if key not in self.items and len(self.items) >= self.size:
            del self.items[next(iter(self.items))]
        self.items[key] = (time.monotonic() + (self.ttl if ttl is None else ttl), value)

    def drop(self, key: K) -> None:
        self.items.pop(key, None)


def money(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount=amount, currency=CURRENCY)


@dataclass(frozen=True)
class StoreInfo:
    store_id: str
    merchant_id: str
    mall_id: str
    name: str
    city: str
    mcc: str
    merchant_name: str
    partner_id: str


@dataclass(frozen=True)
class Caller:
    """A verified merchant or partner key."""

    key_id: str
    kind: str  # merchant | partner
    owner_id: str


class Directory:
    """The merchant service: stores, merchants, credentials."""

    def __init__(self, runtime: Runtime) -> None:
        self.stub = merchant_pb2_grpc.MerchantServiceStub(runtime.channel("merchant"))
        self.stores: TtlCache[str, StoreInfo] = TtlCache(STORE_CACHE_SECONDS)
        self.verified: TtlCache[tuple[str, bytes, str], Caller] = TtlCache(CREDENTIAL_CACHE_MAX_SECONDS)

    async def store(self, store_id: str) -> StoreInfo:
        """An active store of an active merchant (cached briefly), else a clear 4xx."""
        cached = self.stores.get(store_id)
        if cached is not None:
            return cached
        try:
            store = await self.stub.GetStore(merchant_pb2.GetStoreRequest(store_id=store_id), metadata=SERVICE_ACTOR)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise NotFound("store not found", field="store_id", reason="STORE_NOT_FOUND") from None
            raise
        merchant = await self.stub.GetMerchant(merchant_pb2.GetMerchantRequest(merchant_id=store.merchant_id),
                                               metadata=SERVICE_ACTOR)
        if store.status != merchant_pb2.STORE_STATUS_ACTIVE:
            raise FailedPrecondition("store is not active", field="store_id", reason="STORE_INACTIVE")
        if merchant.status != merchant_pb2.MERCHANT_STATUS_ACTIVE:
            raise FailedPrecondition("merchant is not active", field="store_id", reason="MERCHANT_INACTIVE")
        info = StoreInfo(store.store_id, store.merchant_id, store.mall_id, store.name, store.city, merchant.mcc,
                         merchant.display_name, merchant.partner_id)
        self.stores.put(store_id, info)
        return info

    async def merchant_partner(self, merchant_id: str) -> str:
        merchant = await self.stub.GetMerchant(merchant_pb2.GetMerchantRequest(merchant_id=merchant_id),
                                               metadata=SERVICE_ACTOR)
        return merchant.partner_id

    async def partner_webhook(self, partner_id: str) -> str:
        partner = await self.stub.GetPartner(merchant_pb2.GetPartnerRequest(partner_id=partner_id),
                                             metadata=SERVICE_ACTOR)
        return partner.webhook_url

    async def verify(self, key_id: str, signing_string: bytes, signature: str) -> Caller:
        """Check a request signature inside the merchant service; positive answers are cached briefly."""
        cache_key = (key_id, signing_string, signature)
        cached = self.verified.get(cache_key)
        if cached is not None:
            return cached
        reply = await self.stub.VerifySignature(
            merchant_pb2.VerifySignatureRequest(key_id=key_id, signing_string=signing_string, signature=signature),
            metadata=SERVICE_ACTOR)
        if not reply.valid:
            failure = merchant_pb2.VerifyFailure.Name(reply.failure).removeprefix("VERIFY_FAILURE_")
            raise Unauthenticated(f"request signature refused: {failure.lower()}", reason="SIGNATURE_INVALID")
        kind = "partner" if reply.credential.owner_kind == merchant_pb2.OWNER_KIND_PARTNER else "merchant"
        caller = Caller(key_id, kind, reply.credential.owner_id)
        self.verified.put(cache_key, caller, min(float(reply.cache_ttl_seconds), CREDENTIAL_CACHE_MAX_SECONDS))
        return caller


class Wallet:
    def __init__(self, runtime: Runtime) -> None:
        self.stub = wallet_pb2_grpc.WalletServiceStub(runtime.channel("wallet"))
        self.accounts: TtlCache[tuple[int, str], str] = TtlCache(3600.0, size=200_000)

    async def account(self, kind: int, owner_id: str) -> str:
        """Open (idempotently) the account of that kind and owner; ids never change, so they are cached."""
        cached = self.accounts.get((kind, owner_id))
        if cached is not None:
            return cached
        account = await self.stub.OpenAccount(
            wallet_pb2.OpenAccountRequest(kind=kind, owner_id=owner_id, currency=CURRENCY), metadata=SERVICE_ACTOR)
        self.accounts.put((kind, owner_id), account.id)
        return account.id

    async def consumer_account(self, consumer_id: str) -> str:
        return await self.account(wallet_pb2.ACCOUNT_KIND_CONSUMER_WALLET, consumer_id)

    async def receivable(self, merchant_id: str) -> str:
        return await self.account(wallet_pb2.ACCOUNT_KIND_MERCHANT_RECEIVABLE, merchant_id)

    async def post_batch(self, batch_id: str, legs: list[tuple[str, str, str, int, int]], reference: str,
                         ) -> wallet_pb2.CreateTransfersResponse:
        """legs: (transfer id, debit account, credit account, amount, code); zero legs are left out."""
        transfers = [
            wallet_pb2.TransferInput(id=tid, debit_account_id=debit, credit_account_id=credit, amount=money(amount),
                                     code=code, reference=reference)
            for tid, debit, credit, amount, code in legs if amount > 0
        ]
        return await self.stub.CreateTransfers(
            wallet_pb2.CreateTransfersRequest(batch_id=batch_id, transfers=transfers), metadata=SERVICE_ACTOR)

    async def batch_applied(self, batch_id: str) -> bool:
        try:
            await self.stub.GetBatch(wallet_pb2.GetBatchRequest(batch_id=batch_id), metadata=SERVICE_ACTOR)
            return True
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return False
            raise

    async def pay_from_card(self, request_id: str, card_id: str, account_id: str, amount: int) -> wallet_pb2.CardTopUp:
        return await self.stub.PayFromCard(
            wallet_pb2.TopUpRequest(request_id=request_id, card_id=card_id, account_id=account_id,
                                    amount=money(amount)), metadata=SERVICE_ACTOR, timeout=15)


class Promotions:
    def __init__(self, runtime: Runtime) -> None:
        self.stub = promotions_pb2_grpc.PromotionsServiceStub(runtime.channel("promotions"))

    async def quote(self, consumer_id: str, store: StoreInfo, amount: int) -> promotions_pb2.QuoteBestCouponResponse:
        return await self.stub.QuoteBestCoupon(promotions_pb2.QuoteBestCouponRequest(
            consumer_id=consumer_id, store_id=store.store_id, merchant_id=store.merchant_id, mall_id=store.mall_id,
            mcc=store.mcc, amount=money(amount)), metadata=SERVICE_ACTOR)

    async def reserve(self, coupon_id: str, trade_id: str, amount: int, consumer_id: str,
                      store: StoreInfo) -> promotions_pb2.Reservation:
        reply = await self.stub.ReserveCoupon(promotions_pb2.ReserveCouponRequest(
            coupon_id=coupon_id, trade_id=trade_id, amount=money(amount), consumer_id=consumer_id,
            store_id=store.store_id, merchant_id=store.merchant_id, mall_id=store.mall_id, mcc=store.mcc,
            hold_seconds=900), metadata=SERVICE_ACTOR)
        return reply.reservation

    async def confirm(self, trade_id: str, coupon_id: str) -> None:
        await self.stub.ConfirmCoupon(promotions_pb2.ConfirmCouponRequest(trade_id=trade_id, coupon_id=coupon_id),
                                      metadata=SERVICE_ACTOR)

    async def release(self, trade_id: str, reason: str) -> None:
        try:
            await self.stub.ReleaseCoupon(promotions_pb2.ReleaseCouponRequest(trade_id=trade_id, reason=reason),
                                          metadata=SERVICE_ACTOR)
        except grpc.aio.AioRpcError as exc:
            # Nothing reserved for this trade: nothing to release.
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise

    async def return_discount(self, refund_id: str, trade_id: str, amount: int) -> promotions_pb2.ReturnDiscountResponse:
        return await self.stub.ReturnDiscount(promotions_pb2.ReturnDiscountRequest(
            refund_id=refund_id, trade_id=trade_id, amount=money(amount)), metadata=SERVICE_ACTOR)

    async def call(self, method: str, request: Any, actor: Actor) -> Any:
        """A consumer-facing call (grab, list coupons) made on the consumer's behalf."""
        return await getattr(self.stub, method)(request, metadata=(("x-scanpay-actor", actor.header()),))
