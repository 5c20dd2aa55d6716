"""Campaigns over gRPC: funding in the wallet, bad input naming the field, idempotency, ending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest

from services.gen.scanpay.common.v1.common_pb2 import Money, PageRequest
from services.gen.scanpay.promotions.v1 import promotions_pb2 as pb
from services.kit.grpc import error_detail
from services.promotions.budget import funding_transfer_id

from .conftest import (
    ADMIN,
    GATEWAY,
    Promotions,
    balance,
    budget_balance,
    campaign_request,
    cny,
    create_campaign,
    grab,
    lapse_and_wait_for_settlement,
    marketing_account,
    rpc_error,
    sub_budget_accounts,
    ts,
)

NOW = datetime.now(UTC)


async def test_creating_a_campaign_funds_its_budget_account_from_marketing(promotions: Promotions) -> None:
    marketing = await marketing_account(promotions)
    before = await balance(promotions, marketing)
    campaign = await create_campaign(promotions, budget=cny(12_345), count=100, split=pb.SPLIT_MODE_RANDOM,
                                     min_amount=cny(1), max_amount=cny(500), seed=7)
    assert campaign.status == pb.CAMPAIGN_STATUS_ACTIVE
    assert campaign.budget_account_id.startswith("acc_")
    assert campaign.budget_account_id == (await sub_budget_accounts(promotions, campaign.id))[0]
    assert await budget_balance(promotions, campaign.id) == 12_345
    assert await balance(promotions, marketing) == before - 12_345
    async with promotions.pool.acquire() as conn:
        amounts = [r["amount"] for r in await conn.fetch(
            "SELECT amount FROM envelopes WHERE campaign_id = $1", campaign.id)]
    assert len(amounts) == 100 and sum(amounts) == 12_345
    assert all(1 <= a <= 500 for a in amounts)


async def test_a_retried_create_returns_the_same_campaign_and_funds_once(promotions: Promotions) -> None:
    request = campaign_request(budget=cny(5_000), count=5)
    first = (await promotions.stub.CreateCampaign(request, metadata=ADMIN)).campaign
    again = (await promotions.stub.CreateCampaign(request, metadata=ADMIN)).campaign
    assert again.id == first.id
    assert await budget_balance(promotions, first.id) == 5_000
    changed = pb.CreateCampaignRequest()
    changed.CopyFrom(request)
    changed.budget.amount = 6_000
    error = await rpc_error(promotions.stub.CreateCampaign(changed, metadata=ADMIN))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_detail(error).field == "request_id"


async def test_an_interrupted_funding_is_finished_by_the_retry(promotions: Promotions) -> None:
    """A crash after the campaign row but before the wallet transfer: the retry funds it exactly once."""
    request = campaign_request(budget=cny(3_000), count=3)
    first = (await promotions.stub.CreateCampaign(request, metadata=ADMIN)).campaign
    async with promotions.pool.acquire() as conn:
        await conn.execute("UPDATE campaigns SET status = 'FUNDING' WHERE id = $1", first.id)
    again = (await promotions.stub.CreateCampaign(request, metadata=ADMIN)).campaign
    assert again.status == pb.CAMPAIGN_STATUS_ACTIVE
    # Transfer ids derive from the campaign id, so the wallet replays instead of moving money twice.
    assert await budget_balance(promotions, first.id) == 3_000
    assert funding_transfer_id(f"{first.id}:0") == f"{first.id}:0.fund"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"budget": cny(0)}, "budget.amount"),
        ({"budget": cny(-100)}, "budget.amount"),
        ({"budget": cny(5), "count": 10}, "count"),
        ({"count": 0}, "count"),
        ({"split": pb.SPLIT_MODE_RANDOM, "min_amount": cny(600), "max_amount": cny(500)}, "min_amount.amount"),
        ({"split": pb.SPLIT_MODE_RANDOM, "min_amount": cny(1_001), "max_amount": cny(2_000)}, "min_amount.amount"),
        ({"split": pb.SPLIT_MODE_RANDOM, "min_amount": cny(1), "max_amount": cny(999)}, "max_amount.amount"),
        ({"starts_at": ts(NOW + timedelta(days=2)), "ends_at": ts(NOW + timedelta(days=1))}, "ends_at"),
        ({"discount_kind": pb.DISCOUNT_KIND_PERCENT_OFF, "percent_off": 101}, "percent_off"),
        ({"split": pb.SPLIT_MODE_UNSPECIFIED}, "split"),
        ({"per_consumer_limit": 11}, "per_consumer_limit"),
        ({"targeting": pb.Targeting(kind=pb.TARGET_KIND_MCC, mccs=["58"])}, "targeting.mccs"),
        ({"budget": cny(10_000), "min_spend": Money(amount=100, currency="USD")},
         "min_spend.currency"),
        ({"request_id": ""}, "request_id"),
    ],
)
async def test_bad_campaigns_are_refused_naming_the_field_and_change_nothing(
    promotions: Promotions, overrides: dict[str, object], field: str
) -> None:
    request = campaign_request(**overrides)
    async with promotions.pool.acquire() as conn:
        before = await conn.fetchval("SELECT count(*) FROM campaigns")
    error = await rpc_error(promotions.stub.CreateCampaign(request, metadata=ADMIN))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_detail(error).field == field
    async with promotions.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM campaigns") == before
        assert await conn.fetchval("SELECT count(*) FROM campaigns WHERE request_id = $1", request.request_id) == 0


async def test_only_admins_create_and_end_campaigns(promotions: Promotions) -> None:
    error = await rpc_error(promotions.stub.CreateCampaign(campaign_request(), metadata=GATEWAY))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    campaign = await create_campaign(promotions)
    error = await rpc_error(promotions.stub.EndCampaign(pb.EndCampaignRequest(campaign_id=campaign.id),
                                                        metadata=(("x-scanpay-actor", "consumer:csm_1"),)))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_unknown_campaign_is_not_found(promotions: Promotions) -> None:
    error = await rpc_error(promotions.stub.GetCampaign(pb.GetCampaignRequest(campaign_id="cmp_nope"),
                                                        metadata=ADMIN))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error_detail(error).field == "campaign_id"
    error = await rpc_error(grab(promotions, "cmp_nope", "csm_1"))
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_ending_returns_what_the_budget_no_longer_owes(promotions: Promotions) -> None:
    marketing = await marketing_account(promotions)
    campaign = await create_campaign(promotions, budget=cny(10_000), count=10)
    before = await balance(promotions, marketing)
    granted = await grab(promotions, campaign.id, "csm_end_1")
    assert granted.status == pb.GRAB_STATUS_GRANTED
    ended = (await promotions.stub.EndCampaign(pb.EndCampaignRequest(campaign_id=campaign.id, reason="done"),
                                               metadata=ADMIN)).campaign
    assert ended.status == pb.CAMPAIGN_STATUS_ENDED
    # Nine unissued envelopes go back; the one issued coupon stays covered until it is used or expires.
    assert ended.returned_amount.amount == 9_000
    assert await balance(promotions, granted.coupon.budget_account_id) == 1_000
    assert await budget_balance(promotions, campaign.id) == 1_000
    assert await balance(promotions, marketing) == before + 9_000
    again = (await promotions.stub.EndCampaign(pb.EndCampaignRequest(campaign_id=campaign.id), metadata=ADMIN))
    assert again.campaign.returned_amount.amount == 9_000
    assert await balance(promotions, marketing) == before + 9_000
    late = await grab(promotions, campaign.id, "csm_end_2")
    assert late.status == pb.GRAB_STATUS_ENDED and not late.HasField("coupon")


async def test_active_campaigns_are_listed_where_they_apply(promotions: Promotions) -> None:
    mall = await create_campaign(promotions, targeting=pb.Targeting(kind=pb.TARGET_KIND_MALL, mall_id="mal_list"))
    mcc = await create_campaign(promotions, targeting=pb.Targeting(kind=pb.TARGET_KIND_MCC, mccs=["5999"]))

    async def listed(**where: str) -> set[str]:
        ids: set[str] = set()
        token = ""
        while True:
            reply = await promotions.stub.ListActiveCampaigns(
                pb.ListActiveCampaignsRequest(page=PageRequest(page_size=3, page_token=token),
                                              **where), metadata=GATEWAY)
            ids.update(c.id for c in reply.campaigns)
            token = reply.page.next_page_token
            if not token:
                return ids

    in_mall = await listed(mall_id="mal_list", merchant_id="mch_z", mcc="5411")
    assert mall.id in in_mall and mcc.id not in in_mall
    grocer = await listed(merchant_id="mch_z", mcc="5999")
    assert mcc.id in grocer and mall.id not in grocer
    assert {mall.id, mcc.id} <= await listed()


async def test_what_is_left_after_the_last_coupon_expires_goes_back_too(promotions: Promotions) -> None:
    marketing = await marketing_account(promotions)
    campaign = await create_campaign(promotions, budget=cny(2_000), count=2)
    coupon = (await grab(promotions, campaign.id, "csm_settle")).coupon
    before = await balance(promotions, marketing)
    ended = (await promotions.stub.EndCampaign(pb.EndCampaignRequest(campaign_id=campaign.id),
                                               metadata=ADMIN)).campaign
    assert ended.returned_amount.amount == 1_000
    await lapse_and_wait_for_settlement(promotions, campaign.id, coupon.id)  # its validity runs out unused
    assert await balance(promotions, marketing) == before + 2_000
    got = await promotions.stub.GetCampaign(pb.GetCampaignRequest(campaign_id=campaign.id), metadata=ADMIN)
    assert got.campaign.returned_amount.amount == 2_000
