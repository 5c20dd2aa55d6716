"""gRPC handlers of the promotions service: authorisation, request parsing, replies."""

from __future__ import annotations

from ..gen.scanpay.common.v1 import common_pb2
from ..gen.scanpay.promotions.v1 import promotions_pb2 as pb
from ..gen.scanpay.promotions.v1 import promotions_pb2_grpc
from ..kit.auth import actor, require_admin
from ..kit.errors import InvalidArgument, PermissionDenied, require
from ..kit.ids import has_prefix
from ..kit.service import Runtime
from . import domain
from .budget import WalletBudget
from .campaigns import Campaigns, validate_end_reason
from .convert import (
    COUPON_STATUS_NAMES,
    GRAB_STATUSES,
    campaign_to_pb,
    coupon_to_pb,
    money,
    reservation_to_pb,
)
from .coupons import Coupons, require_money
from .domain import GrabOutcome, Place

PAGE_DEFAULT = 50
PAGE_MAX = 200
# Refused grabs all get one of these few answers: built once, serialised per call (never changed).
REFUSALS = {
    outcome: pb.GrabRedEnvelopeResponse(status=GRAB_STATUSES[outcome], message=domain.GRAB_MESSAGES[outcome])
    for outcome in GrabOutcome if outcome is not GrabOutcome.GRANTED
}


def require_consumer_access(consumer_id: str) -> None:
    """Consumers act only for themselves; services (the gateway) and admins for anyone."""
    who = actor()
    if who.kind in ("admin", "service") or (who.kind == "consumer" and who.id == consumer_id):
        return
    raise PermissionDenied(f"{who.header()} may not act for consumer {consumer_id}", field="consumer_id")


def require_service() -> None:
    """Reserve / confirm / release / refunds belong to the payment saga, not to end users."""
    who = actor()
    if who.kind not in ("admin", "service"):
        raise PermissionDenied(f"{who.header()} may not change reservations")


def page_after(page: common_pb2.PageRequest, prefix: str) -> tuple[str, int]:
    """(id to continue after, page size); the token is the last id of the previous page."""
    require(page.page_size >= 0, "page.page_size", f"must not be negative, got {page.page_size}")
    token = page.page_token
    if token and not has_prefix(token, prefix):
        raise InvalidArgument("page.page_token: not a token this service issued", field="page.page_token")
    return token, min(page.page_size or PAGE_DEFAULT, PAGE_MAX)


def next_token(ids: list[str], size: int) -> common_pb2.PageResponse:
    return common_pb2.PageResponse(next_page_token=ids[-1] if len(ids) == size else "")


def place_of(merchant_id: str, mall_id: str, mcc: str, store_id: str) -> Place:
    require(bool(merchant_id), "merchant_id", "is required")
    return Place(merchant_id=merchant_id, mall_id=mall_id, mcc=mcc, store_id=store_id)


