"""Calls settlement makes: merchant (rates, bank), wallet (accounts, batch postings, ledger export) and
gateway (the day's trades for reconciliation). Every call has a deadline; lookups are cached."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

import grpc

from ..gen.scanpay.common.v1 import common_pb2
from ..gen.scanpay.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from ..gen.scanpay.merchant.v1 import merchant_pb2, merchant_pb2_grpc
from ..gen.scanpay.wallet.v1 import wallet_pb2, wallet_pb2_grpc
from ..kit.errors import NotFound, Unavailable
from ..kit.proto import timestamp
from . import domain

SERVICE_ACTOR = (("x-scanpay-actor", "service:settlement"),)
RATES_TTL_SECONDS = 300.0
CALL_SECONDS = 5.0
PAGE_SIZE = 500
MAX_BATCHES_PER_CALL = 64  # the wallet's limit for CreateTransferBatches
STATUS_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.items: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        hit = self.items.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key: K, value: V) -> None:
        self.items[key] = (time.monotonic() + self.ttl, value)


@dataclass(frozen=True)
class MerchantRate:
    merchant_id: str
    mcc: str
    fee_rate_bps: int


class Directory:
    """Fee and commission rates from the merchant service (GetRates), cached for RATES_TTL_SECONDS."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.stub = merchant_pb2_grpc.MerchantServiceStub(channel)
        self.merchants: TtlCache[str, MerchantRate] = TtlCache(RATES_TTL_SECONDS)
        self.malls: TtlCache[str, int] = TtlCache(RATES_TTL_SECONDS)

    async def rates(self, merchant_id: str, mall_id: str) -> tuple[MerchantRate, int]:
        """The merchant's rate and the mall's commission (0 outside a mall); NotFound for unknown ones."""
        merchant = self.merchants.get(merchant_id)
        commission = self.malls.get(mall_id) if mall_id else 0
        if merchant is None or commission is None:
            await self._fetch([merchant_id], [mall_id] if mall_id else [])
            merchant = self.merchants.get(merchant_id)
            commission = self.malls.get(mall_id) if mall_id else 0
        if merchant is None:
            raise NotFound(f"merchant {merchant_id} is not in the merchant directory", field="merchant_id")
        if commission is None:
            raise NotFound(f"mall {mall_id} is not in the merchant directory", field="mall_id")
        return merchant, commission

    async def _fetch(self, merchant_ids: Sequence[str], mall_ids: Sequence[str]) -> None:
        reply = await self.stub.GetRates(
            merchant_pb2.GetRatesRequest(merchant_ids=list(merchant_ids), mall_ids=list(mall_ids)),
            metadata=SERVICE_ACTOR, timeout=CALL_SECONDS,
        )
        for rate in reply.merchant_rates:
            self.merchants.put(rate.merchant_id, MerchantRate(rate.merchant_id, rate.mcc, rate.fee_rate_bps))
        for mall in reply.mall_rates:
            self.malls.put(mall.mall_id, mall.commission_bps)

    async def exists(self, merchant_id: str) -> bool:
        try:
            await self.stub.GetMerchant(merchant_pb2.GetMerchantRequest(merchant_id=merchant_id),
                                        metadata=SERVICE_ACTOR, timeout=CALL_SECONDS)
            return True
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return False
            raise Unavailable(f"merchant directory: {exc.details()}") from exc

    async def banks(self, merchant_ids: Sequence[str]) -> dict[str, str]:
        """Bank name of each merchant's settlement account ("UNKNOWN" when none is registered)."""
        limit = asyncio.Semaphore(16)

        async def one(merchant_id: str) -> tuple[str, str]:
            async with limit:
                try:
                    reply = await self.stub.GetMerchant(merchant_pb2.GetMerchantRequest(merchant_id=merchant_id),
                                                        metadata=SERVICE_ACTOR, timeout=CALL_SECONDS)
                except grpc.aio.AioRpcError:
                    return merchant_id, "UNKNOWN"
                return merchant_id, reply.settlement_account.bank_name or "UNKNOWN"

        return dict(await asyncio.gather(*(one(m) for m in merchant_ids)))


