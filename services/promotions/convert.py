"""Between protobuf messages, domain values and database rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..gen.scanpay.common.v1 import common_pb2
from ..gen.scanpay.promotions.v1 import promotions_pb2 as pb
from ..kit.proto import set_timestamp, timestamp
from .domain import CouponTerms, DiscountKind, GrabOutcome, Split, Targeting, TargetKind

Row = Mapping[str, Any]

SPLITS = {pb.SPLIT_MODE_FIXED: Split.FIXED, pb.SPLIT_MODE_RANDOM: Split.RANDOM}
DISCOUNT_KINDS = {
    pb.DISCOUNT_KIND_AMOUNT_OFF: DiscountKind.AMOUNT_OFF,
    pb.DISCOUNT_KIND_PERCENT_OFF: DiscountKind.PERCENT_OFF,
}
TARGET_KINDS = {
    pb.TARGET_KIND_EVERYONE: TargetKind.EVERYONE,
    pb.TARGET_KIND_MALL: TargetKind.MALL,
    pb.TARGET_KIND_MERCHANTS: TargetKind.MERCHANTS,
    pb.TARGET_KIND_MCC: TargetKind.MCC,
}
CAMPAIGN_STATUSES = {
    "FUNDING": pb.CAMPAIGN_STATUS_FUNDING,
    "ACTIVE": pb.CAMPAIGN_STATUS_ACTIVE,
    "EXHAUSTED": pb.CAMPAIGN_STATUS_EXHAUSTED,
    "ENDED": pb.CAMPAIGN_STATUS_ENDED,
}
COUPON_STATUSES = {
    "ISSUED": pb.COUPON_STATUS_ISSUED,
    "RESERVED": pb.COUPON_STATUS_RESERVED,
    "REDEEMED": pb.COUPON_STATUS_REDEEMED,
    "EXPIRED": pb.COUPON_STATUS_EXPIRED,
}
COUPON_STATUS_NAMES = {value: name for name, value in COUPON_STATUSES.items()}
RESERVATION_STATUSES = {
    "RESERVED": pb.RESERVATION_STATUS_RESERVED,
    "CONFIRMED": pb.RESERVATION_STATUS_CONFIRMED,
    "RELEASED": pb.RESERVATION_STATUS_RELEASED,
}
GRAB_STATUSES = {
    GrabOutcome.GRANTED: pb.GRAB_STATUS_GRANTED,
    GrabOutcome.EXHAUSTED: pb.GRAB_STATUS_EXHAUSTED,
    GrabOutcome.LIMIT_REACHED: pb.GRAB_STATUS_LIMIT_REACHED,
    GrabOutcome.NOT_STARTED: pb.GRAB_STATUS_NOT_STARTED,
    GrabOutcome.ENDED: pb.GRAB_STATUS_ENDED,
}


def money(amount: int, currency: str) -> common_pb2.Money:
    return common_pb2.Money(amount=amount, currency=currency)


def targeting_from_row(row: Row) -> Targeting:
    return Targeting(
        kind=TargetKind(row["target_kind"]),
        mall_id=row["target_mall_id"],
        merchant_ids=tuple(row["target_merchant_ids"]),
        mccs=tuple(row["target_mccs"]),
    )


def targeting_to_pb(targeting: Targeting) -> pb.Targeting:
    kind = next(k for k, v in TARGET_KINDS.items() if v is targeting.kind)
    return pb.Targeting(
        kind=kind, mall_id=targeting.mall_id, merchant_ids=list(targeting.merchant_ids), mccs=list(targeting.mccs)
    )


def discount_kind_to_pb(name: str) -> int:
    return next(k for k, v in DISCOUNT_KINDS.items() if v.value == name)


def campaign_to_pb(row: Row) -> pb.Campaign:
    currency = row["currency"]
    return pb.Campaign(
        id=row["id"],
        name=row["name"],
        status=CAMPAIGN_STATUSES[row["status"]],
        budget=money(row["budget"], currency),
        count=row["count"],
        split=pb.SPLIT_MODE_FIXED if row["split"] == Split.FIXED.value else pb.SPLIT_MODE_RANDOM,
        min_amount=money(row["min_amount"], currency),
        max_amount=money(row["max_amount"], currency),
        seed=row["seed"],
        starts_at=timestamp(row["starts_at"]),
        ends_at=timestamp(row["ends_at"]),
        per_consumer_limit=row["per_consumer_limit"],
        targeting=targeting_to_pb(targeting_from_row(row)),
        discount_kind=discount_kind_to_pb(row["discount_kind"]),
        percent_off=row["percent_off"],
        min_spend=money(row["min_spend"], currency),
        validity_days=row["validity_days"],
        budget_account_id=row["budget_account_id"],
        issued_count=row["issued_count"],
        issued_amount=money(row["issued_amount"], currency),
        redeemed_amount=money(row["redeemed_amount"], currency),
        returned_amount=money(row["returned_amount"] + (row["settled_amount"] or 0), currency),
        refunded_discount=money(row["refunded_discount"], currency),
        created_at=timestamp(row["created_at"]),
        ended_at=timestamp(row["ended_at"]),
        end_reason=row["end_reason"],
    )


def coupon_terms(row: Row) -> CouponTerms:
    return CouponTerms(
        coupon_id=row["id"],
        value=row["value"],
        discount_kind=DiscountKind(row["discount_kind"]),
        percent_off=row["percent_off"],
        min_spend=row["min_spend"],
        targeting=targeting_from_row(row),
        expires_at=row["expires_at"],
        currency=row["currency"],
    )


def coupon_to_pb(row: Row, discount: int | None = None) -> pb.Coupon:
    currency = row["currency"]
    coupon = pb.Coupon(
        id=row["id"],
        campaign_id=row["campaign_id"],
        campaign_name=row["campaign_name"],
        consumer_id=row["consumer_id"],
        status=COUPON_STATUSES[row["status"]],
        value=money(row["value"], currency),
        discount_kind=discount_kind_to_pb(row["discount_kind"]),
        percent_off=row["percent_off"],
        min_spend=money(row["min_spend"], currency),
        targeting=targeting_to_pb(targeting_from_row(row)),
        issued_at=timestamp(row["issued_at"]),
        expires_at=timestamp(row["expires_at"]),
        trade_id=row["trade_id"] or "",
        budget_account_id=row["budget_account_id"],
    )
    if discount is not None:
        coupon.discount.CopyFrom(money(discount, currency))
    return coupon


def coupon_template(campaign: Row) -> pb.Coupon:
    """The fields every coupon of a campaign shares (from its campaign row), built once per campaign."""
    return pb.Coupon(
        campaign_id=campaign["id"],
        campaign_name=campaign["name"],
        discount_kind=discount_kind_to_pb(campaign["discount_kind"]),
        percent_off=campaign["percent_off"],
        min_spend=money(campaign["min_spend"], campaign["currency"]),
        targeting=targeting_to_pb(targeting_from_row(campaign)),
    )


def coupon_from_template(template: pb.Coupon, currency: str, consumer_id: str, row: Row) -> pb.Coupon:
    """The same message as coupon_to_pb, from the campaign's template and the coupon's own columns (id, status,
    value, trade_id, issued_at, expires_at, budget_account_id): a copy and a few fields instead of building
    every nested message again on the grab path."""
    coupon = pb.Coupon()
    coupon.CopyFrom(template)
    coupon.id = row["id"]
    coupon.consumer_id = consumer_id
    coupon.status = COUPON_STATUSES[row["status"]]
    coupon.value.amount = row["value"]
    coupon.value.currency = currency
    set_timestamp(coupon.issued_at, row["issued_at"])
    set_timestamp(coupon.expires_at, row["expires_at"])
    coupon.trade_id = row["trade_id"] or ""
    coupon.budget_account_id = row["budget_account_id"]
    return coupon


def reservation_to_pb(row: Row) -> pb.Reservation:
    currency = row["currency"]
    return pb.Reservation(
        trade_id=row["trade_id"],
        coupon_id=row["coupon_id"],
        campaign_id=row["campaign_id"],
        consumer_id=row["consumer_id"],
        status=RESERVATION_STATUSES[row["status"]],
        amount=money(row["amount"], currency),
        discount=money(row["discount"], currency),
        budget_account_id=row["budget_account_id"],
        expires_at=timestamp(row["expires_at"]),
        release_reason=row["release_reason"],
    )
