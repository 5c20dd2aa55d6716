"""The over-issuance trap: 200 concurrent grabbers, 20,000 attempts, 2,000 envelopes.

The grabbers call the service's grab logic directly on a pool of many connections (the gRPC path of the
same code is covered in test_promotions_coupons.py and measured by bench/promotions_grab.py).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

from services.gen.scanpay.promotions.v1 import promotions_pb2 as pb
from services.kit.db import create_pool
from services.promotions.coupons import Coupons
from services.promotions.domain import GrabOutcome

from .conftest import Promotions, budget_balance, cny, create_campaign

GRABBERS = 200
ATTEMPTS = 20_000
ENVELOPES = 2_000
BUDGET = 1_000_000  # 10,000.00 CNY, 1 to 1,000 fen each
CONSUMERS = 900
LIMIT = 3
CONNECTIONS = 16


async def test_concurrent_grabs_never_over_issue(promotions: Promotions) -> None:
    campaign = await create_campaign(
        promotions, budget=cny(BUDGET), count=ENVELOPES, split=pb.SPLIT_MODE_RANDOM, min_amount=cny(1),
        max_amount=cny(1_000), per_consumer_limit=LIMIT, seed=2026,
    )
    pool = await create_pool(promotions.settings, max_size=CONNECTIONS)
    coupons = Coupons(pool)
    statuses: Counter[GrabOutcome] = Counter()
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
            result = await coupons.grab(campaign.id, consumer, request_id)
            statuses[result.outcome] += 1
            if result.outcome is GrabOutcome.GRANTED:
                assert result.coupon is not None
                known = first_answer.setdefault((consumer, request_id), result.coupon.id)
                if known != result.coupon.id:
                    replays_differing.append((consumer, request_id))

    started = time.perf_counter()
    try:
        await asyncio.gather(*(grabber(w) for w in range(GRABBERS)))
    finally:
        await pool.close()
    elapsed = time.perf_counter() - started
    print(f"{ATTEMPTS} grabs in {elapsed:.1f}s ({ATTEMPTS / elapsed:.0f}/s): {dict(statuses)}")

    assert sum(statuses.values()) == ATTEMPTS
    assert not replays_differing
    assert len(set(first_answer.values())) == ENVELOPES
    assert statuses[GrabOutcome.EXHAUSTED] > 0 and statuses[GrabOutcome.LIMIT_REACHED] > 0
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
            """
            SELECT count(*) FROM outbox
            WHERE subject = 'promotions.coupon.issued' AND position($1 IN encode(payload, 'escape')) > 0
            """,
            campaign.id)
    assert issued["n"] == ENVELOPES
    assert issued["total"] == BUDGET  # to the fen
    assert unclaimed == 0
    assert max(r["coupons"] for r in per_consumer) <= LIMIT
    assert all(r["coupons"] == r["grabbed"] for r in per_consumer)
    assert events == ENVELOPES
    # Grabs move no money: the whole budget still sits in the campaign's sub-budgets.
    assert await budget_balance(promotions, campaign.id) == BUDGET
    got = await promotions.stub.GetCampaign(pb.GetCampaignRequest(campaign_id=campaign.id),
                                            metadata=(("x-scanpay-actor", "admin"),))
    assert got.campaign.issued_count == ENVELOPES and got.campaign.issued_amount.amount == BUDGET
