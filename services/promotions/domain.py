"""Pure promotions rules: campaign validation, the budget split, targeting, discounts, grabs, refunds.

No I/O here: the store and the API call these with plain values.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from ..kit.errors import InvalidArgument, require

MAX_FEN = 2**63 - 1
# Envelope rows are written at creation; this bounds one campaign's insert and memory.
MAX_COUNT = 1_000_000
MAX_VALIDITY_DAYS = 366
DEFAULT_VALIDITY_DAYS = 7
DEFAULT_HOLD_SECONDS = 300
MAX_HOLD_SECONDS = 3600
# A wallet batch holds at most 64 transfers, and a campaign's sub-budgets are funded in one batch.
MAX_SUB_BUDGETS = 64


class Split(str, Enum):
    FIXED = "FIXED"
    RANDOM = "RANDOM"


class DiscountKind(str, Enum):
    AMOUNT_OFF = "AMOUNT_OFF"
    PERCENT_OFF = "PERCENT_OFF"


class TargetKind(str, Enum):
    EVERYONE = "EVERYONE"
    MALL = "MALL"
    MERCHANTS = "MERCHANTS"
    MCC = "MCC"


class GrabOutcome(str, Enum):
    GRANTED = "GRANTED"
    EXHAUSTED = "EXHAUSTED"
    LIMIT_REACHED = "LIMIT_REACHED"
    NOT_STARTED = "NOT_STARTED"
    ENDED = "ENDED"


GRAB_MESSAGES: dict[GrabOutcome, str] = {
    GrabOutcome.GRANTED: "red envelope granted",
    GrabOutcome.EXHAUSTED: "every red envelope of this campaign has been grabbed",
    GrabOutcome.LIMIT_REACHED: "this consumer already holds the most envelopes the campaign allows",
    GrabOutcome.NOT_STARTED: "the campaign has not started yet",
    GrabOutcome.ENDED: "the campaign has ended",
}


@dataclass(frozen=True)
class Targeting:
    kind: TargetKind = TargetKind.EVERYONE
    mall_id: str = ""
    merchant_ids: tuple[str, ...] = ()
    mccs: tuple[str, ...] = ()

    def applies(self, place: Place) -> bool:
        """Whether a coupon with this targeting may be spent at `place`."""
        if self.kind is TargetKind.EVERYONE:
            return True
        if self.kind is TargetKind.MALL:
            return bool(place.mall_id) and place.mall_id == self.mall_id
        if self.kind is TargetKind.MERCHANTS:
            return place.merchant_id in self.merchant_ids
        return place.mcc in self.mccs


@dataclass(frozen=True)
class Place:
    """Where a purchase happens; the gateway resolves these from the store."""

    merchant_id: str
    mall_id: str = ""
    mcc: str = ""
    store_id: str = ""


@dataclass(frozen=True)
class CampaignDraft:
    """A validated CreateCampaign request."""

    name: str
    currency: str
    budget: int
    count: int
    split: Split
    min_amount: int
    max_amount: int
    seed: int
    starts_at: datetime
    ends_at: datetime
    per_consumer_limit: int
    targeting: Targeting
    discount_kind: DiscountKind
    percent_off: int
    min_spend: int
    validity_days: int


@dataclass(frozen=True)
class CouponTerms:
    """What a coupon is worth and where: its value is the most it can take off."""

    coupon_id: str
    value: int
    discount_kind: DiscountKind
    percent_off: int
    min_spend: int
    targeting: Targeting
    expires_at: datetime
    currency: str = "CNY"


@dataclass(frozen=True)
class Quote:
    coupon_id: str
    discount: int


# --- validation ---------------------------------------------------------------------------------------


def require_currency(currency: str, field_name: str) -> str:
    require(len(currency) == 3 and currency.isalpha() and currency.isupper(), field_name,
            f"must be an ISO 4217 code like CNY, got {currency!r}")
    return currency


def require_amount(amount: int, field_name: str, *, allow_zero: bool = False) -> int:
    """Fen amounts: positive (or zero where allowed) and within int64."""
    lowest = 0 if allow_zero else 1
    require(lowest <= amount <= MAX_FEN, field_name,
            f"must be {'zero or more' if allow_zero else 'positive'} fen within int64, got {amount}")
    return amount


def require_same_currency(currency: str, expected: str, field_name: str) -> None:
    if currency != expected:
        raise InvalidArgument(f"{field_name}: currency {currency!r} differs from the budget's {expected!r}",
                              field=field_name, reason="CURRENCY_MISMATCH")


def validate_split(budget: int, count: int, split: Split, min_amount: int, max_amount: int) -> tuple[int, int]:
    """The (smallest, largest) envelope amounts; raises naming the field that makes the split impossible."""
    require(1 <= count <= MAX_COUNT, "count", f"must be between 1 and {MAX_COUNT}, got {count}")
    require(count <= budget, "count", f"{count} envelopes cannot share {budget} fen (at least 1 fen each)")
    if split is Split.FIXED:
        require(budget % count == 0, "count",
                f"a fixed split needs the budget ({budget} fen) to divide evenly by count ({count})")
        return budget // count, budget // count
    require_amount(min_amount, "min_amount.amount")
    require_amount(max_amount, "max_amount.amount")
    require(min_amount <= max_amount, "min_amount.amount",
            f"min_amount ({min_amount}) is larger than max_amount ({max_amount})")
    require(count * min_amount <= budget, "min_amount.amount",
            f"count * min_amount = {count * min_amount} fen is more than the budget ({budget} fen)")
    require(count * max_amount >= budget, "max_amount.amount",
            f"count * max_amount = {count * max_amount} fen is less than the budget ({budget} fen)")
    return min_amount, max_amount


def validate_targeting(targeting: Targeting) -> Targeting:
    if targeting.kind is TargetKind.MALL:
        require(bool(targeting.mall_id), "targeting.mall_id", "a mall campaign needs a mall id")
    if targeting.kind is TargetKind.MERCHANTS:
        require(bool(targeting.merchant_ids) and all(targeting.merchant_ids), "targeting.merchant_ids",
                "a merchant campaign needs at least one non-empty merchant id")
    if targeting.kind is TargetKind.MCC:
        require(bool(targeting.mccs) and all(m.isdigit() and len(m) == 4 for m in targeting.mccs),
                "targeting.mccs", "an MCC campaign needs four-digit category codes like 5812")
    return targeting


def validate_discount(kind: DiscountKind, percent_off: int) -> int:
    if kind is DiscountKind.PERCENT_OFF:
        require(1 <= percent_off <= 100, "percent_off", f"must be between 1 and 100, got {percent_off}")
        return percent_off
    require(percent_off == 0, "percent_off", "only a percent-off campaign takes percent_off")
    return 0


def validate_window(starts_at: datetime, ends_at: datetime) -> None:
    require(ends_at > starts_at, "ends_at", f"the window ends ({ends_at.isoformat()}) before it starts "
                                            f"({starts_at.isoformat()})")


def validate_limits(per_consumer_limit: int, count: int, validity_days: int) -> None:
    require(1 <= per_consumer_limit <= count, "per_consumer_limit",
            f"must be between 1 and the envelope count ({count}), got {per_consumer_limit}")
    require(1 <= validity_days <= MAX_VALIDITY_DAYS, "validity_days",
            f"must be between 1 and {MAX_VALIDITY_DAYS}, got {validity_days}")


def seed_for(campaign_id: str) -> int:
    """The split seed when the admin gives none: stable per campaign id, positive int63."""
    return int.from_bytes(hashlib.sha256(campaign_id.encode()).digest()[:8], "big") >> 1


# --- the budget split ---------------------------------------------------------------------------------


def split_budget(budget: int, count: int, min_amount: int, max_amount: int, seed: int) -> list[int]:
    """`count` amounts in [min_amount, max_amount] that add up to `budget` exactly.

    Each draw is uniform in a window centred on the mean of what is left (the "double mean" method), kept
    inside the bounds that still let the remaining envelopes fit; the result is shuffled so that grab
    order carries no bias. The same arguments always give the same list.
    """
    if min_amount == max_amount:
        return [min_amount] * count
    rng = random.Random(seed)
    left = budget
    amounts: list[int] = []
    for drawn in range(count):
        rest = count - drawn - 1
        low = max(min_amount, left - rest * max_amount)
        high = min(max_amount, left - rest * min_amount)
        mean = left // (rest + 1)
        amount = rng.randint(low, max(low, min(high, 2 * mean - low)))
        amounts.append(amount)
        left -= amount
    rng.shuffle(amounts)
    return amounts


# --- sub-budgets ---------------------------------------------------------------------------------------


def sub_budget_count(requested: int, count: int) -> int:
    """How many sub-budgets a campaign of `count` envelopes gets: each must hold at least one envelope."""
    return max(1, min(requested, count, MAX_SUB_BUDGETS))


def sub_budget_of(seq: int, sub_budgets: int) -> int:
    """The sub-budget that pays for envelope `seq` (1-based, as stored): envelopes are dealt round robin."""
    return (seq - 1) % sub_budgets


def sub_budget_amounts(amounts: Sequence[int], sub_budgets: int) -> list[int]:
    """What each sub-budget is funded with: exactly the sum of its own envelopes, so it can never run short
    of what the coupons drawn from it may take off, and the parts add up to the budget."""
    funded = [0] * sub_budgets
    for seq, amount in enumerate(amounts, start=1):
        funded[sub_budget_of(seq, sub_budgets)] += amount
    return funded


def sub_budget_owner(campaign_id: str, k: int) -> str:
    """The wallet owner id of sub-budget k (wallet accounts are keyed by kind, owner and currency)."""
    return f"{campaign_id}:{k}"


def returnable(available: int, owed: int) -> int:
    """What an account can give back at the end: its balance less the coupons that may still be spent."""
    return max(available - owed, 0)


# --- grabs --------------------------------------------------------------------------------------------


def window_outcome(now: datetime, starts_at: datetime, ends_at: datetime, ended: bool) -> GrabOutcome | None:
    """Why a grab cannot happen at `now` because of the campaign's window, or None when it can."""
    if ended or now >= ends_at:
        return GrabOutcome.ENDED
    if now < starts_at:
        return GrabOutcome.NOT_STARTED
    return None


