"""Clearing: gateway events in, clearing entries out, exactly once (kit inbox), with the rates recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg
import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from ..gen.scanpay.common.v1 import common_pb2
from ..gen.scanpay.events.v1 import envelope_pb2
from ..gen.scanpay.gateway.v1 import events_pb2 as gateway_events
from ..kit.errors import NotFound
from ..kit.events import InboxConsumer, PoisonMessage, unpack
from ..kit.logging import get_logger
from ..kit.service import Runtime
from . import domain, store
from .clients import Directory

log = get_logger("settlement.clearing")
STREAM = "GATEWAY"


def _amount(money: common_pb2.Money, name: str, currency: str, allow_zero: bool = False) -> int:
    """A money field of an event, or a PoisonMessage naming what is wrong with it."""
    if money.currency != currency:
        raise PoisonMessage(f"{name}: currency {money.currency or '(none)'} does not match {currency}")
    if money.amount < 0 or (money.amount == 0 and not allow_zero):
        raise PoisonMessage(f"{name}: amount {money.amount} must be {'>= 0' if allow_zero else 'positive'}")
    return money.amount


def _moment(ts: Timestamp, envelope: envelope_pb2.Envelope) -> datetime:
    source = ts if ts.seconds or ts.nanos else envelope.occurred_at
    return source.ToDatetime(tzinfo=UTC)


class Clearing:
    def __init__(self, runtime: Runtime) -> None:
        self.directory = Directory(runtime.channel("merchant"))

    async def _rates(self, conn: asyncpg.Connection, merchant_id: str, mall_id: str) -> domain.Rates:
        try:
            merchant, commission_bps = await self.directory.rates(merchant_id, mall_id)
        except NotFound as exc:
            raise PoisonMessage(exc.message) from exc
        except grpc.aio.AioRpcError as exc:
            # The directory is away: a plain error, so the event is redelivered with backoff.
            raise RuntimeError(f"merchant directory unavailable: {exc.code().name}") from exc
        await store.remember_merchant(conn, merchant_id, merchant.mcc, merchant.fee_rate_bps)
        min_fee = await store.min_fee_for(conn, merchant.mcc)
        return domain.Rates(merchant.fee_rate_bps, commission_bps, min_fee, merchant.mcc)

    async def on_trade_succeeded(self, conn: asyncpg.Connection, envelope: envelope_pb2.Envelope) -> None:
        event = unpack(envelope, gateway_events.TradeSucceeded)
        currency = domain.SETTLEMENT_CURRENCY
        gross = _amount(event.amount, "amount", currency)
        paid = _amount(event.paid, "paid", currency, allow_zero=True)
        discount = _amount(event.discount, "discount", currency, allow_zero=True)
        if paid + discount != gross:
            raise PoisonMessage(f"paid {paid} + discount {discount} does not make amount {gross}")
        if not event.trade_id or not event.merchant_id:
            raise PoisonMessage("trade_id and merchant_id are required")
        if await store.trade_cleared(conn, event.trade_id):
            log.warning("trade_already_cleared", trade_id=event.trade_id, event_id=envelope.id)
            return
        rates = await self._rates(conn, event.merchant_id, event.mall_id)
        charges = domain.trade_charges(gross, rates)
        occurred = _moment(event.succeeded_at, envelope)
        await store.insert_entry(conn, {
            "kind": "trade", "trade_id": event.trade_id, "event_id": envelope.id, "merchant_id": event.merchant_id,
            "store_id": event.store_id, "mall_id": event.mall_id, "currency": currency, "gross": gross, "paid": paid,
            "discount": discount, "fee": charges.fee, "commission": charges.commission, "net": charges.net,
            "business_date": domain.business_date(occurred), "fee_rate_bps": rates.fee_rate_bps,
            "min_fee": rates.min_fee, "commission_bps": rates.commission_bps, "mcc": rates.mcc,
            "rounding_e4": charges.rounding_e4, "wallet_batch_id": event.wallet_batch_id, "occurred_at": occurred,
        })

    async def on_refund_succeeded(self, conn: asyncpg.Connection, envelope: envelope_pb2.Envelope) -> None:
        event = unpack(envelope, gateway_events.RefundSucceeded)
        trade = await store.trade_entry(conn, event.trade_id)
        if trade is None:
            # Consumers of different subjects do not keep order: wait (redelivery) for the trade's entry.
            raise RuntimeError(f"refund {event.refund_id}: trade {event.trade_id} not cleared yet")
        currency = trade["currency"]
        amount = _amount(event.amount, "amount", currency)
        discount_part = _amount(event.discount_part, "discount_part", currency, allow_zero=True)
        paid_part = _amount(event.paid_part, "paid_part", currency, allow_zero=True)
        if paid_part + discount_part != amount:
            raise PoisonMessage(f"paid_part {paid_part} + discount_part {discount_part} does not make {amount}")
        if await store.refund_cleared(conn, event.refund_id):
            log.warning("refund_already_cleared", refund_id=event.refund_id, event_id=envelope.id)
            return
        if trade["refunded"] + amount > trade["gross"]:
            raise PoisonMessage(
                f"refund {event.refund_id}: {amount} would take refunds to {trade['refunded'] + amount},"
                f" above the trade's {trade['gross']}"
            )
        returns = domain.refund_returns(trade["gross"], trade["fee"], trade["commission"], trade["refunded"], amount)
        occurred = _moment(event.succeeded_at, envelope)
        await store.insert_entry(conn, {
            "kind": "refund", "trade_id": trade["trade_id"], "refund_id": event.refund_id, "event_id": envelope.id,
            "merchant_id": trade["merchant_id"], "store_id": trade["store_id"], "mall_id": trade["mall_id"],
            "currency": currency, "gross": amount, "paid": paid_part, "discount": discount_part,
            "fee": returns.fee_returned, "commission": returns.commission_returned, "net": returns.net,
            "business_date": domain.business_date(occurred), "fee_rate_bps": trade["fee_rate_bps"],
            "min_fee": trade["min_fee"], "commission_bps": trade["commission_bps"], "mcc": trade["mcc"],
            "occurred_at": occurred,
        })

    async def on_trade_closed(self, conn: asyncpg.Connection, envelope: envelope_pb2.Envelope) -> None:
        event = unpack(envelope, gateway_events.TradeClosed)
        if not event.trade_id:
            raise PoisonMessage("trade_id is required")
        await store.record_closure(conn, {
            "trade_id": event.trade_id, "merchant_id": event.merchant_id, "store_id": event.store_id,
            "mall_id": event.mall_id, "reason": event.reason, "refunded": event.refunded,
            "closed_at": _moment(event.closed_at, envelope), "event_id": envelope.id,
        })


def consumers() -> list[Callable[[Runtime], InboxConsumer]]:
    """InboxConsumer factories for the ServiceSpec, sharing one Clearing (one rates cache) per runtime."""
    shared: dict[int, Clearing] = {}

    def clearing(runtime: Runtime) -> Clearing:
        if id(runtime) not in shared:
            shared[id(runtime)] = Clearing(runtime)
        return shared[id(runtime)]

    def make(name: str, subject: str, handler: str) -> Callable[[Runtime], InboxConsumer]:
        def factory(runtime: Runtime) -> InboxConsumer:
            return InboxConsumer(runtime.pool, runtime.bus, name, STREAM, subject,
                                 getattr(clearing(runtime), handler))
        return factory

    return [
        make("settlement-trade-succeeded", "gateway.trade.succeeded", "on_trade_succeeded"),
        make("settlement-refund-succeeded", "gateway.refund.succeeded", "on_refund_succeeded"),
        make("settlement-trade-closed", "gateway.trade.closed", "on_trade_closed"),
    ]
