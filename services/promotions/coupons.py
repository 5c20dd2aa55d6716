"""Grabs, quotes and the coupon lifecycle: ISSUED -> RESERVED -> REDEEMED, back to ISSUED, or EXPIRED."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from ..gen.scanpay.common.v1 import common_pb2
from ..kit.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    require,
)
from . import domain, events, grabs, store
from .campaigns import require_id
from .convert import coupon_terms, coupon_to_pb, reservation_to_pb
from .domain import CouponState, Place
from .grabs import GrabResult, Grabs

TIMEOUT_REASON = "TIMEOUT"


@dataclass(frozen=True)
class QuoteResult:
    coupon: asyncpg.Record
    discount: int


def now_utc() -> datetime:
    return datetime.now(UTC)


def require_money(value: common_pb2.Money, present: bool, field: str) -> tuple[int, str]:
    require(present, field, "is required")
    return domain.require_amount(value.amount, f"{field}.amount"), domain.require_currency(
        value.currency, f"{field}.currency"
    )


class Coupons:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.grabs = Grabs(pool)

    # --- grab -----------------------------------------------------------------------------------------

    async def grab(self, campaign_id: str, consumer_id: str, request_id: str) -> GrabResult:
        require_id(campaign_id, "campaign_id")
        require_id(consumer_id, "consumer_id")
        require_id(request_id, "request_id")
        return await self.grabs.grab(campaign_id, consumer_id, request_id)

    @staticmethod
    async def mark_exhausted(conn: asyncpg.Connection, campaign_id: str | None = None) -> int:
        """Flag campaigns with no envelope left (once each, with campaign.exhausted); returns how many."""
        return await grabs.mark_exhausted(conn, campaign_id)

    # --- reading --------------------------------------------------------------------------------------

    async def get(self, coupon_id: str) -> asyncpg.Record:
        require_id(coupon_id, "coupon_id")
        async with self.pool.acquire() as conn:
            row = await store.get_coupon(conn, coupon_id)
        if row is None:
            raise NotFound(f"coupon {coupon_id} does not exist", field="coupon_id", reason="COUPON_NOT_FOUND")
        return row

    async def list(self, consumer_id: str, statuses: list[str], after_id: str, limit: int) -> list[asyncpg.Record]:
        require_id(consumer_id, "consumer_id")
        async with self.pool.acquire() as conn:
            return await store.list_coupons(conn, consumer_id, statuses, after_id, limit)

    async def quote(self, consumer_id: str, place: Place, amount: int, currency: str) -> QuoteResult | None:
        require_id(consumer_id, "consumer_id")
        async with self.pool.acquire() as conn:
            rows = await store.usable_coupons(conn, consumer_id)
        best = domain.best_coupon((coupon_terms(r) for r in rows), place, amount, currency, now_utc())
        if best is None:
            return None
        return QuoteResult(next(r for r in rows if r["id"] == best.coupon_id), best.discount)

    # --- reserve / confirm / release ------------------------------------------------------------------

    async def reserve(
        self, coupon_id: str, trade_id: str, consumer_id: str, place: Place, amount: int, currency: str,
        hold_seconds: int,
    ) -> asyncpg.Record:
        require_id(coupon_id, "coupon_id")
        require_id(trade_id, "trade_id")
        require_id(consumer_id, "consumer_id")
        require(0 <= hold_seconds <= domain.MAX_HOLD_SECONDS, "hold_seconds",
                f"must be between 0 and {domain.MAX_HOLD_SECONDS}")
        hold = hold_seconds or domain.DEFAULT_HOLD_SECONDS
        try:
            return await self._reserve(coupon_id, trade_id, consumer_id, place, amount, currency, hold)
        except asyncpg.UniqueViolationError:
            # A concurrent reserve of the same trade won; answer as the replay would.
            return await self._reserve(coupon_id, trade_id, consumer_id, place, amount, currency, hold)

    async def _reserve(
        self, coupon_id: str, trade_id: str, consumer_id: str, place: Place, amount: int, currency: str,
        hold_seconds: int,
    ) -> asyncpg.Record:
        async with self.pool.acquire() as conn, conn.transaction():
            existing = await store.get_reservation(conn, trade_id, lock=True)
            if existing is not None:
                return self._replayed_reservation(existing, coupon_id)
            coupon = await store.get_coupon(conn, coupon_id, lock=True)
            if coupon is None:
                raise NotFound(f"coupon {coupon_id} does not exist", field="coupon_id", reason="COUPON_NOT_FOUND")
            if coupon["status"] == CouponState.RESERVED.value and coupon["trade_id"] == trade_id:
                existing = await store.get_reservation(conn, trade_id)
                assert existing is not None
                return existing
            discount = self._check_usable(coupon, consumer_id, place, amount, currency)
            reservation = await store.insert_reservation(
                conn, trade_id=trade_id, coupon=coupon, amount=amount, discount=discount,
                store_id=place.store_id, merchant_id=place.merchant_id, hold_seconds=hold_seconds,
            )
            held = await store.set_coupon_state(conn, coupon_id, CouponState.RESERVED.value, trade_id)
            await events.coupon_reserved(conn, coupon_to_pb(held, discount), reservation_to_pb(reservation))
            return reservation

    @staticmethod
    def _replayed_reservation(existing: asyncpg.Record, coupon_id: str) -> asyncpg.Record:
        if existing["coupon_id"] != coupon_id:
            raise FailedPrecondition(
                f"trade {existing['trade_id']} already reserved coupon {existing['coupon_id']}",
                field="trade_id", reason="TRADE_HAS_ANOTHER_COUPON",
            )
        return existing

    @staticmethod
    def _check_usable(coupon: asyncpg.Record, consumer_id: str, place: Place, amount: int, currency: str) -> int:
        """The discount the coupon gives on this purchase; raises naming why it cannot be used."""
        coupon_id = coupon["id"]
        if coupon["consumer_id"] != consumer_id:
            raise PermissionDenied(f"coupon {coupon_id} belongs to another consumer", field="consumer_id",
                                   reason="COUPON_OF_ANOTHER_CONSUMER")
        state = CouponState(coupon["status"])
        if state is CouponState.REDEEMED:
            raise FailedPrecondition(f"coupon {coupon_id} was already redeemed", field="coupon_id",
                                     reason="COUPON_REDEEMED")
        if state is CouponState.RESERVED:
            raise FailedPrecondition(f"coupon {coupon_id} is reserved for another trade", field="coupon_id",
                                     reason="COUPON_RESERVED")
        terms = coupon_terms(coupon)
        why = "COUPON_EXPIRED" if state is CouponState.EXPIRED else domain.usable_reason(
            terms, place, amount, currency, now_utc()
        )
        if why is None:
            return domain.discount_for(terms, amount)
        if why == "CURRENCY_MISMATCH":
            raise InvalidArgument(f"amount.currency: the coupon is in {terms.currency}", field="amount.currency",
                                  reason=why)
        field = {"COUPON_EXPIRED": "coupon_id", "NOT_APPLICABLE_HERE": "merchant_id"}.get(why, "amount.amount")
        messages = {
            "COUPON_EXPIRED": f"coupon {coupon_id} has expired",
            "BELOW_MIN_SPEND": f"coupon {coupon_id} needs a purchase of at least {terms.min_spend} fen",
            "NOT_APPLICABLE_HERE": f"coupon {coupon_id} cannot be used at this merchant",
            "NO_DISCOUNT": f"coupon {coupon_id} takes nothing off {amount} fen",
        }
        raise FailedPrecondition(messages[why], field=field, reason=why)

    async def confirm(self, trade_id: str, coupon_id: str) -> asyncpg.Record:
        require_id(trade_id, "trade_id")
        async with self.pool.acquire() as conn, conn.transaction():
            reservation = await store.get_reservation(conn, trade_id, lock=True)
            if reservation is None:
                await self._refuse_unknown_trade(conn, trade_id, coupon_id)
            assert reservation is not None
            if coupon_id and reservation["coupon_id"] != coupon_id:
                raise FailedPrecondition(
                    f"trade {trade_id} reserved coupon {reservation['coupon_id']}, not {coupon_id}",
                    field="coupon_id", reason="COUPON_RESERVED_FOR_ANOTHER_TRADE",
                )
            if reservation["status"] == "CONFIRMED":
                return reservation
            if reservation["status"] == "RELEASED":
                raise FailedPrecondition(
                    f"the reservation of trade {trade_id} was released ({reservation['release_reason']})",
                    field="trade_id", reason="RESERVATION_RELEASED",
                )
            confirmed = await store.finish_reservation(conn, trade_id, "CONFIRMED")
            coupon = await store.set_coupon_state(conn, confirmed["coupon_id"], CouponState.REDEEMED.value, trade_id)
            await events.coupon_redeemed(conn, coupon_to_pb(coupon, confirmed["discount"]),
                                         reservation_to_pb(confirmed))
            return confirmed

    @staticmethod
    async def _refuse_unknown_trade(conn: asyncpg.Connection, trade_id: str, coupon_id: str) -> None:
        if coupon_id:
            coupon = await store.get_coupon(conn, coupon_id)
            if coupon is not None and coupon["trade_id"] and coupon["trade_id"] != trade_id:
                raise FailedPrecondition(f"coupon {coupon_id} is reserved for another trade", field="coupon_id",
                                         reason="COUPON_RESERVED_FOR_ANOTHER_TRADE")
        raise NotFound(f"trade {trade_id} reserved no coupon", field="trade_id", reason="RESERVATION_NOT_FOUND")

    async def release(self, trade_id: str, reason: str) -> asyncpg.Record:
        require_id(trade_id, "trade_id")
        async with self.pool.acquire() as conn, conn.transaction():
            reservation = await store.get_reservation(conn, trade_id, lock=True)
            if reservation is None:
                raise NotFound(f"trade {trade_id} reserved no coupon", field="trade_id",
                               reason="RESERVATION_NOT_FOUND")
            if reservation["status"] == "CONFIRMED":
                raise FailedPrecondition(f"the coupon of trade {trade_id} was already redeemed", field="trade_id",
                                         reason="RESERVATION_CONFIRMED")
            if reservation["status"] == "RELEASED":
                return reservation
            return await self._release(conn, trade_id, reason or "RELEASED_BY_CALLER")

    async def _release(self, conn: asyncpg.Connection, trade_id: str, reason: str) -> asyncpg.Record:
        released = await store.finish_reservation(conn, trade_id, "RELEASED", reason)
        coupon = await store.get_coupon(conn, released["coupon_id"], lock=True)
        assert coupon is not None
        back_to = domain.state_after_release(now_utc(), coupon["expires_at"])
        coupon = await store.set_coupon_state(conn, coupon["id"], back_to.value, None)
        await events.coupon_released(conn, coupon_to_pb(coupon), reservation_to_pb(released))
        if back_to is CouponState.EXPIRED:
            await events.coupon_expired(conn, coupon_to_pb(coupon))
        return released

    # --- refunds --------------------------------------------------------------------------------------

    async def return_discount(
        self, refund_id: str, trade_id: str, amount: int, currency: str
    ) -> tuple[asyncpg.Record, asyncpg.Record]:
        """Record a refund's share of the discount; returns (the return, the trade's reservation)."""
        require_id(refund_id, "refund_id")
        require_id(trade_id, "trade_id")
        try:
            return await self._return_discount(refund_id, trade_id, amount, currency)
        except asyncpg.UniqueViolationError:
            return await self._return_discount(refund_id, trade_id, amount, currency)

    async def _return_discount(
        self, refund_id: str, trade_id: str, amount: int, currency: str
    ) -> tuple[asyncpg.Record, asyncpg.Record]:
        async with self.pool.acquire() as conn, conn.transaction():
            reservation = await store.get_reservation(conn, trade_id, lock=True)
            if reservation is None:
                raise NotFound(f"trade {trade_id} reserved no coupon", field="trade_id",
                               reason="RESERVATION_NOT_FOUND")
            previous = await store.get_discount_return(conn, refund_id)
            if previous is not None:
                if previous["trade_id"] != trade_id or previous["amount"] != amount:
                    raise AlreadyExists(f"refund {refund_id} was recorded for another trade or amount",
                                        field="refund_id", reason="REFUND_ID_REUSED")
                return previous, reservation
            if reservation["status"] != "CONFIRMED":
                raise FailedPrecondition(f"the coupon of trade {trade_id} was never redeemed", field="trade_id",
                                         reason="RESERVATION_NOT_CONFIRMED")
            if currency != reservation["currency"]:
                raise InvalidArgument(f"amount.currency: the trade is in {reservation['currency']}",
                                      field="amount.currency", reason="CURRENCY_MISMATCH")
            refundable = reservation["amount"] - reservation["refunded_amount"]
            if amount > refundable:
                raise FailedPrecondition(f"only {refundable} fen of trade {trade_id} are left to refund",
                                         field="amount.amount", reason="REFUND_EXCEEDS_TRADE")
            share = domain.discount_share(reservation["discount"], reservation["amount"],
                                          reservation["refunded_amount"], amount)
            recorded = await store.record_discount_return(conn, refund_id, reservation, amount, share)
            updated = await store.get_reservation(conn, trade_id)
            assert updated is not None
            return recorded, updated

    # --- sweeps ---------------------------------------------------------------------------------------

    async def release_timed_out(self) -> int:
        """Release holds whose trade never finished; returns how many."""
        async with self.pool.acquire() as conn, conn.transaction():
            trade_ids = await store.timed_out_reservations(conn)
            for trade_id in trade_ids:
                await self._release(conn, trade_id, TIMEOUT_REASON)
        return len(trade_ids)

    async def expire_due(self) -> int:
        """ISSUED coupons past their validity become EXPIRED, with coupon.expired; returns how many."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await store.expire_due_coupons(conn)
            for row in rows:
                await events.coupon_expired(conn, coupon_to_pb(row))
        return len(rows)
