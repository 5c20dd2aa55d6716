"""gRPC handlers of the gateway: the partner API (signed requests) and the internal reconciliation read."""

from __future__ import annotations

from typing import Any

import asyncpg
import grpc

from ..gen.scanpay.common.v1 import common_pb2
from ..gen.scanpay.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from ..kit.auth import actor
from ..kit.errors import InvalidArgument, NotFound, PermissionDenied
from ..kit.proto import timestamp
from ..kit.service import Runtime
from . import domain, store
from .clients import money
from .partner_onboarding import PartnerOnboarding, downstream
from .rest.guards import authorised_merchant
from .saga import WAYS, Payments

PARTNER_SERVICE = "scanpay.gateway.v1.PartnerService"
STATUSES = {s.value: getattr(gateway_pb2, f"TRADE_STATUS_{s.value}") for s in domain.TradeStatus}


def trade_message(t: asyncpg.Record) -> gateway_pb2.Trade:
    return gateway_pb2.Trade(
        trade_id=t["trade_id"], merchant_id=t["merchant_id"], store_id=t["store_id"], mall_id=t["mall_id"],
        consumer_id=t["consumer_id"] or "", partner_id=t["partner_id"], out_trade_no=t["out_trade_no"] or "",
        subject=t["subject"], status=STATUSES[t["status"]], way=WAYS[t["way"]], amount=money(t["amount"]),
        paid=money(t["paid"]), discount=money(t["discount"]), refunded=money(t["refunded"]),
        coupon_id=t["coupon_id"], campaign_id=t["campaign_id"], close_reason=t["close_reason"],
        created_at=timestamp(t["created_at"]), paid_at=timestamp(t["paid_at"]), closed_at=timestamp(t["closed_at"]),
        expires_at=timestamp(t["expires_at"]), qr_payload=t["qr_payload"], wallet_batch_id=t["wallet_batch_id"])


def refund_message(r: asyncpg.Record, trade: asyncpg.Record | None = None) -> gateway_pb2.Refund:
    source = trade if trade is not None else r
    return gateway_pb2.Refund(
        refund_id=r["refund_id"], trade_id=r["trade_id"], out_refund_no=r["out_refund_no"], amount=money(r["amount"]),
        paid_part=money(r["paid_part"]), discount_part=money(r["discount_part"]), reason=r["reason"],
        succeeded_at=timestamp(r["succeeded_at"]), merchant_id=source["merchant_id"], store_id=source["store_id"],
        mall_id=source["mall_id"])


def _amount(m: common_pb2.Money, field: str = "amount.amount") -> int:
    domain.validate_currency(m.currency)
    return domain.validate_amount(m.amount, field)


def _page(page: common_pb2.PageRequest) -> tuple[int, str]:
    size = page.page_size or 100
    if not 1 <= size <= 1000:
        raise InvalidArgument("page_size must be 1..1000", field="page.page_size")
    return size, page.page_token


