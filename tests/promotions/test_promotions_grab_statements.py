"""Database work per grab: statements sent for grants (group commit) and for attempts after exhaustion.

Counted with asyncpg's query logger on the pool the grab logic runs on (BEGIN and COMMIT included).
"""

from __future__ import annotations

import asyncio

import asyncpg

from services.kit.db import create_pool
from services.promotions.coupons import Coupons
from services.promotions.domain import GrabOutcome

from .conftest import Promotions, cny, create_campaign

CONNECTIONS = 4


async def counted_pool(promotions: Promotions, statements: list[str]) -> asyncpg.Pool:
    """A pool whose every connection reports each statement it sends into `statements`."""
    pool = await create_pool(promotions.settings, min_size=CONNECTIONS, max_size=CONNECTIONS)
    held = [await pool.acquire() for _ in range(CONNECTIONS)]
    for conn in held:
        conn.add_query_logger(lambda record: statements.append(record.query))
    for conn in held:
        await pool.release(conn)
    return pool


async def test_grants_share_statements_and_exhausted_attempts_send_none(promotions: Promotions) -> None:
    envelopes = 300
    campaign = await create_campaign(promotions, budget=cny(envelopes * 10), count=envelopes, per_consumer_limit=1)
    statements: list[str] = []
    pool = await counted_pool(promotions, statements)
    coupons = Coupons(pool)
    try:
        first = await coupons.grab(campaign.id, "csm_stmt_first", "req_first")
        assert first.outcome is GrabOutcome.GRANTED
        statements.clear()
        # One grant alone: BEGIN, the batch grab statement, the outbox insert, COMMIT.
        alone = await coupons.grab(campaign.id, "csm_stmt_alone", "req_alone")
        assert alone.outcome is GrabOutcome.GRANTED and len(statements) == 4

        statements.clear()
        rush = await asyncio.gather(
            *(coupons.grab(campaign.id, f"csm_stmt_{i}", f"req_{i}") for i in range(envelopes - 2))
        )
        assert all(r.outcome is GrabOutcome.GRANTED for r in rush)
        assert len({r.coupon.id for r in rush}) == envelopes - 2
        per_grant = len(statements) / len(rush)
        print(f"{len(statements)} statements for {len(rush)} concurrent grants ({per_grant:.2f} each)")
        assert per_grant < 0.5, f"{len(statements)} statements for {len(rush)} concurrent grants"

        # The next attempt finds nothing: it learns the campaign is exhausted and loads its replay keys.
        assert (await coupons.grab(campaign.id, "csm_stmt_late", "req_late")).outcome is GrabOutcome.EXHAUSTED
        statements.clear()
        late = await asyncio.gather(
            *(coupons.grab(campaign.id, f"csm_stmt_late_{i}", f"req_late_{i}") for i in range(500))
        )
        assert all(r.outcome is GrabOutcome.EXHAUSTED for r in late)
        assert statements == []
        # A replay of a granted request still gets its coupon: one read.
        replay = await coupons.grab(campaign.id, "csm_stmt_alone", "req_alone")
        assert replay.outcome is GrabOutcome.GRANTED and replay.coupon == alone.coupon
        assert len(statements) == 1
    finally:
        await pool.close()