ACCOUNT_KINDS = {
    domain.RECEIVABLE: wallet_pb2.ACCOUNT_KIND_MERCHANT_RECEIVABLE,
    domain.PAYABLE: wallet_pb2.ACCOUNT_KIND_MERCHANT_PAYABLE,
    domain.FEE_REVENUE: wallet_pb2.ACCOUNT_KIND_FEE_REVENUE,
    domain.MALL_COMMISSION: wallet_pb2.ACCOUNT_KIND_MALL_COMMISSION_PAYABLE,
    # The platform advances a negative payable from its own clearing account until the next batch repays it.
    domain.CARRY_ADVANCE: wallet_pb2.ACCOUNT_KIND_BANK_CLEARING,
    domain.PAYOUT_BANK: wallet_pb2.ACCOUNT_KIND_BANK_CLEARING,
}
PLATFORM_OWNERS = {domain.FEE_REVENUE: "platform", domain.CARRY_ADVANCE: "settlement_carry"}
# Transfer codes of settlement postings (docs/settlement.md).
LEG_CODES = {"fee": 7001, "mall": 7002, "payout": 7003, "carry_advance": 7004, "carry_repay": 7005, "paid": 7006}


def money(amount: int, currency: str = domain.SETTLEMENT_CURRENCY) -> common_pb2.Money:
    return common_pb2.Money(amount=amount, currency=currency)


@dataclass(frozen=True)
class Posting:
    """A settlement batch as the ledger takes it."""

    batch_id: str
    merchant_id: str
    currency: str
    legs: Sequence[domain.Leg]


class Ledger:
    """The wallet: account ids (cached for ever, they never change), batch postings and the ledger export."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.stub = wallet_pb2_grpc.WalletServiceStub(channel)
        self.accounts: dict[tuple[str, str], str] = {}

    async def account(self, name: str, owner: str, currency: str = domain.SETTLEMENT_CURRENCY) -> str:
        owner = PLATFORM_OWNERS.get(name, owner)
        key = (name, owner)
        if key not in self.accounts:
            reply = await self.stub.OpenAccount(
                wallet_pb2.OpenAccountRequest(kind=ACCOUNT_KINDS[name], owner_id=owner, currency=currency),
                metadata=SERVICE_ACTOR, timeout=CALL_SECONDS,
            )
            self.accounts[key] = reply.id
        return self.accounts[key]

    async def find_receivable(self, merchant_id: str) -> str | None:
        """The merchant's receivable if the wallet has one; a read, unlike account(), which opens it."""
        key = (domain.RECEIVABLE, merchant_id)
        if key in self.accounts:
            return self.accounts[key]
        try:
            reply = await self.stub.FindAccount(
                wallet_pb2.FindAccountRequest(kind=wallet_pb2.ACCOUNT_KIND_MERCHANT_RECEIVABLE, owner_id=merchant_id,
                                              currency=domain.SETTLEMENT_CURRENCY),
                metadata=SERVICE_ACTOR, timeout=CALL_SECONDS)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        self.accounts[key] = reply.id
        return reply.id

    async def _batch(self, posting: Posting) -> wallet_pb2.CreateTransfersRequest:
        """The wallet batch of a posting: one transfer per leg, ids derived from the batch id."""
        transfers = []
        for leg in posting.legs:
            debit = await self.account(leg.debit, _owner(leg, leg.debit, posting.merchant_id), posting.currency)
            credit = await self.account(leg.credit, _owner(leg, leg.credit, posting.merchant_id), posting.currency)
            transfers.append(wallet_pb2.TransferInput(
                id=f"{posting.batch_id}:{leg.name}", debit_account_id=debit, credit_account_id=credit,
                amount=money(leg.amount, posting.currency), code=LEG_CODES[leg.name.split(":")[0]],
                reference=posting.batch_id,
            ))
        return wallet_pb2.CreateTransfersRequest(batch_id=posting.batch_id, transfers=transfers)

    async def post_batch(self, batch_id: str, merchant_id: str, currency: str, legs: Sequence[domain.Leg]) -> None:
        """One all-or-nothing wallet batch per settlement batch; the wallet replays an identical retry."""
        request = await self._batch(Posting(batch_id, merchant_id, currency, legs))
        if request.transfers:
            await self.stub.CreateTransfers(request, metadata=SERVICE_ACTOR, timeout=CALL_SECONDS * 2)

    async def post_batches(self, postings: Sequence[Posting]) -> list[LedgerRefused | None]:
        """Up to MAX_BATCHES_PER_CALL postings in one CreateTransferBatches call, each all-or-nothing on its
        own; per posting None when it applied (or replayed, or had no legs), else the wallet's refusal."""
        requests = [await self._batch(p) for p in postings]
        sent = [r for r in requests if r.transfers]
        refusals: dict[str, LedgerRefused] = {}
        if sent:
            reply = await self.stub.CreateTransferBatches(
                wallet_pb2.CreateTransferBatchesRequest(batches=sent), metadata=SERVICE_ACTOR,
                timeout=CALL_SECONDS * 4,
            )
            refusals = {o.batch_id: LedgerRefused(o.batch_id, o.error)
                        for o in reply.outcomes if o.WhichOneof("outcome") == "error"}
        return [refusals.get(p.batch_id) for p in postings]

    async def export(self, start: datetime, end: datetime) -> AsyncIterator[wallet_pb2.Transfer]:
        token = ""
        while True:
            reply = await self.stub.ExportLedger(
                wallet_pb2.ExportLedgerRequest(
                    **{"from": timestamp(start)}, to=timestamp(end),
                    page=common_pb2.PageRequest(page_size=PAGE_SIZE, page_token=token),
                ),
                metadata=SERVICE_ACTOR, timeout=CALL_SECONDS * 6,
            )
            for transfer in reply.transfers:
                yield transfer
            token = reply.page.next_page_token
            if not token:
                return


