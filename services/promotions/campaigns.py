"""Creating, funding and ending campaigns: promotions rows and wallet money kept in step.

Creation writes the campaign (FUNDING) and its envelopes first, then funds the budget account with a
transfer id derived from the campaign id, then activates it; a retry with the same request id, or the
worker, finishes an interrupted creation without moving the money twice. Ending fixes the amount to
give back inside the transaction that stops grabs, then posts it (again idempotently).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg

from ..gen.scanpay.promotions.v1 import promotions_pb2 as pb
from ..kit.config import ConfigError
from ..kit.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, require
from ..kit.ids import new_id
from . import domain, events, store
from .budget import SubBudget, WalletBudget, return_transfer_id, settle_transfer_id
from .convert import DISCOUNT_KINDS, SPLITS, TARGET_KINDS
from .domain import CampaignDraft, DiscountKind, Targeting, TargetKind

MAX_NAME_LENGTH = 200
MAX_ID_LENGTH = 128
DEFAULT_SUB_BUDGETS = 16


def sub_budgets_wanted() -> int:
    """How many budget accounts a new campaign spreads its money over (SCANPAY_PROMOTIONS_SUB_BUDGETS, 1 to 64;
    fewer when it has fewer envelopes). Fixed on the campaign at creation, so a retry keeps it."""
    raw = os.environ.get("SCANPAY_PROMOTIONS_SUB_BUDGETS", str(DEFAULT_SUB_BUDGETS))
    if not raw.strip().isdigit() or not 1 <= int(raw) <= domain.MAX_SUB_BUDGETS:
        raise ConfigError(f"SCANPAY_PROMOTIONS_SUB_BUDGETS must be 1..{domain.MAX_SUB_BUDGETS}, got {raw!r}")
    return int(raw)


def require_id(value: str, field: str) -> str:
    require(bool(value), field, "is required")
    require(len(value) <= MAX_ID_LENGTH, field, f"at most {MAX_ID_LENGTH} characters")
    return value


def _targeting(request: pb.CreateCampaignRequest) -> Targeting:
    if not request.HasField("targeting") or request.targeting.kind == pb.TARGET_KIND_UNSPECIFIED:
        require(not request.targeting.mall_id and not request.targeting.merchant_ids and not request.targeting.mccs,
                "targeting.kind", "is required when a mall, merchants or MCCs are given")
        return Targeting(TargetKind.EVERYONE)
    kind = TARGET_KINDS.get(request.targeting.kind)
    require(kind is not None, "targeting.kind", f"unknown value {request.targeting.kind}")
    assert kind is not None
    t = request.targeting
    return domain.validate_targeting(
        Targeting(kind, mall_id=t.mall_id, merchant_ids=tuple(t.merchant_ids), mccs=tuple(t.mccs))
    )


def _optional_amount(request: pb.CreateCampaignRequest, name: str, currency: str) -> int:
    """An optional Money field in the budget's currency (zero when unset)."""
    if not request.HasField(name):
        return 0
    value = getattr(request, name)
    if value.currency:
        domain.require_same_currency(value.currency, currency, f"{name}.currency")
    return value.amount


