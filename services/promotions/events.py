"""Events promotions writes to its outbox (subjects `promotions.<type>`), in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from ..gen.scanpay.promotions.v1 import events_pb2, promotions_pb2
from ..kit import events
from .convert import money, timestamp

PRODUCER = "promotions"


async def coupon_issued(conn: asyncpg.Connection, coupon: promotions_pb2.Coupon) -> None:
    await events.append(conn, PRODUCER, "coupon.issued", events_pb2.CouponIssued(coupon=coupon))


async def coupons_issued(conn: asyncpg.Connection, issued: list[tuple[promotions_pb2.Coupon, str]]) -> None:
    """coupon.issued for each (coupon, trace headers as JSON) of a grab batch, in one outbox insert."""
    await events.append_rows(conn, [
        events.outbox_row(PRODUCER, "coupon.issued", events_pb2.CouponIssued(coupon=coupon), headers=headers)
        for coupon, headers in issued
    ])


async def coupon_reserved(
    conn: asyncpg.Connection, coupon: promotions_pb2.Coupon, reservation: promotions_pb2.Reservation
) -> None:
    await events.append(
        conn, PRODUCER, "coupon.reserved", events_pb2.CouponReserved(coupon=coupon, reservation=reservation)
    )


async def coupon_redeemed(
    conn: asyncpg.Connection, coupon: promotions_pb2.Coupon, reservation: promotions_pb2.Reservation
) -> None:
    await events.append(
        conn, PRODUCER, "coupon.redeemed", events_pb2.CouponRedeemed(coupon=coupon, reservation=reservation)
    )


async def coupon_released(
    conn: asyncpg.Connection, coupon: promotions_pb2.Coupon, reservation: promotions_pb2.Reservation
) -> None:
    await events.append(
        conn, PRODUCER, "coupon.released", events_pb2.CouponReleased(coupon=coupon, reservation=reservation)
    )


async def coupon_expired(conn: asyncpg.Connection, coupon: promotions_pb2.Coupon) -> None:
    await events.append(conn, PRODUCER, "coupon.expired", events_pb2.CouponExpired(coupon=coupon))


async def campaign_exhausted(
    conn: asyncpg.Connection, campaign_id: str, issued_count: int, issued_amount: int, currency: str,
    exhausted_at: datetime,
) -> None:
    message = events_pb2.CampaignExhausted(
        campaign_id=campaign_id, issued_count=issued_count, issued_amount=money(issued_amount, currency),
        exhausted_at=timestamp(exhausted_at),
    )
    await events.append(conn, PRODUCER, "campaign.exhausted", message)


async def campaign_ended(
    conn: asyncpg.Connection, campaign_id: str, reason: str, returned: int, currency: str, ended_at: datetime
) -> None:
    message = events_pb2.CampaignEnded(
        campaign_id=campaign_id, reason=reason, returned_amount=money(returned, currency),
        ended_at=timestamp(ended_at),
    )
    await events.append(conn, PRODUCER, "campaign.ended", message)
