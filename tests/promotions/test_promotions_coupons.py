"""Grabs and the coupon lifecycle over gRPC: rules, targeting, quotes, idempotency, timeouts, expiry, events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
from nats.js.api import ConsumerConfig, DeliverPolicy

from services.gen.scanpay.common.v1.common_pb2 import PageRequest
from services.gen.scanpay.events.v1 import envelope_pb2
from services.gen.scanpay.promotions.v1 import events_pb2
from services.gen.scanpay.promotions.v1 import promotions_pb2 as pb
from services.kit.events import Bus
from services.kit.grpc import error_detail
from services.kit.ids import new_id

from .conftest import ADMIN, GATEWAY, Promotions, cny, create_campaign, grab, rpc_error, sub_budget_accounts, ts

MALL_SHOP = dict(merchant_id="mch_food", mall_id="mal_west", mcc="5812", store_id="sto_1")
STREET_SHOP = dict(merchant_id="mch_books", mall_id="", mcc="5942", store_id="sto_2")


async def quote(p: Promotions, consumer_id: str, amount: int, shop: dict[str, str]) -> pb.QuoteBestCouponResponse:
    return await p.stub.QuoteBestCoupon(
        pb.QuoteBestCouponRequest(consumer_id=consumer_id, amount=cny(amount), **shop), metadata=GATEWAY
    )


async def reserve(p: Promotions, coupon: pb.Coupon, trade_id: str, amount: int, shop: dict[str, str] = MALL_SHOP,
                  hold_seconds: int = 0, consumer_id: str | None = None) -> pb.Reservation:
    reply = await p.stub.ReserveCoupon(
        pb.ReserveCouponRequest(coupon_id=coupon.id, trade_id=trade_id, amount=cny(amount),
                                consumer_id=consumer_id or coupon.consumer_id, hold_seconds=hold_seconds, **shop),
        metadata=GATEWAY,
    )
    return reply.reservation


async def confirm(p: Promotions, trade_id: str, coupon_id: str = "") -> pb.Reservation:
    reply = await p.stub.ConfirmCoupon(pb.ConfirmCouponRequest(trade_id=trade_id, coupon_id=coupon_id),
                                       metadata=GATEWAY)
    return reply.reservation


async def release(p: Promotions, trade_id: str) -> pb.Reservation:
    reply = await p.stub.ReleaseCoupon(pb.ReleaseCouponRequest(trade_id=trade_id, reason="PAYMENT_FAILED"),
                                       metadata=GATEWAY)
    return reply.reservation


async def coupon_of(p: Promotions, coupon_id: str) -> pb.Coupon:
    return (await p.stub.GetCoupon(pb.GetCouponRequest(coupon_id=coupon_id), metadata=GATEWAY)).coupon


async def granted(p: Promotions, campaign_id: str, consumer_id: str) -> pb.Coupon:
    reply = await grab(p, campaign_id, consumer_id)
    assert reply.status == pb.GRAB_STATUS_GRANTED, reply
    return reply.coupon


async def published(bus: Bus, subject: str, wanted: set[str], types: set[str],
                    timeout: float = 15) -> dict[str, envelope_pb2.Envelope]:
    """Events of `types` on JetStream under `subject` whose data mentions one of the `wanted` ids."""
    sub = await bus.js.subscribe(subject, stream="PROMOTIONS", ordered_consumer=True,
                                 config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL))
    found: dict[str, envelope_pb2.Envelope] = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while not types <= set(found) and loop.time() < deadline:
            try:
                msg = await sub.next_msg(timeout=1)
            except TimeoutError:
                continue
            envelope = envelope_pb2.Envelope.FromString(msg.data)
            if envelope.type in types and any(ident.encode() in envelope.data.value for ident in wanted):
                found[envelope.type] = envelope
    finally:
        await sub.unsubscribe()
    return found


async def test_the_happy_path_grab_quote_reserve_confirm(promotions: Promotions, bus: Bus) -> None:
    campaign = await create_campaign(promotions, budget=cny(3_000), count=3)
    coupon = await granted(promotions, campaign.id, "csm_happy")
    assert coupon.status == pb.COUPON_STATUS_ISSUED and coupon.value.amount == 1_000
    assert coupon.expires_at.ToDatetime(UTC) > datetime.now(UTC) + timedelta(days=6)

    best = await quote(promotions, "csm_happy", 2_500, MALL_SHOP)
    assert best.found and best.coupon.id == coupon.id
    assert best.discount.amount == 1_000 and best.pay_amount.amount == 1_500
    # The coupon draws on the sub-budget of its envelope, and quotes and reservations name that account.
    assert coupon.budget_account_id in await sub_budget_accounts(promotions, campaign.id)
    assert best.budget_account_id == coupon.budget_account_id

    trade = new_id("trd")
    held = await reserve(promotions, coupon, trade, 2_500)
    assert held.status == pb.RESERVATION_STATUS_RESERVED and held.discount.amount == 1_000
    assert held.budget_account_id == coupon.budget_account_id
    assert (await reserve(promotions, coupon, trade, 2_500)).trade_id == trade  # idempotent by trade id
    assert (await coupon_of(promotions, coupon.id)).status == pb.COUPON_STATUS_RESERVED
    # A reserved coupon is no longer quoted for another payment.
    assert not (await quote(promotions, "csm_happy", 2_500, MALL_SHOP)).found

    done = await confirm(promotions, trade, coupon.id)
    assert done.status == pb.RESERVATION_STATUS_CONFIRMED
    assert (await confirm(promotions, trade)).status == pb.RESERVATION_STATUS_CONFIRMED  # idempotent
    redeemed = await coupon_of(promotions, coupon.id)
    assert redeemed.status == pb.COUPON_STATUS_REDEEMED and redeemed.trade_id == trade
    error = await rpc_error(release(promotions, trade))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION

    wanted = {"coupon.issued", "coupon.reserved", "coupon.redeemed"}
    seen = await published(bus, "promotions.coupon.>", {coupon.id}, wanted)
    assert wanted <= set(seen)
    redeemed_event = events_pb2.CouponRedeemed()
    seen["coupon.redeemed"].data.Unpack(redeemed_event)
    assert redeemed_event.reservation.discount.amount == 1_000 and redeemed_event.reservation.trade_id == trade


async def test_release_puts_the_coupon_back_for_another_trade(promotions: Promotions) -> None:
    campaign = await create_campaign(promotions)
    coupon = await granted(promotions, campaign.id, "csm_release")
    first, second = new_id("trd"), new_id("trd")
    await reserve(promotions, coupon, first, 5_000)
    error = await rpc_error(reserve(promotions, coupon, second, 5_000))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and error_detail(error).reason == "COUPON_RESERVED"
    released = await release(promotions, first)
    assert released.status == pb.RESERVATION_STATUS_RELEASED and released.release_reason == "PAYMENT_FAILED"
    assert (await release(promotions, first)).status == pb.RESERVATION_STATUS_RELEASED  # idempotent
    assert (await coupon_of(promotions, coupon.id)).status == pb.COUPON_STATUS_ISSUED
    assert (await reserve(promotions, coupon, second, 5_000)).status == pb.RESERVATION_STATUS_RESERVED
    error = await rpc_error(confirm(promotions, first))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_detail(error).reason == "RESERVATION_RELEASED"


async def test_confirming_a_coupon_reserved_for_another_trade_is_refused(promotions: Promotions) -> None:
    campaign = await create_campaign(promotions)
    coupon = await granted(promotions, campaign.id, "csm_other_trade")
    mine = new_id("trd")
    await reserve(promotions, coupon, mine, 5_000)
    error = await rpc_error(confirm(promotions, new_id("trd"), coupon.id))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and error_detail(error).field == "coupon_id"
    error = await rpc_error(confirm(promotions, new_id("trd")))
    assert error.code() == grpc.StatusCode.NOT_FOUND and error_detail(error).field == "trade_id"
    assert (await coupon_of(promotions, coupon.id)).status == pb.COUPON_STATUS_RESERVED


async def test_reserve_refuses_what_the_coupon_does_not_allow(promotions: Promotions) -> None:
    campaign = await create_campaign(
        promotions, min_spend=cny(2_000), targeting=pb.Targeting(kind=pb.TARGET_KIND_MALL, mall_id="mal_west")
    )
    coupon = await granted(promotions, campaign.id, "csm_rules")
    cases = [
        (dict(amount=1_999), grpc.StatusCode.FAILED_PRECONDITION, "amount.amount"),
        (dict(amount=5_000, shop=STREET_SHOP), grpc.StatusCode.FAILED_PRECONDITION, "merchant_id"),
        (dict(amount=5_000, consumer_id="csm_thief"), grpc.StatusCode.PERMISSION_DENIED, "consumer_id"),
    ]
    for kwargs, code, field in cases:
        error = await rpc_error(reserve(promotions, coupon, new_id("trd"), **kwargs))  # type: ignore[arg-type]
        assert (error.code(), error_detail(error).field) == (code, field)
    error = await rpc_error(promotions.stub.ReserveCoupon(
        pb.ReserveCouponRequest(coupon_id="cpn_missing", trade_id=new_id("trd"), amount=cny(100),
                                consumer_id="csm_rules", **MALL_SHOP), metadata=GATEWAY))
    assert error.code() == grpc.StatusCode.NOT_FOUND and error_detail(error).field == "coupon_id"
    async with promotions.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM reservations WHERE coupon_id = $1", coupon.id) == 0
    assert (await coupon_of(promotions, coupon.id)).status == pb.COUPON_STATUS_ISSUED
    trade = new_id("trd")
    await reserve(promotions, coupon, trade, 2_000)
    other = await granted(promotions, (await create_campaign(promotions)).id, "csm_rules")
    error = await rpc_error(reserve(promotions, other, trade, 2_000))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and error_detail(error).field == "trade_id"


async def test_grab_rules_limit_replay_not_started_exhausted(promotions: Promotions, bus: Bus) -> None:
    campaign = await create_campaign(promotions, budget=cny(300), count=3, per_consumer_limit=2)
    first = await grab(promotions, campaign.id, "csm_limit", "req-1")
    again = await grab(promotions, campaign.id, "csm_limit", "req-1")
    assert again.status == pb.GRAB_STATUS_GRANTED and again.coupon.id == first.coupon.id
    assert (await grab(promotions, campaign.id, "csm_limit", "req-2")).status == pb.GRAB_STATUS_GRANTED
    over = await grab(promotions, campaign.id, "csm_limit", "req-3")
    assert over.status == pb.GRAB_STATUS_LIMIT_REACHED and not over.HasField("coupon") and over.message
    # A replay of a granted request is still granted once the limit is reached.
    assert (await grab(promotions, campaign.id, "csm_limit", "req-1")).coupon.id == first.coupon.id
    assert (await grab(promotions, campaign.id, "csm_last")).status == pb.GRAB_STATUS_GRANTED
    assert (await grab(promotions, campaign.id, "csm_late")).status == pb.GRAB_STATUS_EXHAUSTED
    got = (await promotions.stub.GetCampaign(pb.GetCampaignRequest(campaign_id=campaign.id), metadata=GATEWAY))
    assert got.campaign.status == pb.CAMPAIGN_STATUS_EXHAUSTED
    assert got.campaign.issued_count == 3 and got.campaign.issued_amount.amount == 300
    seen = await published(bus, "promotions.campaign.>", {campaign.id}, {"campaign.exhausted"})
    assert "campaign.exhausted" in seen
    await promotions.stub.EndCampaign(pb.EndCampaignRequest(campaign_id=campaign.id), metadata=ADMIN)
    assert (await grab(promotions, campaign.id, "csm_after_end")).status == pb.GRAB_STATUS_ENDED
    assert (await grab(promotions, campaign.id, "csm_limit", "req-1")).coupon.id == first.coupon.id

    later = datetime.now(UTC) + timedelta(days=1)
    upcoming = await create_campaign(promotions, starts_at=ts(later), ends_at=ts(later + timedelta(days=1)))
    assert (await grab(promotions, upcoming.id, "csm_early")).status == pb.GRAB_STATUS_NOT_STARTED


async def test_consumers_grab_only_for_themselves(promotions: Promotions) -> None:
    campaign = await create_campaign(promotions)
    as_consumer = (("x-scanpay-actor", "consumer:csm_self"),)
    reply = await promotions.stub.GrabRedEnvelope(
        pb.GrabRedEnvelopeRequest(campaign_id=campaign.id, consumer_id="csm_self", request_id="r"),
        metadata=as_consumer)
    assert reply.status == pb.GRAB_STATUS_GRANTED
    error = await rpc_error(promotions.stub.GrabRedEnvelope(
        pb.GrabRedEnvelopeRequest(campaign_id=campaign.id, consumer_id="csm_else", request_id="r"),
        metadata=as_consumer))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_quote_picks_the_coupon_that_saves_the_most_where_it_applies(promotions: Promotions) -> None:
    consumer = "csm_quote"
    mall = await create_campaign(promotions, budget=cny(5_000), count=10,
                                 targeting=pb.Targeting(kind=pb.TARGET_KIND_MALL, mall_id="mal_west"))
    books = await create_campaign(promotions, budget=cny(8_000), count=10,
                                  targeting=pb.Targeting(kind=pb.TARGET_KIND_MERCHANTS, merchant_ids=["mch_books"]))
    food_percent = await create_campaign(
        promotions, budget=cny(30_000), count=10, discount_kind=pb.DISCOUNT_KIND_PERCENT_OFF, percent_off=20,
        targeting=pb.Targeting(kind=pb.TARGET_KIND_MCC, mccs=["5812"]))
    big_min_spend = await create_campaign(promotions, budget=cny(20_000), count=10, min_spend=cny(50_000))
    coupons = {c.id: await granted(promotions, c.id, consumer) for c in (mall, books, food_percent, big_min_spend)}
    by_campaign = {c.campaign_id: c for c in coupons.values()}

    # 100.00 at the mall restaurant: 20 % = 20.00 (cap 30.00) beats the mall's 5.00.
    best = await quote(promotions, consumer, 10_000, MALL_SHOP)
    assert best.coupon.id == by_campaign[food_percent.id].id and best.discount.amount == 2_000
    assert best.budget_account_id == by_campaign[food_percent.id].budget_account_id
    # 10.00 there: 20 % = 2.00 loses to the flat 5.00.
    best = await quote(promotions, consumer, 1_000, MALL_SHOP)
    assert best.coupon.id == by_campaign[mall.id].id and best.discount.amount == 500
    # The bookshop outside the mall: only the bookshop coupon applies.
    best = await quote(promotions, consumer, 1_000, STREET_SHOP)
    assert best.coupon.id == by_campaign[books.id].id and best.discount.amount == 800
    # 600.00 anywhere meets the 500.00 minimum spend of the 20.00 coupon for everyone.
    best = await quote(promotions, consumer, 60_000, STREET_SHOP)
    assert best.coupon.id == by_campaign[big_min_spend.id].id and best.discount.amount == 2_000
    none = await quote(promotions, "csm_nobody", 60_000, STREET_SHOP)
    assert not none.found and none.pay_amount.amount == 60_000


async def test_an_unconfirmed_reservation_times_out(promotions: Promotions, bus: Bus) -> None:
    campaign = await create_campaign(promotions)
    coupon = await granted(promotions, campaign.id, "csm_timeout")
    trade = new_id("trd")
    await reserve(promotions, coupon, trade, 5_000, hold_seconds=1)
    for _ in range(100):
        await asyncio.sleep(0.1)
        if (await coupon_of(promotions, coupon.id)).status == pb.COUPON_STATUS_ISSUED:
            break
    assert (await coupon_of(promotions, coupon.id)).status == pb.COUPON_STATUS_ISSUED
    error = await rpc_error(confirm(promotions, trade))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and "TIMEOUT" in error.details()
    seen = await published(bus, "promotions.coupon.released", {coupon.id}, {"coupon.released"})
    released = events_pb2.CouponReleased()
    seen["coupon.released"].data.Unpack(released)
    assert released.reservation.release_reason == "TIMEOUT"


async def test_an_expired_coupon_cannot_be_used(promotions: Promotions, bus: Bus) -> None:
    campaign = await create_campaign(promotions, validity_days=1)
    coupon = await granted(promotions, campaign.id, "csm_expiry")
    async with promotions.pool.acquire() as conn:  # a day passes
        await conn.execute("UPDATE coupons SET expires_at = now() - interval '1 second' WHERE id = $1", coupon.id)
    error = await rpc_error(reserve(promotions, coupon, new_id("trd"), 5_000))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert (error_detail(error).reason, error_detail(error).field) == ("COUPON_EXPIRED", "coupon_id")
    for _ in range(100):
        if (await coupon_of(promotions, coupon.id)).status == pb.COUPON_STATUS_EXPIRED:
            break
        await asyncio.sleep(0.1)
    assert (await coupon_of(promotions, coupon.id)).status == pb.COUPON_STATUS_EXPIRED
    assert "coupon.expired" in await published(bus, "promotions.coupon.expired", {coupon.id}, {"coupon.expired"})


async def test_refunds_give_the_discount_back_in_proportion(promotions: Promotions) -> None:
    campaign = await create_campaign(promotions, budget=cny(3_333), count=1)
    coupon = await granted(promotions, campaign.id, "csm_refund")
    trade = new_id("trd")
    await reserve(promotions, coupon, trade, 10_000)
    await confirm(promotions, trade)

    async def refund(refund_id: str, amount: int) -> pb.ReturnDiscountResponse:
        return await promotions.stub.ReturnDiscount(
            pb.ReturnDiscountRequest(refund_id=refund_id, trade_id=trade, amount=cny(amount)), metadata=GATEWAY)

    first = await refund("rfd_1", 3_000)  # 30 % of the price -> 30 % of 33.33 = 9.99
    assert first.discount_returned.amount == 999 and first.budget_account_id == coupon.budget_account_id
    assert (await refund("rfd_1", 3_000)).discount_returned.amount == 999  # idempotent
    error = await rpc_error(refund("rfd_2", 7_001))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and error_detail(error).field == "amount.amount"
    last = await refund("rfd_3", 7_000)
    assert last.discount_returned.amount == 3_333 - 999 and last.total_discount_returned.amount == 3_333
    got = await promotions.stub.GetCampaign(pb.GetCampaignRequest(campaign_id=campaign.id), metadata=GATEWAY)
    assert got.campaign.refunded_discount.amount == 3_333 and got.campaign.redeemed_amount.amount == 3_333


async def test_list_coupons_filters_by_status_and_pages(promotions: Promotions) -> None:
    consumer = "csm_list"
    campaign = await create_campaign(promotions, per_consumer_limit=5)
    coupons = [await granted(promotions, campaign.id, consumer) for _ in range(5)]
    trade = new_id("trd")
    await reserve(promotions, coupons[0], trade, 5_000)
    await confirm(promotions, trade)

    async def listed(statuses: list[int]) -> list[str]:
        ids, token = [], ""
        while True:
            reply = await promotions.stub.ListCoupons(
                pb.ListCouponsRequest(consumer_id=consumer, statuses=statuses,
                                      page=PageRequest(page_size=2, page_token=token)), metadata=GATEWAY)
            ids += [c.id for c in reply.coupons]
            token = reply.page.next_page_token
            if not token:
                return ids

    assert await listed([]) == sorted(c.id for c in coupons)
    assert await listed([pb.COUPON_STATUS_ISSUED]) == sorted(c.id for c in coupons[1:])
    assert await listed([pb.COUPON_STATUS_REDEEMED]) == [coupons[0].id]