class PartnerApi(PartnerOnboarding, gateway_pb2_grpc.PartnerServiceServicer):
    def __init__(self, runtime: Runtime, payments: Payments) -> None:
        self.runtime = runtime
        self.pool = runtime.pool
        self.payments = payments

    async def _caller(self, ctx: grpc.aio.ServicerContext, method: str, request: Any, merchant_id: str) -> tuple[str, str]:
        """(merchant id, partner id) after checking the request signature in metadata."""
        caller = await self._verified_caller(ctx, method, request)
        # An unknown merchant is NOT_FOUND for the partner, not an internal error.
        merchant = await downstream("merchant", authorised_merchant(self.payments.directory, caller, merchant_id))
        if not merchant:
            raise InvalidArgument("merchant_id is required", field="merchant_id")
        return merchant, caller.owner_id if caller.kind == "partner" else ""

    async def _trade(self, merchant_id: str, ref: gateway_pb2.TradeRef) -> asyncpg.Record:
        if ref.trade_id:
            trade = await store.get_trade(self.pool, ref.trade_id)
        elif ref.out_trade_no:
            trade = await store.trade_by_out_no(self.pool, merchant_id, ref.out_trade_no)
        else:
            raise InvalidArgument("trade_id or out_trade_no is required", field="trade_id")
        if trade is None or trade["merchant_id"] != merchant_id:
            raise NotFound("trade not found", field="trade_id")
        return trade

    async def Precreate(self, request: gateway_pb2.PrecreateRequest, ctx: Any) -> gateway_pb2.PrecreateResponse:
        merchant, partner = await self._caller(ctx, "Precreate", request, request.merchant_id)
        trade = await self.payments.precreate(merchant, partner, request.store_id, request.out_trade_no,
                                              _amount(request.amount), request.subject, request.timeout_seconds,
                                              request.notify_url)
        return gateway_pb2.PrecreateResponse(trade=trade_message(trade), qr_payload=trade["qr_payload"])

    async def PayByCode(self, request: gateway_pb2.PayByCodeRequest, ctx: Any) -> gateway_pb2.TradeResponse:
        merchant, partner = await self._caller(ctx, "PayByCode", request, request.merchant_id)
        trade = await self.payments.pay_by_code(merchant, partner, request.store_id, request.out_trade_no,
                                                _amount(request.amount), request.subject, request.payment_code,
                                                request.notify_url)
        return gateway_pb2.TradeResponse(trade=trade_message(trade))

    async def QueryTrade(self, request: gateway_pb2.TradeRef, ctx: Any) -> gateway_pb2.TradeResponse:
        merchant, _ = await self._caller(ctx, "QueryTrade", request, request.merchant_id)
        return gateway_pb2.TradeResponse(trade=trade_message(await self._trade(merchant, request)))

    async def CancelTrade(self, request: gateway_pb2.TradeRef, ctx: Any) -> gateway_pb2.TradeResponse:
        merchant, _ = await self._caller(ctx, "CancelTrade", request, request.merchant_id)
        trade = await self._trade(merchant, request)
        return gateway_pb2.TradeResponse(trade=trade_message(await self.payments.cancel(trade["trade_id"])))

    async def CloseTrade(self, request: gateway_pb2.TradeRef, ctx: Any) -> gateway_pb2.TradeResponse:
        merchant, _ = await self._caller(ctx, "CloseTrade", request, request.merchant_id)
        trade = await self._trade(merchant, request)
        return gateway_pb2.TradeResponse(trade=trade_message(await self.payments.close(trade["trade_id"])))

    async def Refund(self, request: gateway_pb2.RefundRequest, ctx: Any) -> gateway_pb2.RefundResponse:
        merchant, _ = await self._caller(ctx, "Refund", request, request.trade.merchant_id)
        trade = await self._trade(merchant, request.trade)
        refund = await self.payments.refund(trade["trade_id"], request.out_refund_no, _amount(request.amount),
                                            request.reason)
        trade = await store.get_trade(self.pool, trade["trade_id"])
        return gateway_pb2.RefundResponse(refund=refund_message(refund, trade), trade=trade_message(trade))

    async def ListTrades(self, request: gateway_pb2.ListTradesRequest, ctx: Any) -> gateway_pb2.ListTradesResponse:
        merchant, _ = await self._caller(ctx, "ListTrades", request, request.merchant_id)
        size, token = _page(request.page)
        status = None
        if request.status:
            if request.status not in gateway_pb2.TradeStatus.values():
                raise InvalidArgument("unknown trade status", field="status")
            status = gateway_pb2.TradeStatus.Name(request.status).removeprefix("TRADE_STATUS_")
        rows = await store.list_trades(self.pool, merchant_id=merchant, status=status, after=token or None,
                                       limit=size)
        next_token = rows[-1]["trade_id"] if len(rows) == size else ""
        return gateway_pb2.ListTradesResponse(trades=[trade_message(t) for t in rows],
                                              page=common_pb2.PageResponse(next_page_token=next_token))

    async def ListNotifications(self, request: gateway_pb2.ListNotificationsRequest,
                                ctx: Any) -> gateway_pb2.ListNotificationsResponse:
        merchant, _ = await self._caller(ctx, "ListNotifications", request, request.merchant_id)
        size, token = _page(request.page)
        rows = await store.list_notifications(self.pool, merchant, request.trade_id or None, size, token or None)
        next_token = rows[-1]["notification_id"] if len(rows) == size else ""
        return gateway_pb2.ListNotificationsResponse(notifications=[notification_message(n) for n in rows],
                                                     page=common_pb2.PageResponse(next_page_token=next_token))

    async def ResendNotification(self, request: gateway_pb2.ResendNotificationRequest,
                                 ctx: Any) -> gateway_pb2.Notification:
        merchant, _ = await self._caller(ctx, "ResendNotification", request, request.merchant_id)
        row = await store.resend_notification(self.pool, request.notification_id, merchant)
        if row is None:
            raise NotFound("notification not found", field="notification_id")
        return notification_message(row)


