"""The sweeper: releases timed-out holds, expires coupons, flags exhausted campaigns, ends campaigns whose
window closed, finishes interrupted wallet steps (funding, returns) and settles ended campaigns that no
coupon can draw on any more. Safe to run in every replica:
each sweep takes its rows with SKIP LOCKED or through idempotent steps."""

from __future__ import annotations

import asyncio
import os

import asyncpg

from ..kit.auth import Actor, current_actor
from ..kit.errors import ServiceError
from ..kit.logging import get_logger
from ..kit.service import Runtime
from . import store
from .budget import WalletBudget
from .campaigns import Campaigns
from .coupons import Coupons

log = get_logger("promotions.worker")
# A FUNDING campaign younger than this is probably still being created by its CreateCampaign call.
INTERRUPTED_AFTER_SECONDS = 30.0
WINDOW_CLOSED = "WINDOW_CLOSED"


def sweep_interval() -> float:
    return float(os.environ.get("SCANPAY_PROMOTIONS_SWEEP_SECONDS", "1.0"))


class Sweeper:
    def __init__(self, pool: asyncpg.Pool, campaigns: Campaigns, coupons: Coupons) -> None:
        self.pool = pool
        self.campaigns = campaigns
        self.coupons = coupons

    async def sweep(self) -> dict[str, int]:
        """One pass of every sweep; returns how many rows each one handled."""
        done = {
            "released": await self.coupons.release_timed_out(),
            "expired": await self.coupons.expire_due(),
        }
        async with self.pool.acquire() as conn:
            done["exhausted"] = await self.coupons.mark_exhausted(conn)
            closed = await store.campaigns_past_window(conn)
            unfinished = await store.campaigns_needing_money(conn, INTERRUPTED_AFTER_SECONDS)
            settling = await store.campaigns_to_settle(conn)
        for campaign_id in closed:
            await self.campaigns.end(campaign_id, WINDOW_CLOSED)
        for row in unfinished:
            if row["status"] == "FUNDING":
                await self.campaigns.finish_funding(row["id"])
            else:
                await self.campaigns.post_return(row["id"])
        for campaign_id in settling:
            await self.campaigns.settle(campaign_id)
        done["ended"] = len(closed)
        done["money"] = len(unfinished)
        done["settled"] = len(settling)
        return done


async def run(runtime: Runtime) -> None:
    # Wallet calls made by the sweeper are the service's own, not a forwarded caller's.
    current_actor.set(Actor("service", "promotions"))
    sweeper = Sweeper(
        runtime.pool, Campaigns(runtime.pool, WalletBudget(runtime.channel("wallet"))), Coupons(runtime.pool)
    )
    interval = sweep_interval()
    while True:
        try:
            done = await sweeper.sweep()
            if any(done.values()):
                log.info("promotions_sweep", **done)
        except (ServiceError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError,
                asyncpg.InternalClientError) as exc:
            log.warning("promotions_sweep_failed", error=str(exc) or type(exc).__name__)
        await asyncio.sleep(interval)