def parse_campaign(request: pb.CreateCampaignRequest, campaign_id: str, now: datetime) -> CampaignDraft:
    """Every rule on a CreateCampaign request; raises InvalidArgument naming the first field at fault."""
    require_id(request.request_id, "request_id")
    name = request.name.strip()
    require(bool(name) and len(name) <= MAX_NAME_LENGTH, "name", f"1 to {MAX_NAME_LENGTH} characters")
    require(request.HasField("budget"), "budget", "is required")
    currency = domain.require_currency(request.budget.currency, "budget.currency")
    budget = domain.require_amount(request.budget.amount, "budget.amount")
    split = SPLITS.get(request.split)
    require(split is not None, "split", "must be SPLIT_MODE_FIXED or SPLIT_MODE_RANDOM")
    assert split is not None
    min_amount = _optional_amount(request, "min_amount", currency)
    max_amount = _optional_amount(request, "max_amount", currency)
    if split is domain.Split.RANDOM:
        require(request.HasField("min_amount"), "min_amount", "a random split needs min_amount")
        require(request.HasField("max_amount"), "max_amount", "a random split needs max_amount")
    smallest, largest = domain.validate_split(budget, request.count, split, min_amount, max_amount)
    starts_at = request.starts_at.ToDatetime(UTC) if request.HasField("starts_at") else now
    require(request.HasField("ends_at"), "ends_at", "is required")
    ends_at = request.ends_at.ToDatetime(UTC)
    domain.validate_window(starts_at, ends_at)
    require(ends_at > now, "ends_at", "the window has already closed")
    discount_kind = DISCOUNT_KINDS.get(request.discount_kind, DiscountKind.AMOUNT_OFF)
    require(request.discount_kind == pb.DISCOUNT_KIND_UNSPECIFIED or request.discount_kind in DISCOUNT_KINDS,
            "discount_kind", f"unknown value {request.discount_kind}")
    percent_off = domain.validate_discount(discount_kind, request.percent_off)
    min_spend = domain.require_amount(_optional_amount(request, "min_spend", currency), "min_spend.amount",
                                      allow_zero=True)
    limit = request.per_consumer_limit or 1
    validity_days = request.validity_days or domain.DEFAULT_VALIDITY_DAYS
    domain.validate_limits(limit, request.count, validity_days)
    return CampaignDraft(
        name=name, currency=currency, budget=budget, count=request.count, split=split,
        min_amount=smallest, max_amount=largest, seed=request.seed or domain.seed_for(campaign_id),
        starts_at=starts_at, ends_at=ends_at, per_consumer_limit=limit, targeting=_targeting(request),
        discount_kind=discount_kind, percent_off=percent_off, min_spend=min_spend, validity_days=validity_days,
    )


def request_hash(request: pb.CreateCampaignRequest) -> str:
    return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()


