"""The payment and refund sagas: every step is persisted before the next call, so a crash is resumed or undone.

Payment: CREATED -> (quote + reserve coupon) COUPON_RESERVED -> (wallet batch keyed by the trade id)
FUNDS_POSTED -> (confirm coupon) DONE / TRADE_SUCCESS, with gateway.trade.succeeded in the same transaction.
Before FUNDS_POSTED a failure compensates (release coupon, TRADE_CLOSED with a reason, nothing moved);
after it the trade can only go forward. Refund: PENDING -> (wallet reverse batch keyed by the refund id)
FUNDS_RETURNED -> (promotions ReturnDiscount) SUCCEEDED.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import grpc

from ..gen.scanpay.gateway.v1 import events_pb2
from ..gen.scanpay.wallet.v1 import wallet_pb2
from ..kit import events
from ..kit.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, Unavailable
from ..kit.grpc import error_detail
from ..kit.ids import new_id
from ..kit.logging import get_logger
from ..kit.proto import timestamp
from ..kit.service import Runtime
from . import domain, emv, store
from .clients import STORE_CACHE_SECONDS, Directory, Promotions, StoreInfo, TtlCache, Wallet, money
from .domain import SagaStep, TradeStatus
from .security import Keys

log = get_logger("gateway.saga")
# Wallet transfer codes used by the gateway (docs/gateway.md).
CODE_PAYMENT, CODE_SUBSIDY, CODE_REFUND, CODE_SUBSIDY_RETURN = 1001, 1002, 1101, 1102
WAYS = {"PAYMENT_WAY_STORE_QR": events_pb2.PAYMENT_WAY_STORE_QR,
        "PAYMENT_WAY_ORDER_QR": events_pb2.PAYMENT_WAY_ORDER_QR,
        "PAYMENT_WAY_PAYMENT_CODE": events_pb2.PAYMENT_WAY_PAYMENT_CODE}
# Store QRs verified already (payload -> code): a store QR never changes and never expires.
STORE_QR_CACHE_SIZE = 10_000
# Fault injection for the crash-recovery test: exit the process right after this step was persisted.
CRASH_AFTER = os.environ.get("SCANPAY_GATEWAY_CRASH_AFTER", "")


def _definite(exc: grpc.aio.AioRpcError) -> bool:
    """A refusal (the callee did nothing) rather than an unknown outcome (timeout, unavailable)."""
    return exc.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT,
                          grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED,
                          grpc.StatusCode.OUT_OF_RANGE)


def _reason(exc: grpc.aio.AioRpcError, default: str) -> str:
    detail = error_detail(exc)
    return detail.reason if detail and detail.reason else default


class Payments:
    def __init__(self, runtime: Runtime, keys: Keys) -> None:
        self.runtime = runtime
        self.pool = runtime.pool
        self.keys = keys
        self.directory = Directory(runtime)
        self.wallet = Wallet(runtime)
        self.promotions = Promotions(runtime)
        self._locks: dict[str, asyncio.Lock] = {}
        self._store_qrs: TtlCache[str, emv.QrCode] = TtlCache(float("inf"), STORE_QR_CACHE_SIZE)
        self._partner_webhooks: TtlCache[str, str] = TtlCache(STORE_CACHE_SECONDS)

    # --- ways in ----------------------------------------------------------------------------------------

    async def scan_to_pay(self, consumer_id: str, payload: str, amount: int | None, request_key: str,
                          card_id: str = "") -> asyncpg.Record:
        """The consumer scanned a store QR (amount required) or an order QR (amount, if given, must match)."""
        code = self._verify_qr(payload)
        shop = await self.directory.store(code.store_id)
        if code.dynamic:
            return await self._pay_order(consumer_id, code, shop, amount, request_key, card_id)
        if amount is None:
            raise InvalidArgument("amount is required for a store QR", field="amount")
        domain.validate_amount(amount)
        trade, fresh = await store.insert_trade(self.pool, {
            "trade_id": new_id("trd"), "merchant_id": shop.merchant_id, "store_id": shop.store_id,
            "mall_id": shop.mall_id, "consumer_id": consumer_id, "partner_id": shop.partner_id,
            "request_key": request_key, "subject": shop.name, "way": "PAYMENT_WAY_STORE_QR", "amount": amount,
            "card_id": card_id, "expires_at": datetime.now(UTC) + timedelta(seconds=domain.STORE_QR_PAY_SECONDS)})
        if not fresh and (trade["amount"] != amount or trade["store_id"] != shop.store_id):
            raise FailedPrecondition("this request key was used for another payment", reason="REQUEST_KEY_REUSED")
        return await self.run(trade["trade_id"], shop, trade)

    def _verify_qr(self, payload: str) -> emv.QrCode:
        """emv.verify, remembering store QRs: the same fixed payload is scanned all day, and one that verified
        once verifies again (same key, no expiry). Order QRs are checked every time (they expire)."""
        code = self._store_qrs.get(payload)
        if code is None:
            code = emv.verify(payload, self.keys.qr_key, time.time())
            if not code.dynamic:
                self._store_qrs.put(payload, code)
        return code

    async def _pay_order(self, consumer_id: str, code: emv.QrCode, shop: StoreInfo, amount: int | None,
                         request_key: str, card_id: str) -> asyncpg.Record:
        now = datetime.now(UTC)
        attached = await store.attach_consumer(self.pool, code.trade_id, shop.store_id, consumer_id, request_key,
                                               card_id, amount, now)
        if attached is not None:
            return await self.run(code.trade_id, shop, attached)
        # Not attached: read the order to say why (or to answer with it, when it is paid already).
        trade = await store.get_trade(self.pool, code.trade_id)
        if trade is None or trade["store_id"] != shop.store_id:
            raise NotFound("order not found", field="qr_payload", reason="TRADE_NOT_FOUND")
        if amount is not None and amount != trade["amount"]:
            raise InvalidArgument("amount does not match the order", field="amount")
        if trade["consumer_id"] not in (None, consumer_id):
            raise FailedPrecondition("order is paid by someone else", reason="TRADE_TAKEN")
        if trade["status"] != TradeStatus.WAIT_BUYER_PAY.value or trade["step"] != SagaStep.CREATED.value:
            return trade
        if trade["expires_at"] <= now:
            raise FailedPrecondition("order QR has expired", field="qr_payload", reason="QR_EXPIRED")
        raise FailedPrecondition("order is being paid", reason="TRADE_TAKEN")

    async def precreate(self, merchant_id: str, partner_id: str, store_id: str, out_trade_no: str, amount: int,
                        subject: str, timeout_seconds: int, notify_url: str) -> asyncpg.Record:
        domain.validate_out_no(out_trade_no, "out_trade_no")
        domain.validate_amount(amount, "amount.amount")
        seconds = domain.order_timeout(timeout_seconds)
        shop = await self._merchant_store(merchant_id, store_id)
        trade_id = new_id("trd")
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
        payload = emv.encode(emv.QrCode(shop.store_id, shop.mcc, shop.merchant_name, shop.city, trade_id, amount,
                                        int(expires.timestamp())), self.keys.qr_key)
        async with self.pool.acquire() as conn:
            trade, fresh = await store.insert_trade(conn, {
                "trade_id": trade_id, "merchant_id": merchant_id, "store_id": store_id, "mall_id": shop.mall_id,
                "partner_id": partner_id or shop.partner_id, "out_trade_no": out_trade_no,
                "subject": subject[:256], "way": "PAYMENT_WAY_ORDER_QR", "amount": amount,
                "notify_url": notify_url, "qr_payload": payload, "expires_at": expires})
        if not fresh and (trade["amount"] != amount or trade["store_id"] != store_id):
            raise FailedPrecondition("out_trade_no was used for another order", field="out_trade_no",
                                     reason="OUT_TRADE_NO_REUSED")
        return trade

    async def pay_by_code(self, merchant_id: str, partner_id: str, store_id: str, out_trade_no: str, amount: int,
                          subject: str, payment_code: str, notify_url: str) -> asyncpg.Record:
        domain.validate_out_no(out_trade_no, "out_trade_no")
        domain.validate_amount(amount, "amount.amount")
        if not domain.payment_code_well_formed(payment_code, self.keys.code_key):
            raise InvalidArgument("payment code is not valid", field="payment_code", reason="PAYMENT_CODE_INVALID")
        shop = await self._merchant_store(merchant_id, store_id)
        # One statement inserts the trade and uses the code, or does neither: a refused code leaves nothing behind.
        trade = await store.insert_code_trade(self.pool, {
            "trade_id": new_id("trd"), "merchant_id": merchant_id, "store_id": store_id, "mall_id": shop.mall_id,
            "partner_id": partner_id or shop.partner_id, "out_trade_no": out_trade_no,
            "subject": subject[:256], "way": "PAYMENT_WAY_PAYMENT_CODE", "amount": amount, "notify_url": notify_url,
            "expires_at": datetime.now(UTC) + timedelta(seconds=domain.STORE_QR_PAY_SECONDS)}, payment_code)
        if trade is not None:
            return await self.run(trade["trade_id"], shop, trade)
        existing = await store.trade_by_out_no(self.pool, merchant_id, out_trade_no)
        if existing is not None:
            if existing["amount"] != amount:
                raise FailedPrecondition("out_trade_no was used for another order", field="out_trade_no",
                                         reason="OUT_TRADE_NO_REUSED")
            return existing
        outcome = await store.payment_code_refusal(self.pool, payment_code)
        raise FailedPrecondition(f"payment code {outcome}", field="payment_code",
                                 reason=f"PAYMENT_CODE_{outcome.upper()}")

    async def _merchant_store(self, merchant_id: str, store_id: str) -> StoreInfo:
        shop = await self.directory.store(store_id)
        if shop.merchant_id != merchant_id:
            raise PermissionDenied("store belongs to another merchant", field="store_id")
        return shop

    # --- the saga ---------------------------------------------------------------------------------------

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            if len(self._locks) > 10_000:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            lock = self._locks[key] = asyncio.Lock()
        return lock

    async def run(self, trade_id: str, shop: StoreInfo | None = None,
                  trade: asyncpg.Record | None = None) -> asyncpg.Record:
        """Drive a trade as far as it goes now; returns it. Safe to call again at any point.

        `trade` is the row the caller just wrote or read; it is used only when no other task of this process
        was driving the trade (otherwise it may be behind, and the trade is read again under the lock).
        """
        lock = self._lock(trade_id)
        contended = lock.locked()
        async with lock:
            if trade is None or contended:
                trade = await store.get_trade(self.pool, trade_id)
            assert trade is not None
            try:
                while trade["step"] in (SagaStep.CREATED.value, SagaStep.COUPON_RESERVED.value,
                                        SagaStep.FUNDS_POSTED.value) and trade["consumer_id"]:
                    shop = shop or await self.directory.store(trade["store_id"])
                    trade = await self._advance(trade, shop)
                    if CRASH_AFTER and trade["step"] == CRASH_AFTER:
                        os._exit(17)
            except grpc.aio.AioRpcError as exc:
                # An unknown outcome: the step stays where it is and the recovery worker goes on later. Each
                # step writes only after its calls succeeded, so `trade` is still the row as it is stored.
                log.warning("saga_step_unknown", trade_id=trade_id, step=trade["step"], code=exc.code().name)
            return trade

    async def _advance(self, trade: asyncpg.Record, shop: StoreInfo) -> asyncpg.Record:
        step = trade["step"]
        if step == SagaStep.CREATED.value:
            return await self._reserve_coupon(trade, shop)
        if step == SagaStep.COUPON_RESERVED.value:
            return await self._post_funds(trade)
        return await self._confirm(trade)

    async def _reserve_coupon(self, trade: asyncpg.Record, shop: StoreInfo) -> asyncpg.Record:
        if trade["expires_at"] <= datetime.now(UTC):
            return await self._compensate(trade, "EXPIRED")
        coupon_id, campaign_id, discount, budget = "", "", 0, ""
        quote = await self.promotions.quote(trade["consumer_id"], shop, trade["amount"])
        if quote.found and quote.discount.amount > 0:
            try:
                reservation = await self.promotions.reserve(quote.coupon.id, trade["trade_id"], trade["amount"],
                                                            trade["consumer_id"], shop)
                coupon_id, campaign_id = reservation.coupon_id, reservation.campaign_id
                discount, budget = reservation.discount.amount, reservation.budget_account_id
            except grpc.aio.AioRpcError as exc:
                # The coupon went away between quote and reserve (used elsewhere): pay full price.
                if not _definite(exc):
                    raise
                log.info("coupon_not_reserved", trade_id=trade["trade_id"], reason=_reason(exc, "REFUSED"))
        return await store.update_trade(self.pool, trade["trade_id"], step=SagaStep.COUPON_RESERVED.value,
                                        coupon_id=coupon_id, campaign_id=campaign_id, discount=discount,
                                        paid=trade["amount"] - discount, budget_account=budget)

    async def _post_funds(self, trade: asyncpg.Record) -> asyncpg.Record:
        trade_id = trade["trade_id"]
        consumer_account = await self.wallet.consumer_account(trade["consumer_id"])
        receivable = await self.wallet.receivable(trade["merchant_id"])
        if trade["card_id"] and trade["paid"] > 0:
            topup = await self.wallet.pay_from_card(f"{trade_id}:card", trade["card_id"], consumer_account,
                                                    trade["paid"])
            if topup.state == wallet_pb2.TOP_UP_STATE_FAILED:
                return await self._compensate(trade, f"CARD_{topup.failure_reason or 'DECLINED'}")
            if topup.state != wallet_pb2.TOP_UP_STATE_SUCCEEDED:
                raise Unavailable("card payment pending at the bank")
        legs = [(f"{trade_id}:paid", consumer_account, receivable, trade["paid"], CODE_PAYMENT),
                (f"{trade_id}:subsidy", trade["budget_account"], receivable, trade["discount"], CODE_SUBSIDY)]
        try:
            batch = await self.wallet.post_batch(trade_id, legs, trade_id)
        except grpc.aio.AioRpcError as exc:
            if not _definite(exc):
                raise
            reason = _reason(exc, "WALLET_REFUSED")
            return await self._compensate(trade, "INSUFFICIENT_BALANCE" if reason == "INSUFFICIENT_FUNDS" else reason)
        return await store.update_trade(self.pool, trade_id, step=SagaStep.FUNDS_POSTED.value,
                                        wallet_batch_id=batch.batch_id)

    async def _confirm(self, trade: asyncpg.Record) -> asyncpg.Record:
        if trade["coupon_id"]:
            await self.promotions.confirm(trade["trade_id"], trade["coupon_id"])
        # The event and the notification body are made from the row as it will be once this step is written
        # (only step, status and paid_at change), so one statement writes the step, its outbox event and its
        # notification: one round trip, and still all or nothing.
        paid_at = datetime.now(UTC)
        done = {**dict(trade), "step": SagaStep.DONE.value, "status": TradeStatus.TRADE_SUCCESS.value,
                "paid_at": paid_at}
        event = events.outbox_row("gateway", "trade.succeeded", events_pb2.TradeSucceeded(
            trade_id=done["trade_id"], merchant_id=done["merchant_id"], store_id=done["store_id"],
            mall_id=done["mall_id"], consumer_id=done["consumer_id"] or "", amount=money(done["amount"]),
            paid=money(done["paid"]), discount=money(done["discount"]), campaign_id=done["campaign_id"],
            coupon_id=done["coupon_id"], wallet_batch_id=done["wallet_batch_id"], way=WAYS[done["way"]],
            succeeded_at=timestamp(paid_at), partner_id=done["partner_id"], out_trade_no=done["out_trade_no"] or ""))
        notification = await self._notification("trade.succeeded", done)
        return await store.succeed_trade(self.pool, trade["trade_id"], paid_at, event, notification)

    async def _compensate(self, trade: asyncpg.Record, reason: str) -> asyncpg.Record:
        """Undo a payment that moved no money: release the coupon, close the trade with the reason."""
        assert trade["step"] in (SagaStep.CREATED.value, SagaStep.COUPON_RESERVED.value)
        if trade["step"] == SagaStep.COUPON_RESERVED.value and trade["coupon_id"]:
            await self.promotions.release(trade["trade_id"], reason)
        return await self._close(trade, reason)

    async def _close(self, trade: asyncpg.Record, reason: str, refunded: bool = False) -> asyncpg.Record:
        directory_url = await self._partner_webhook(trade["partner_id"])
        async with self.pool.acquire() as conn, conn.transaction():
            current = await store.lock_trade(conn, trade["trade_id"])
            if current["status"] == TradeStatus.TRADE_CLOSED.value:
                return current
            domain.check_transition(TradeStatus(current["status"]), TradeStatus.TRADE_CLOSED)
            step = current["step"] if refunded else SagaStep.COMPENSATED.value
            closed = await store.update_trade(conn, trade["trade_id"], status=TradeStatus.TRADE_CLOSED.value,
                                              step=step, close_reason=reason, closed_at=datetime.now(UTC))
            await events.append(conn, "gateway", "trade.closed", events_pb2.TradeClosed(
                trade_id=closed["trade_id"], merchant_id=closed["merchant_id"], store_id=closed["store_id"],
                reason=reason, refunded=refunded, closed_at=timestamp(closed["closed_at"]), mall_id=closed["mall_id"]))
            await store.insert_notification(conn, self._notification_row("trade.closed", closed, directory_url))
        return closed

    # --- close, cancel, expiry --------------------------------------------------------------------------

    async def close(self, trade_id: str, reason: str = "CLOSED_BY_MERCHANT") -> asyncpg.Record:
        async with self._lock(trade_id):
            trade = await store.get_trade(self.pool, trade_id)
            if trade["status"] == TradeStatus.TRADE_CLOSED.value and trade["step"] == SagaStep.COMPENSATED.value:
                return trade
            if trade["status"] != TradeStatus.WAIT_BUYER_PAY.value or trade["step"] != SagaStep.CREATED.value:
                raise FailedPrecondition(f"only an unpaid trade can be closed (trade is {trade['status']})",
                                         reason="TRADE_STATUS_INVALID")
            return await self._close(trade, reason)

    async def cancel(self, trade_id: str) -> asyncpg.Record:
        """Reverse whatever happened: close an unpaid trade; finish an in-flight one, then refund it in full."""
        trade = await store.get_trade(self.pool, trade_id)
        if trade["status"] == TradeStatus.WAIT_BUYER_PAY.value and trade["step"] == SagaStep.CREATED.value:
            try:
                return await self.close(trade_id, "CANCELLED")
            except FailedPrecondition:
                pass
        trade = await self.run(trade_id)
        if trade["status"] == TradeStatus.TRADE_CLOSED.value:
            return trade
        if trade["status"] == TradeStatus.WAIT_BUYER_PAY.value:
            raise Unavailable("payment outcome not known yet; cancel again shortly")
        if not domain.can_cancel(TradeStatus(trade["status"]), trade["paid_at"], trade["refunded"],
                                 datetime.now(UTC)):
            raise FailedPrecondition("trade can no longer be cancelled; refund it instead",
                                     reason="TRADE_NOT_CANCELLABLE")
        await self.refund(trade_id, "cancel", trade["amount"], "CANCELLED")
        return await store.get_trade(self.pool, trade_id)

    async def close_expired(self, limit: int = 100) -> int:
        rows = await store.expired_unpaid(self.pool, limit)
        for row in rows:
            try:
                await self.close(row["trade_id"], "EXPIRED")
            except FailedPrecondition:
                pass
        return len(rows)

    async def recover(self, older_than: timedelta, limit: int = 100) -> int:
        """Resume trades and refunds left mid-way (by a crash or an unknown outcome)."""
        rows = await store.trades_in_flight(self.pool, older_than, limit)
        for row in rows:
            await self.run(row["trade_id"])
        refunds = await store.refunds_in_flight(self.pool, older_than, limit)
        for row in refunds:
            await self.drive_refund(row["refund_id"])
        return len(rows) + len(refunds)

    # --- refunds ----------------------------------------------------------------------------------------

    async def refund(self, trade_id: str, out_refund_no: str, amount: int, reason: str) -> asyncpg.Record:
        domain.validate_out_no(out_refund_no, "out_refund_no")
        domain.validate_amount(amount, "amount.amount")
        async with self.pool.acquire() as conn, conn.transaction():
            trade = await store.lock_trade(conn, trade_id)
            existing = await store.refund_by_out_no(conn, trade_id, out_refund_no)
            if existing is not None:
                if existing["amount"] != amount:
                    raise FailedPrecondition("out_refund_no was used for another amount", field="out_refund_no",
                                             reason="OUT_REFUND_NO_REUSED")
                refund_id = existing["refund_id"]
            else:
                domain.after_refund(TradeStatus(trade["status"]), trade["amount"], trade["refunded"], amount)
                split = domain.split_refund(trade["amount"], trade["discount"], trade["refunded"], amount)
                refund_id = new_id("rfd")
                await store.insert_refund(conn, {
                    "refund_id": refund_id, "trade_id": trade_id, "out_refund_no": out_refund_no, "amount": amount,
                    "paid_part": split.paid_part, "discount_part": split.discount_part, "reason": reason[:256]})
        return await self.drive_refund(refund_id)

    async def drive_refund(self, refund_id: str) -> asyncpg.Record:
        async with self._lock(refund_id):
            refund = await store.get_refund(self.pool, refund_id)
            try:
                if refund["status"] == "PENDING":
                    refund = await self._return_funds(refund)
                if refund["status"] == "FUNDS_RETURNED":
                    refund = await self._finish_refund(refund)
            except grpc.aio.AioRpcError as exc:
                # As in run(): a step writes only after its calls succeeded, so `refund` is the stored row.
                log.warning("refund_step_unknown", refund_id=refund_id, status=refund["status"], code=exc.code().name)
            return refund

    async def _return_funds(self, refund: asyncpg.Record) -> asyncpg.Record:
        trade = await store.get_trade(self.pool, refund["trade_id"])
        rid = refund["refund_id"]
        receivable = await self.wallet.receivable(trade["merchant_id"])
        consumer_account = await self.wallet.consumer_account(trade["consumer_id"])
        legs = [(f"{rid}:paid", receivable, consumer_account, refund["paid_part"], CODE_REFUND),
                (f"{rid}:subsidy", receivable, trade["budget_account"], refund["discount_part"], CODE_SUBSIDY_RETURN)]
        try:
            await self.wallet.post_batch(rid, legs, trade["trade_id"])
        except grpc.aio.AioRpcError as exc:
            if not _definite(exc):
                raise
            async with self.pool.acquire() as conn, conn.transaction():
                await store.lock_trade(conn, trade["trade_id"])
                await store.update_trade(conn, trade["trade_id"], refunded=trade["refunded"] - refund["amount"])
                return await store.set_refund_status(conn, rid, "FAILED", _reason(exc, "WALLET_REFUSED"))
        async with self.pool.acquire() as conn:
            return await store.set_refund_status(conn, rid, "FUNDS_RETURNED")

    async def _finish_refund(self, refund: asyncpg.Record) -> asyncpg.Record:
        trade = await store.get_trade(self.pool, refund["trade_id"])
        if refund["discount_part"] > 0:
            returned = await self.promotions.return_discount(refund["refund_id"], trade["trade_id"], refund["amount"])
            if returned.discount_returned.amount != refund["discount_part"]:
                log.warning("discount_share_differs", refund_id=refund["refund_id"],
                            gateway=refund["discount_part"], promotions=returned.discount_returned.amount)
        directory_url = await self._partner_webhook(trade["partner_id"])
        async with self.pool.acquire() as conn, conn.transaction():
            trade = await store.lock_trade(conn, trade["trade_id"])
            done = await store.set_refund_status(conn, refund["refund_id"], "SUCCEEDED")
            await events.append(conn, "gateway", "refund.succeeded", events_pb2.RefundSucceeded(
                refund_id=done["refund_id"], trade_id=trade["trade_id"], merchant_id=trade["merchant_id"],
                store_id=trade["store_id"], mall_id=trade["mall_id"], amount=money(done["amount"]),
                paid_part=money(done["paid_part"]), discount_part=money(done["discount_part"]),
                succeeded_at=timestamp(done["succeeded_at"]), out_refund_no=done["out_refund_no"]))
            await store.insert_notification(conn, self._notification_row("refund.succeeded", trade, directory_url,
                                                                         refund=done))
            open_refunds = await conn.fetchval(
                "SELECT count(*) FROM refunds WHERE trade_id = $1 AND status IN ('PENDING', 'FUNDS_RETURNED')",
                trade["trade_id"])
            fully_refunded = trade["refunded"] == trade["amount"] and open_refunds == 0
        if fully_refunded:
            await self._close(trade, "REFUNDED", refunded=True)
        return done

    # --- notifications ---------------------------------------------------------------------------------

    async def _partner_webhook(self, partner_id: str) -> str:
        """The partner's webhook_url in the merchant directory ('' when none or unreachable), cached briefly:
        the last place a trade's notification can go (store.notification_target picks among them)."""
        if not partner_id:
            return ""
        url = self._partner_webhooks.get(partner_id)
        if url is None:
            try:
                url = await self.directory.partner_webhook(partner_id)
            except grpc.aio.AioRpcError:
                return ""
            self._partner_webhooks.put(partner_id, url)
        return url

    async def _notification(self, event_type: str, trade: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
        return self._notification_row(event_type, trade, await self._partner_webhook(trade["partner_id"]))

    def _notification_row(self, event_type: str, trade: asyncpg.Record | dict[str, Any], directory_url: str,
                          refund: asyncpg.Record | None = None) -> dict[str, Any]:
        """A notification of this trade (and refund) for store.insert_notification / succeed_trade; the store
        writes it only if the trade has somewhere to send it."""
        body: dict[str, Any] = {"type": event_type, "trade": trade_json(trade)}
        if refund is not None:
            body["refund"] = refund_json(refund)
        notification_id = new_id("ntf")
        body["id"] = notification_id
        return {"notification_id": notification_id, "merchant_id": trade["merchant_id"],
                "partner_id": trade["partner_id"], "notify_url": trade["notify_url"], "event_type": event_type,
                "trade_id": trade["trade_id"], "directory_url": directory_url,
                "body": json.dumps(body, separators=(",", ":")).encode()}


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def trade_json(t: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    """The public JSON shape of a trade (REST responses and notification bodies)."""
    return {
        "trade_id": t["trade_id"], "merchant_id": t["merchant_id"], "store_id": t["store_id"],
        "mall_id": t["mall_id"], "consumer_id": t["consumer_id"], "out_trade_no": t["out_trade_no"],
        "subject": t["subject"], "status": t["status"], "way": t["way"].removeprefix("PAYMENT_WAY_"),
        "currency": t["currency"], "amount": t["amount"], "paid": t["paid"], "discount": t["discount"],
        "refunded": t["refunded"], "coupon_id": t["coupon_id"] or None, "close_reason": t["close_reason"] or None,
        "created_at": _iso(t["created_at"]), "paid_at": _iso(t["paid_at"]), "closed_at": _iso(t["closed_at"]),
        "expires_at": _iso(t["expires_at"]), "qr_payload": t["qr_payload"] or None,
    }


def refund_json(r: asyncpg.Record) -> dict[str, Any]:
    return {
        "refund_id": r["refund_id"], "trade_id": r["trade_id"], "out_refund_no": r["out_refund_no"],
        "amount": r["amount"], "paid_part": r["paid_part"], "discount_part": r["discount_part"],
        "status": r["status"], "failure": r["failure"] or None, "succeeded_at": _iso(r["succeeded_at"]),
    }
