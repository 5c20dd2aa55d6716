"""Pure promotions rules: the budget split, validation naming the field, discounts, quotes, refunds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.kit.errors import InvalidArgument
from services.promotions import domain
from services.promotions.convert import coupon_from_template, coupon_template, coupon_to_pb
from services.promotions.domain import CouponTerms, DiscountKind, Place, Split, Targeting, TargetKind

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@st.composite
def random_splits(draw: st.DrawFn) -> tuple[int, int, int, int, int]:
    count = draw(st.integers(1, 300))
    low = draw(st.integers(1, 5_000))
    high = draw(st.integers(low, low + 5_000))
    budget = draw(st.integers(count * low, count * high))
    return budget, count, low, high, draw(st.integers(-(2**63), 2**63 - 1))


@settings(max_examples=150, deadline=None)
@given(random_splits())
def test_random_split_adds_up_to_the_budget_within_bounds(case: tuple[int, int, int, int, int]) -> None:
    budget, count, low, high, seed = case
    amounts = domain.split_budget(budget, count, low, high, seed)
    assert len(amounts) == count
    assert sum(amounts) == budget
    assert all(low <= a <= high for a in amounts)


def test_split_is_deterministic_given_the_seed_and_varies_with_it() -> None:
    first = domain.split_budget(1_000_000, 2_000, 1, 2_000, seed=42)
    assert first == domain.split_budget(1_000_000, 2_000, 1, 2_000, seed=42)
    assert first != domain.split_budget(1_000_000, 2_000, 1, 2_000, seed=43)
    # Random enough to be a red envelope: many distinct amounts, mean on the budget.
    assert len(set(first)) > 500


def test_fixed_split_is_equal_amounts() -> None:
    assert domain.validate_split(1_000, 4, Split.FIXED, 0, 0) == (250, 250)
    assert domain.split_budget(1_000, 4, 250, 250, seed=1) == [250, 250, 250, 250]


@pytest.mark.parametrize(
    ("budget", "count", "split", "low", "high", "field"),
    [
        (100, 101, Split.RANDOM, 1, 1, "count"),  # more envelopes than fen
        (100, 0, Split.RANDOM, 1, 1, "count"),
        (1_000, 3, Split.FIXED, 0, 0, "count"),  # does not divide evenly
        (1_000, 10, Split.RANDOM, 200, 100, "min_amount.amount"),  # min > max
        (1_000, 10, Split.RANDOM, 101, 200, "min_amount.amount"),  # count * min > budget
        (1_000, 10, Split.RANDOM, 10, 99, "max_amount.amount"),  # count * max < budget
        (1_000, 10, Split.RANDOM, 0, 200, "min_amount.amount"),
    ],
)
def test_impossible_splits_name_the_field(budget: int, count: int, split: Split, low: int, high: int,
                                          field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        domain.validate_split(budget, count, split, low, high)
    assert caught.value.field == field


@pytest.mark.parametrize("amount", [0, -1, 2**63])
def test_amounts_must_be_positive_int64(amount: int) -> None:
    with pytest.raises(InvalidArgument) as caught:
        domain.require_amount(amount, "budget.amount")
    assert caught.value.field == "budget.amount"


def test_window_and_percent_rules() -> None:
    with pytest.raises(InvalidArgument) as caught:
        domain.validate_window(NOW, NOW - timedelta(seconds=1))
    assert caught.value.field == "ends_at"
    with pytest.raises(InvalidArgument) as caught:
        domain.validate_discount(DiscountKind.PERCENT_OFF, 101)
    assert caught.value.field == "percent_off"
    assert domain.validate_discount(DiscountKind.PERCENT_OFF, 100) == 100


EVERYONE = Targeting()


def terms(coupon_id: str, value: int, kind: DiscountKind = DiscountKind.AMOUNT_OFF, percent: int = 0,
          min_spend: int = 0, targeting: Targeting = EVERYONE, expires_in_days: int = 7) -> CouponTerms:
    return CouponTerms(coupon_id, value, kind, percent, min_spend, targeting, NOW + timedelta(days=expires_in_days))


SHOP = Place(merchant_id="mch_a", mall_id="mal_1", mcc="5812", store_id="sto_1")


def test_discounts_never_exceed_value_nor_price() -> None:
    assert domain.discount_for(terms("a", 500), 300) == 300
    assert domain.discount_for(terms("a", 500), 800) == 500
    # 15 % of 999 fen is 149.85 -> 149 (rounded down), capped at the value.
    assert domain.discount_for(terms("p", 1_000, DiscountKind.PERCENT_OFF, 15), 999) == 149
    assert domain.discount_for(terms("p", 100, DiscountKind.PERCENT_OFF, 15), 10_000) == 100


def test_targeting_rules() -> None:
    assert Targeting(TargetKind.MALL, mall_id="mal_1").applies(SHOP)
    assert not Targeting(TargetKind.MALL, mall_id="mal_2").applies(SHOP)
    assert not Targeting(TargetKind.MALL, mall_id="mal_1").applies(Place(merchant_id="mch_a"))
    assert Targeting(TargetKind.MERCHANTS, merchant_ids=("mch_x", "mch_a")).applies(SHOP)
    assert not Targeting(TargetKind.MERCHANTS, merchant_ids=("mch_x",)).applies(SHOP)
    assert Targeting(TargetKind.MCC, mccs=("5812",)).applies(SHOP)
    assert not Targeting(TargetKind.MCC, mccs=("5411",)).applies(SHOP)


def test_best_coupon_saves_the_most_among_those_that_fit() -> None:
    candidates = [
        terms("big_but_elsewhere", 5_000, targeting=Targeting(TargetKind.MALL, mall_id="mal_9")),
        terms("big_but_min_spend", 3_000, min_spend=20_000),
        terms("expired", 4_000, expires_in_days=-1),
        terms("percent", 2_000, DiscountKind.PERCENT_OFF, 20),  # 20 % of 10,000 = 2,000
        terms("flat", 1_500),
    ]
    best = domain.best_coupon(candidates, SHOP, 10_000, "CNY", NOW)
    assert best == domain.Quote("percent", 2_000)
    assert domain.best_coupon(candidates, SHOP, 10_000, "USD", NOW) is None


def test_ties_go_to_the_coupon_expiring_first() -> None:
    later, sooner = terms("later", 500, expires_in_days=5), terms("sooner", 500, expires_in_days=2)
    assert domain.best_coupon([later, sooner], SHOP, 1_000, "CNY", NOW) == domain.Quote("sooner", 500)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 10**9), st.data())
def test_refund_shares_add_up_to_the_whole_discount(trade_amount: int, data: st.DataObject) -> None:
    discount = data.draw(st.integers(1, trade_amount))
    cuts = sorted(set(data.draw(st.lists(st.integers(1, trade_amount - 1), max_size=8)))) if trade_amount > 1 else []
    bounds = [0, *cuts, trade_amount]
    refunds = [high - low for low, high in zip(bounds, bounds[1:], strict=False)]
    shares, refunded = [], 0
    for part in refunds:
        shares.append(domain.discount_share(discount, trade_amount, refunded, part))
        refunded += part
    assert sum(shares) == discount
    assert all(share >= 0 for share in shares)


def test_coupon_state_machine() -> None:
    S = domain.CouponState
    assert domain.can_move(S.ISSUED, S.RESERVED)
    assert domain.can_move(S.RESERVED, S.REDEEMED)
    assert domain.can_move(S.RESERVED, S.ISSUED)
    assert not domain.can_move(S.REDEEMED, S.ISSUED)
    assert not domain.can_move(S.EXPIRED, S.RESERVED)
    assert domain.state_after_release(NOW, NOW + timedelta(seconds=1)) is S.ISSUED
    assert domain.state_after_release(NOW, NOW) is S.EXPIRED


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 10_000), min_size=1, max_size=300), st.integers(1, 100))
def test_sub_budgets_hold_exactly_their_own_envelopes(amounts: list[int], wanted: int) -> None:
    n = domain.sub_budget_count(wanted, len(amounts))
    assert 1 <= n <= min(len(amounts), domain.MAX_SUB_BUDGETS)
    funded = domain.sub_budget_amounts(amounts, n)
    assert len(funded) == n and sum(funded) == sum(amounts)
    for k in range(n):
        mine = [a for seq, a in enumerate(amounts, start=1) if domain.sub_budget_of(seq, n) == k]
        assert mine and funded[k] == sum(mine)  # never short of its own coupons, never empty


def test_sub_budget_owners_and_returns() -> None:
    assert domain.sub_budget_owner("cmp_1", 3) == "cmp_1:3"
    assert domain.sub_budget_count(16, 5) == 5 and domain.sub_budget_count(0, 5) == 1
    assert domain.returnable(1_000, 300) == 700 and domain.returnable(200, 300) == 0


def test_a_coupon_built_from_its_campaign_template_equals_the_full_conversion() -> None:
    campaign = dict(id="cmp_1", name="Double 12", currency="CNY", discount_kind="PERCENT_OFF", percent_off=20,
                    min_spend=5_000, target_kind="MCC", target_mall_id="", target_merchant_ids=[],
                    target_mccs=["5812"])
    coupon = dict(id="cpn_1", status="RESERVED", value=1_234, trade_id="trd_1", issued_at=NOW,
                  expires_at=NOW + timedelta(days=7, microseconds=5), budget_account_id="acc_3")
    full = {**campaign, **coupon, "id": "cpn_1", "campaign_id": "cmp_1", "campaign_name": "Double 12",
            "consumer_id": "csm_1"}
    built = coupon_from_template(coupon_template(campaign), "CNY", "csm_1", coupon)
    assert built == coupon_to_pb(full)