class Campaigns:
    def __init__(self, pool: asyncpg.Pool, budget: WalletBudget) -> None:
        self.pool = pool
        self.budget = budget
        sub_budgets_wanted()  # a bad setting stops the service at startup, not the first CreateCampaign

    async def create(self, request: pb.CreateCampaignRequest) -> asyncpg.Record:
        campaign_id = new_id("cmp")
        draft = parse_campaign(request, campaign_id, datetime.now(UTC))
        amounts = domain.split_budget(draft.budget, draft.count, draft.min_amount, draft.max_amount, draft.seed)
        funded = domain.sub_budget_amounts(amounts, domain.sub_budget_count(sub_budgets_wanted(), draft.count))
        sub_budgets = [(domain.sub_budget_owner(campaign_id, k), amount) for k, amount in enumerate(funded)]
        fingerprint = request_hash(request)
        async with self.pool.acquire() as conn, conn.transaction():
            created = await store.insert_campaign(conn, campaign_id, request.request_id, fingerprint, draft, amounts,
                                                  sub_budgets)
        if not created:
            existing = await self._by_request(request.request_id)
            if existing["request_hash"] != fingerprint:
                raise AlreadyExists(f"request_id {request.request_id} was used for another campaign",
                                    field="request_id", reason="REQUEST_ID_REUSED")
            campaign_id = existing["id"]
        return await self.finish_funding(campaign_id)

    async def _by_request(self, request_id: str) -> asyncpg.Record:
        async with self.pool.acquire() as conn:
            row = await store.campaign_by_request(conn, request_id)
        assert row is not None, "a conflicting request id has a campaign"
        return row

    async def finish_funding(self, campaign_id: str) -> asyncpg.Record:
        """Open and fund the sub-budget accounts of a FUNDING campaign, then activate it; returns the campaign."""
        row = await self.get(campaign_id)
        if row["status"] == "FUNDING":
            subs = await self._sub_budgets(campaign_id)
            accounts = await self.budget.open_budget_accounts([s["owner_id"] for s in subs], row["currency"])
            parts = [SubBudget(s["owner_id"], account, s["funded_amount"]) for s, account in zip(subs, accounts,
                                                                                                  strict=True)]
            await self.budget.fund(campaign_id, parts, row["currency"])
            async with self.pool.acquire() as conn:
                await store.mark_funded(conn, campaign_id, accounts)
            row = await self.get(campaign_id)
        return row

    async def _sub_budgets(self, campaign_id: str) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn:
            return await store.budget_accounts(conn, campaign_id)

    async def get(self, campaign_id: str) -> asyncpg.Record:
        require_id(campaign_id, "campaign_id")
        async with self.pool.acquire() as conn:
            row = await store.get_campaign(conn, campaign_id)
        if row is None:
            raise NotFound(f"campaign {campaign_id} does not exist", field="campaign_id", reason="CAMPAIGN_NOT_FOUND")
        return row

    async def list_active(
        self, mall_id: str, merchant_id: str, mcc: str, after_id: str, limit: int
    ) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn:
            return await store.list_active_campaigns(conn, mall_id, merchant_id, mcc, after_id, limit)

    async def end(self, campaign_id: str, reason: str) -> asyncpg.Record:
        """Stop grabs and give back what the budget no longer owes; idempotent."""
        require_id(campaign_id, "campaign_id")
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.lock_campaign(conn, campaign_id)
            if row is None:
                raise NotFound(f"campaign {campaign_id} does not exist", field="campaign_id",
                               reason="CAMPAIGN_NOT_FOUND")
            if row["status"] == "FUNDING":
                raise FailedPrecondition(f"campaign {campaign_id} is still being funded", field="campaign_id",
                                         reason="CAMPAIGN_FUNDING")
            if row["status"] != "ENDED":
                await self._stop(conn, row, reason or "ENDED_BY_ADMIN")
        await self.post_return(campaign_id)
        return await self.get(campaign_id)

    async def _stop(self, conn: asyncpg.Connection, row: asyncpg.Record, reason: str) -> None:
        # Per sub-budget, outstanding coupons are read before the balance: a discount the gateway posts in
        # between then makes us give back less, never more than the account can spare.
        await store.withdraw_envelopes(conn, row["id"])
        owed = await store.outstanding_by_account(conn, row["id"])
        subs = await store.budget_accounts(conn, row["id"])
        available = await self.budget.available_of([s["account_id"] for s in subs])
        returned = [domain.returnable(a, owed.get(s["account_id"], 0)) for s, a in zip(subs, available, strict=True)]
        ended_at = await store.mark_ended(conn, row["id"], reason, returned)
        await events.campaign_ended(conn, row["id"], reason, sum(returned), row["currency"], ended_at)

    async def post_return(self, campaign_id: str) -> None:
        row = await self.get(campaign_id)
        if row["status"] != "ENDED" or row["return_posted_at"] is not None:
            return
        parts = _give_back_parts(await self._sub_budgets(campaign_id), return_transfer_id, "returned_amount")
        await self.budget.give_back(f"{campaign_id}.return", campaign_id, parts, row["currency"])
        async with self.pool.acquire() as conn:
            await store.mark_return_posted(conn, campaign_id)

    async def settle(self, campaign_id: str) -> None:
        """Give back what an ended campaign's sub-budgets still hold once no coupon can draw on them."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await store.lock_campaign(conn, campaign_id)
            assert row is not None
            if row["settled_at"] is not None:
                return
            subs = await store.budget_accounts(conn, campaign_id)
            if row["settled_amount"] is None:
                available = await self.budget.available_of([s["account_id"] for s in subs])
                await store.fix_settled_amounts(conn, campaign_id, [max(a, 0) for a in available])
                subs = await store.budget_accounts(conn, campaign_id)
        parts = _give_back_parts(subs, settle_transfer_id, "settled_amount")
        await self.budget.give_back(f"{campaign_id}.settle", campaign_id, parts, row["currency"])
        async with self.pool.acquire() as conn:
            await store.mark_settled(conn, campaign_id)


def _give_back_parts(
    subs: list[asyncpg.Record], transfer_id: Callable[[str], str], column: str
) -> list[tuple[str, SubBudget]]:
    """(transfer id, sub-budget with the amount fixed in `column`) of each sub-budget."""
    return [(transfer_id(s["owner_id"]), SubBudget(s["owner_id"], s["account_id"], s[column] or 0)) for s in subs]


def validate_end_reason(reason: str) -> str:
    if len(reason) > MAX_NAME_LENGTH:
        raise InvalidArgument(f"reason: at most {MAX_NAME_LENGTH} characters", field="reason")
    return reason
