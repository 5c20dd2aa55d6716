"""The over-issuance trap: 200 concurrent grabbers, 20,000 attempts, 2,000 envelopes, over gRPC."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

from services.gen.scanpay.promotions.v1 import promotions_pb2 as pb

from .conftest import Promotions, balance, cny, create_campaign, grab

GRABBERS = 200
ATTEMPTS = 20_000
ENVELOPES = 2_000
BUDGET = 1_000_000  # 10,000.00 CNY, 1 to 1,000 fen each
CONSUMERS = 900
LIMIT = 3


async def test_concurrent_grabs_never_over_issue(promotions: Promotions) -> None:
    campaign = await create_campaign(
        promotions, budget=cny(BUDGET), count=ENVELOPES, split=pb.SPLIT_MODE_RANDOM, min_amount=cny(1),
        max_amount=cny(1_000), per_consumer_limit=LIMIT, seed=2026,
    )
    statuses: Counter[int] = Counter()
    first_answer: dict[tuple[str, str], str] = {}
    replays_differing: list[tuple[str, str]] = []

    async def grabber(worker: int) -> None:
        rng = random.Random(worker)
        mine: list[tuple[str, str]] = []
        for attempt in range(ATTEMPTS // GRABBERS):
            # One attempt in ten retries an earlier request: it must get the same answer.
            if mine and rng.random() < 0.1:
                consumer, request_id = rng.choice(mine)
            else:
                consumer, request_id = f"csm_{rng.randrange(CONSUMERS)}", f"req_{worker}_{attempt}"
                mine.append((consumer, request_id))
            reply = await grab(promotions, campaign.id, consumer, request_id)
            statuses[reply.status] += 1
            if reply.status == pb.GRAB_STATUS_GRANTED:
                known = first_answer.setdefault((consumer, request_id), reply.coupon.id)
                if known != reply.coupon.id:
                    replays_differing.append((consumer, request_id))

    started = time.perf_counter()
    await asyncio.gather(*(grabber(w) for w in range(GRABBERS)))
    elapsed = time.perf_counter() - started
    print(f"{ATTEMPTS} grabs in {elapsed:.1f}s ({ATTEMPTS / elapsed:.0f}/s): {dict(statuses)}")

    assert sum(statuses.values()) == ATTEMPTS
    assert not replays_differing
    assert len(set(first_answer.values())) == ENVELOPES
    assert statuses[pb.GRAB_STATUS_EXHAUSTED] > 0
    async with promotions.pool.acquire() as conn:
        issued = await conn.fetchrow(
            "SELECT count(*) AS n, sum(value) AS total FROM coupons WHERE campaign_id = $1", campaign.id)
        per_consumer = await conn.fetch(
            """
            SELECT k.consumer_id, count(*) AS coupons, g.grabbed FROM coupons k
            JOIN consumer_grabs g ON g.campaign_id = k.campaign_id AND g.consumer_id = k.consumer_id
            WHERE k.campaign_id = $1 GROUP BY k.consumer_id, g.grabbed
            """,
            campaign.id,
        )
        unclaimed = await conn.fetchval(
            "SELECT count(*) FROM envelopes WHERE campaign_id = $1 AND state <> 'CLAIMED'", campaign.id)
        events = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE subject = 'promotions.coupon.issued' AND position($1 IN encode(payload, 'escape')) > 0",
            campaign.id)
    assert issued["n"] == ENVELOPES
    assert issued["total"] == BUDGET  # to the fen
    assert unclaimed == 0
    assert max(r["coupons"] for r in per_consumer) <= LIMIT
    assert all(r["coupons"] == r["grabbed"] for r in per_consumer)
    assert events == ENVELOPES
    # Grabs move no money: the whole budget still sits in the campaign's account.
    assert await balance(promotions, campaign.budget_account_id) == BUDGET
    got = await promotions.stub.GetCampaign(pb.GetCampaignRequest(campaign_id=campaign.id),
                                            metadata=(("x-scanpay-actor", "admin"),))
    assert got.campaign.issued_count == ENVELOPES and got.campaign.issued_amount.amount == BUDGET