class LedgerRefused(Exception):
    """The wallet refused one batch of a CreateTransferBatches call (what CreateTransfers would have raised)."""

    def __init__(self, batch_id: str, error: wallet_pb2.BatchError) -> None:
        super().__init__(f"batch {batch_id}: {error.message}")
        self.batch_id = batch_id
        self.status = STATUS_BY_NUMBER.get(error.code, grpc.StatusCode.UNKNOWN)
        self.details = error.message
        self.reason = error.detail.reason


def _owner(leg: domain.Leg, account: str, merchant_id: str) -> str:
    """Mall and bank legs name their mall or bank; every other account belongs to the batch's merchant."""
    return leg.owner if account in (domain.MALL_COMMISSION, domain.PAYOUT_BANK) else merchant_id


class Gateway:
    """The gateway's internal reconciliation read."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.stub = gateway_pb2_grpc.GatewayInternalServiceStub(channel)

    async def trades_for_day(self, day: str) -> AsyncIterator[gateway_pb2.TradeRecord]:
        token = ""
        while True:
            reply = await self.stub.ListTradesForDay(
                gateway_pb2.ListTradesForDayRequest(
                    business_date=day, page=common_pb2.PageRequest(page_size=PAGE_SIZE, page_token=token)),
                metadata=SERVICE_ACTOR, timeout=CALL_SECONDS * 6,
            )
            for trade in reply.trades:
                yield trade
            token = reply.page.next_page_token
            if not token:
                return

    async def refunds_for_day(self, day: str) -> AsyncIterator[gateway_pb2.Refund]:
        token = ""
        while True:
            reply = await self.stub.ListRefundsForDay(
                gateway_pb2.ListTradesForDayRequest(
                    business_date=day, page=common_pb2.PageRequest(page_size=PAGE_SIZE, page_token=token)),
                metadata=SERVICE_ACTOR, timeout=CALL_SECONDS * 6,
            )
            for refund in reply.refunds:
                yield refund
            token = reply.page.next_page_token
            if not token:
                return