def notification_message(n: asyncpg.Record) -> gateway_pb2.Notification:
    return gateway_pb2.Notification(
        notification_id=n["notification_id"], merchant_id=n["merchant_id"], partner_id=n["partner_id"], url=n["url"],
        event_type=n["event_type"], trade_id=n["trade_id"], status=n["status"], attempts=n["attempts"],
        next_attempt_at=timestamp(n["next_attempt_at"]), delivered_at=timestamp(n["delivered_at"]),
        last_status_code=n["last_status_code"], last_error=n["last_error"])


class InternalApi(gateway_pb2_grpc.GatewayInternalServiceServicer):
    """Reads for other scanpay services; settlement reconciles trades against the ledger with these."""

    def __init__(self, runtime: Runtime) -> None:
        self.pool = runtime.pool

    @staticmethod
    def _allowed() -> None:
        who = actor()
        if not (who.is_admin or (who.kind == "service" and who.id == "settlement")):
            raise PermissionDenied(f"{who.header()} may not read trades for reconciliation")

    async def ListTradesForDay(self, request: gateway_pb2.ListTradesForDayRequest,
                               ctx: Any) -> gateway_pb2.ListTradesForDayResponse:
        self._allowed()
        start, end = domain.business_day_bounds(request.business_date)
        size, token = _page(request.page)
        rows = await store.trades_paid_between(self.pool, start, end, token, size)
        records = [gateway_pb2.TradeRecord(
            trade_id=t["trade_id"], merchant_id=t["merchant_id"], store_id=t["store_id"], mall_id=t["mall_id"],
            amount=money(t["amount"]), paid=money(t["paid"]), discount=money(t["discount"]),
            status=STATUSES[t["status"]], refunded=money(t["refunded"]), paid_at=timestamp(t["paid_at"]),
            wallet_batch_id=t["wallet_batch_id"]) for t in rows]
        next_token = rows[-1]["trade_id"] if len(rows) == size else ""
        return gateway_pb2.ListTradesForDayResponse(trades=records,
                                                    page=common_pb2.PageResponse(next_page_token=next_token))

    async def ListRefundsForDay(self, request: gateway_pb2.ListTradesForDayRequest,
                                ctx: Any) -> gateway_pb2.ListRefundsForDayResponse:
        self._allowed()
        start, end = domain.business_day_bounds(request.business_date)
        size, token = _page(request.page)
        rows = await store.refunds_succeeded_between(self.pool, start, end, token, size)
        next_token = rows[-1]["refund_id"] if len(rows) == size else ""
        return gateway_pb2.ListRefundsForDayResponse(refunds=[refund_message(r) for r in rows],
                                                     page=common_pb2.PageResponse(next_page_token=next_token))