class PromotionsApi(promotions_pb2_grpc.PromotionsServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.campaigns = Campaigns(runtime.pool, WalletBudget(runtime.channel("wallet")))
        self.coupons = Coupons(runtime.pool)

    # --- campaigns ------------------------------------------------------------------------------------

    async def CreateCampaign(self, request: pb.CreateCampaignRequest, context: object) -> pb.CreateCampaignResponse:
        require_admin()
        row = await self.campaigns.create(request)
        return pb.CreateCampaignResponse(campaign=campaign_to_pb(row))

    async def EndCampaign(self, request: pb.EndCampaignRequest, context: object) -> pb.EndCampaignResponse:
        require_admin()
        row = await self.campaigns.end(request.campaign_id, validate_end_reason(request.reason))
        self.coupons.grabs.ended(row["id"])
        return pb.EndCampaignResponse(campaign=campaign_to_pb(row))

    async def GetCampaign(self, request: pb.GetCampaignRequest, context: object) -> pb.GetCampaignResponse:
        row = await self.campaigns.get(request.campaign_id)
        return pb.GetCampaignResponse(campaign=campaign_to_pb(row))

    async def ListActiveCampaigns(
        self, request: pb.ListActiveCampaignsRequest, context: object
    ) -> pb.ListActiveCampaignsResponse:
        after, size = page_after(request.page, "cmp")
        rows = await self.campaigns.list_active(request.mall_id, request.merchant_id, request.mcc, after, size)
        return pb.ListActiveCampaignsResponse(
            campaigns=[campaign_to_pb(r) for r in rows], page=next_token([r["id"] for r in rows], size)
        )

    # --- grabs and coupons ----------------------------------------------------------------------------

    async def GrabRedEnvelope(
        self, request: pb.GrabRedEnvelopeRequest, context: object
    ) -> pb.GrabRedEnvelopeResponse:
        require_consumer_access(request.consumer_id)
        result = await self.coupons.grab(request.campaign_id, request.consumer_id, request.request_id)
        if result.coupon is None:
            return REFUSALS[result.outcome]
        reply = pb.GrabRedEnvelopeResponse(status=pb.GRAB_STATUS_GRANTED,
                                           message=domain.GRAB_MESSAGES[GrabOutcome.GRANTED])
        reply.coupon.CopyFrom(result.coupon)
        return reply

    async def GetCoupon(self, request: pb.GetCouponRequest, context: object) -> pb.GetCouponResponse:
        row = await self.coupons.get(request.coupon_id)
        require_consumer_access(row["consumer_id"])
        return pb.GetCouponResponse(coupon=coupon_to_pb(row))

    async def ListCoupons(self, request: pb.ListCouponsRequest, context: object) -> pb.ListCouponsResponse:
        require_consumer_access(request.consumer_id)
        statuses = []
        for i, status in enumerate(request.statuses):
            require(status in COUPON_STATUS_NAMES, f"statuses[{i}]", f"unknown coupon status {status}")
            statuses.append(COUPON_STATUS_NAMES[status])
        after, size = page_after(request.page, "cpn")
        rows = await self.coupons.list(request.consumer_id, statuses, after, size)
        return pb.ListCouponsResponse(
            coupons=[coupon_to_pb(r) for r in rows], page=next_token([r["id"] for r in rows], size)
        )

    async def QuoteBestCoupon(
        self, request: pb.QuoteBestCouponRequest, context: object
    ) -> pb.QuoteBestCouponResponse:
        require_consumer_access(request.consumer_id)
        amount, currency = require_money(request.amount, request.HasField("amount"), "amount")
        place = place_of(request.merchant_id, request.mall_id, request.mcc, request.store_id)
        quote = await self.coupons.quote(request.consumer_id, place, amount, currency)
        if quote is None:
            return pb.QuoteBestCouponResponse(
                found=False, discount=money(0, currency), pay_amount=money(amount, currency)
            )
        return pb.QuoteBestCouponResponse(
            found=True,
            coupon=coupon_to_pb(quote.coupon, quote.discount),
            discount=money(quote.discount, currency),
            pay_amount=money(amount - quote.discount, currency),
            budget_account_id=quote.coupon["budget_account_id"],
        )

    async def ReserveCoupon(self, request: pb.ReserveCouponRequest, context: object) -> pb.ReserveCouponResponse:
        require_service()
        amount, currency = require_money(request.amount, request.HasField("amount"), "amount")
        place = place_of(request.merchant_id, request.mall_id, request.mcc, request.store_id)
        row = await self.coupons.reserve(
            request.coupon_id, request.trade_id, request.consumer_id, place, amount, currency, request.hold_seconds
        )
        return pb.ReserveCouponResponse(reservation=reservation_to_pb(row))

    async def ConfirmCoupon(self, request: pb.ConfirmCouponRequest, context: object) -> pb.ConfirmCouponResponse:
        require_service()
        row = await self.coupons.confirm(request.trade_id, request.coupon_id)
        return pb.ConfirmCouponResponse(reservation=reservation_to_pb(row))

    async def ReleaseCoupon(self, request: pb.ReleaseCouponRequest, context: object) -> pb.ReleaseCouponResponse:
        require_service()
        row = await self.coupons.release(request.trade_id, validate_end_reason(request.reason))
        return pb.ReleaseCouponResponse(reservation=reservation_to_pb(row))

    async def ReturnDiscount(
        self, request: pb.ReturnDiscountRequest, context: object
    ) -> pb.ReturnDiscountResponse:
        require_service()
        amount, currency = require_money(request.amount, request.HasField("amount"), "amount")
        recorded, reservation = await self.coupons.return_discount(
            request.refund_id, request.trade_id, amount, currency
        )
        currency = reservation["currency"]
        return pb.ReturnDiscountResponse(
            discount_returned=money(recorded["discount_returned"], currency),
            budget_account_id=reservation["budget_account_id"],
            campaign_id=reservation["campaign_id"],
            coupon_id=reservation["coupon_id"],
            total_discount_returned=money(reservation["discount_returned"], currency),
        )
