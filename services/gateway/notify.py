"""Signed webhook notifications: delivered by a worker, retried with backoff for about 25 hours, logged."""

from __future__ import annotations

import asyncio
import os
import time

import aiohttp
import asyncpg

from ..kit.logging import get_logger
from . import security, store

log = get_logger("gateway.notify")
# Seconds before attempt 2, 3, ...; they add up to about 25 hours, then the notification is FAILED.
BACKOFF: tuple[int, ...] = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 3600,
                            10800, 10800, 10800, 21600, 21600)
LEASE_SECONDS = 60
DELIVERY_TIMEOUT = 10.0


def next_delay(attempts_done: int, scale: float = 1.0) -> float | None:
    """Delay after `attempts_done` failed attempts; None once the schedule is used up."""
    if attempts_done > len(BACKOFF):
        return None
    return BACKOFF[attempts_done - 1] * scale


class Notifier:
    def __init__(self, pool: asyncpg.Pool, keys: security.Keys) -> None:
        self.pool = pool
        self.keys = keys
        self.scale = float(os.environ.get("SCANPAY_GATEWAY_NOTIFY_BACKOFF_SCALE", "1"))
        self.poll = float(os.environ.get("SCANPAY_GATEWAY_NOTIFY_POLL", "1"))

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                try:
                    sent = await self.deliver_due(session)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError) as exc:
                    log.warning("notify_loop_retry", error=str(exc))
                    sent = 0
                if not sent:
                    await asyncio.sleep(self.poll)

    async def deliver_due(self, session: aiohttp.ClientSession, limit: int = 50) -> int:
        async with self.pool.acquire() as conn:
            due = await store.claim_due_notifications(conn, limit, LEASE_SECONDS)
        await asyncio.gather(*(self.deliver(session, n) for n in due))
        return len(due)

    async def deliver(self, session: aiohttp.ClientSession, n: asyncpg.Record) -> None:
        body = bytes(n["body"])
        header = security.webhook_signature(self.keys.webhook_secret(n["owner_id"]), int(time.time()), body)
        started = time.perf_counter()
        status, error = 0, ""
        try:
            async with session.post(n["url"], data=body, headers={
                "Content-Type": "application/json", "Scanpay-Signature": header,
                "Scanpay-Notification-Id": n["notification_id"], "Scanpay-Event": n["event_type"],
            }) as response:
                status = response.status
                if not 200 <= status < 300:
                    error = f"HTTP {status}"
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        delivered = not error
        delay = None if delivered else next_delay(n["attempts"] + 1, self.scale)
        async with self.pool.acquire() as conn:
            row = await store.record_attempt(conn, n["notification_id"], status, error,
                                             int((time.perf_counter() - started) * 1000), delivered, delay)
        log.info("notification_attempt", notification_id=n["notification_id"], status=row["status"],
                 attempts=row["attempts"], code=status)
