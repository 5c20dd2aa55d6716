"""Sub-budgets: a campaign's money in several wallet accounts, each covering exactly its own envelopes.

One budget account would be the debited (so locked) row of every discounted payment of the campaign; spread
over sub-budgets, payments drawing on different ones commit side by side (docs/promotions.md).
"""

from __future__ import annotations

import pytest

from services.gen.scanpay.promotions.v1 import promotions_pb2 as pb
from services.gen.scanpay.wallet.v1 import wallet_pb2
from services.kit.config import ConfigError
from services.kit.ids import new_id
from services.promotions.campaigns import DEFAULT_SUB_BUDGETS, sub_budgets_wanted
from services.promotions.domain import sub_budget_of

from .conftest import (
    ADMIN,
    GATEWAY,
    Promotions,
    balance,
    budget_balance,
    cny,
    create_campaign,
    grab,
    lapse_and_wait_for_settlement,
    marketing_account,
    sub_budget_accounts,
)

# The gateway's code for the discount leg of a payment (services/gateway/saga.py).
CODE_SUBSIDY = 1002


async def envelopes_of(p: Promotions, campaign_id: str) -> dict[int, tuple[int, str | None]]:
    """seq -> (amount, coupon id) of every envelope of the campaign."""
    async with p.pool.acquire() as conn:
        rows = await conn.fetch("SELECT seq, amount, coupon_id FROM envelopes WHERE campaign_id = $1", campaign_id)
    return {r["seq"]: (r["amount"], r["coupon_id"]) for r in rows}


async def test_each_sub_budget_is_funded_with_exactly_its_own_envelopes(promotions: Promotions) -> None:
    marketing = await marketing_account(promotions)
    before = await balance(promotions, marketing)
    campaign = await create_campaign(
        promotions,
        budget=cny(12_345),
        count=40,
        split=pb.SPLIT_MODE_RANDOM,
        min_amount=cny(1),
        max_amount=cny(1_000),
        seed=11,
        per_consumer_limit=1,
    )
    accounts = await sub_budget_accounts(promotions, campaign.id)
    assert len(accounts) == DEFAULT_SUB_BUDGETS == len(set(accounts))
    assert accounts[0] == campaign.budget_account_id
    envelopes = await envelopes_of(promotions, campaign.id)
    for k, account in enumerate(accounts):
        own = sum(amount for seq, (amount, _) in envelopes.items() if sub_budget_of(seq, len(accounts)) == k)
        assert await balance(promotions, account) == own
        # Wallet accounts are keyed by (kind, owner, currency): one owner id per sub-budget.
        found = await promotions.wallet.FindAccount(
            wallet_pb2.FindAccountRequest(
                kind=wallet_pb2.ACCOUNT_KIND_PROMOTIONS_BUDGET, owner_id=f"{campaign.id}:{k}", currency="CNY"
            ),
            metadata=ADMIN,
        )
        assert found.id == account
    assert await budget_balance(promotions, campaign.id) == sum(a for a, _ in envelopes.values()) == 12_345
    assert await balance(promotions, marketing) == before - 12_345

    coupons = [(await grab(promotions, campaign.id, f"csm_sub_{i}")).coupon for i in range(20)]
    envelopes = await envelopes_of(promotions, campaign.id)
    seq_of = {coupon_id: seq for seq, (_, coupon_id) in envelopes.items() if coupon_id}
    for coupon in coupons:
        seq = seq_of[coupon.id]
        assert coupon.budget_account_id == accounts[sub_budget_of(seq, len(accounts))]
        assert coupon.value.amount == envelopes[seq][0]
    # Claimed in seq order, so consecutive grabs spread over every sub-budget.
    assert {c.budget_account_id for c in coupons} == set(accounts)