def coupon_expiry(grabbed_at: datetime, validity_days: int) -> datetime:
    return grabbed_at + timedelta(days=validity_days)


# --- discounts and quotes -----------------------------------------------------------------------------


def discount_for(terms: CouponTerms, amount: int) -> int:
    """What the coupon takes off a purchase of `amount` fen: never more than its value nor the price."""
    if terms.discount_kind is DiscountKind.PERCENT_OFF:
        # Rounded down: the platform never pays a fraction of a fen more than promised.
        return min(amount * terms.percent_off // 100, terms.value, amount)
    return min(terms.value, amount)


def usable_reason(terms: CouponTerms, place: Place, amount: int, currency: str, now: datetime) -> str | None:
    """Why the coupon cannot be used on this purchase (a reason code), or None when it can."""
    if now >= terms.expires_at:
        return "COUPON_EXPIRED"
    if currency != terms.currency:
        return "CURRENCY_MISMATCH"
    if amount < terms.min_spend:
        return "BELOW_MIN_SPEND"
    if not terms.targeting.applies(place):
        return "NOT_APPLICABLE_HERE"
    if discount_for(terms, amount) <= 0:
        return "NO_DISCOUNT"
    return None


def best_coupon(
    candidates: Iterable[CouponTerms], place: Place, amount: int, currency: str, now: datetime
) -> Quote | None:
    """The usable coupon that saves the most; ties go to the one expiring first, then the lowest id."""
    usable = [
        (discount_for(t, amount), t) for t in candidates if usable_reason(t, place, amount, currency, now) is None
    ]
    if not usable:
        return None
    discount, terms = min(usable, key=lambda pair: (-pair[0], pair[1].expires_at, pair[1].coupon_id))
    return Quote(coupon_id=terms.coupon_id, discount=discount)


# --- coupon lifecycle ---------------------------------------------------------------------------------


class CouponState(str, Enum):
    ISSUED = "ISSUED"
    RESERVED = "RESERVED"
    REDEEMED = "REDEEMED"
    EXPIRED = "EXPIRED"


# ISSUED -> RESERVED -> REDEEMED, or RESERVED -> ISSUED on release (EXPIRED when validity ended meanwhile).
COUPON_TRANSITIONS: dict[CouponState, frozenset[CouponState]] = {
    CouponState.ISSUED: frozenset({CouponState.RESERVED, CouponState.EXPIRED}),
    CouponState.RESERVED: frozenset({CouponState.REDEEMED, CouponState.ISSUED, CouponState.EXPIRED}),
    CouponState.REDEEMED: frozenset(),
    CouponState.EXPIRED: frozenset(),
}


def can_move(current: CouponState, target: CouponState) -> bool:
    return target in COUPON_TRANSITIONS[current]


def state_after_release(now: datetime, expires_at: datetime) -> CouponState:
    return CouponState.EXPIRED if now >= expires_at else CouponState.ISSUED


# --- refunds ------------------------------------------------------------------------------------------


def discount_share(discount: int, trade_amount: int, refunded_before: int, refund_amount: int) -> int:
    """This refund's share of the trade's discount, in proportion to the refunded price.

    Computed on the running total so that the shares of several partial refunds add up to exactly the
    discount once the whole price is refunded (rounded down along the way).
    """
    returned_before = discount * refunded_before // trade_amount
    returned_after = discount * (refunded_before + refund_amount) // trade_amount
    return returned_after - returned_before


# --- pagination ---------------------------------------------------------------------------------------


def page_size(requested: int, default: int = 50, maximum: int = 200) -> int:
    require(requested >= 0, "page.page_size", f"must not be negative, got {requested}")
    return min(requested or default, maximum)