async def test_one_sub_budget_is_allowed_and_fewer_envelopes_mean_fewer(
    promotions: Promotions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCANPAY_PROMOTIONS_SUB_BUDGETS", "1")
    single = await create_campaign(promotions, budget=cny(10_000), count=10)
    assert await sub_budget_accounts(promotions, single.id) == [single.budget_account_id]
    assert await balance(promotions, single.budget_account_id) == 10_000
    monkeypatch.setenv("SCANPAY_PROMOTIONS_SUB_BUDGETS", "64")
    few = await create_campaign(promotions, budget=cny(3_000), count=3)
    assert len(await sub_budget_accounts(promotions, few.id)) == 3


async def test_money_is_conserved_from_funding_through_end_and_settlement(promotions: Promotions) -> None:
    marketing = await marketing_account(promotions)
    before = await balance(promotions, marketing)
    campaign = await create_campaign(promotions, budget=cny(8_000), count=8)
    accounts = await sub_budget_accounts(promotions, campaign.id)
    assert len(accounts) == 8 and await budget_balance(promotions, campaign.id) == 8_000
    spent, lapsed, kept = [(await grab(promotions, campaign.id, f"csm_money_{i}")).coupon for i in range(3)]
    assert len({spent.budget_account_id, lapsed.budget_account_id, kept.budget_account_id}) == 3

    # `spent` pays 10.00 off a purchase; the gateway posts the discount from the coupon's sub-budget.
    trade = new_id("trd")
    held = (
        await promotions.stub.ReserveCoupon(
            pb.ReserveCouponRequest(
                coupon_id=spent.id,
                trade_id=trade,
                amount=cny(5_000),
                consumer_id=spent.consumer_id,
                merchant_id="mch_money",
            ),
            metadata=GATEWAY,
        )
    ).reservation
    assert held.budget_account_id == spent.budget_account_id and held.discount.amount == 1_000
    receivable = await promotions.wallet.OpenAccount(
        wallet_pb2.OpenAccountRequest(
            kind=wallet_pb2.ACCOUNT_KIND_MERCHANT_RECEIVABLE, owner_id="mch_money", currency="CNY"
        ),
        metadata=ADMIN,
    )
    await promotions.wallet.CreateTransfers(
        wallet_pb2.CreateTransfersRequest(
            batch_id=trade,
            transfers=[
                wallet_pb2.TransferInput(
                    id=f"{trade}:subsidy",
                    debit_account_id=held.budget_account_id,
                    credit_account_id=receivable.id,
                    amount=cny(1_000),
                    code=CODE_SUBSIDY,
                    reference=trade,
                )
            ],
        ),
        metadata=ADMIN,
    )
    await promotions.stub.ConfirmCoupon(pb.ConfirmCouponRequest(trade_id=trade), metadata=GATEWAY)
    async with promotions.pool.acquire() as conn:  # `lapsed` runs out unused before the end
        await conn.execute("UPDATE coupons SET expires_at = now() - interval '1 second' WHERE id = $1", lapsed.id)

    before_end = await balance(promotions, marketing)
    ended = (await promotions.stub.EndCampaign(pb.EndCampaignRequest(campaign_id=campaign.id), metadata=ADMIN)).campaign
    # Every sub-budget gives back what it no longer owes: all but the redeemed and the still usable coupon.
    assert ended.returned_amount.amount == 8_000 - 1_000 - 1_000
    assert await balance(promotions, marketing) == before_end + 6_000
    assert [await balance(promotions, a) for a in accounts] == [
        1_000 if a == kept.budget_account_id else 0 for a in accounts
    ]

    # The last coupon lapses too: settlement takes the rest back.
    await lapse_and_wait_for_settlement(promotions, campaign.id, kept.id)
    got = (await promotions.stub.GetCampaign(pb.GetCampaignRequest(campaign_id=campaign.id), metadata=ADMIN)).campaign
    # Released = funded - redeemed, to the fen, and marketing got exactly that back.
    assert got.returned_amount.amount == 8_000 - 1_000 == got.budget.amount - got.redeemed_amount.amount
    assert await balance(promotions, marketing) == before - 1_000


@pytest.mark.parametrize("value", ["0", "65", "sixteen", ""])
def test_a_bad_sub_budget_setting_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SCANPAY_PROMOTIONS_SUB_BUDGETS", value)
    with pytest.raises(ConfigError, match="SCANPAY_PROMOTIONS_SUB_BUDGETS"):
        sub_budgets_wanted()
