"""Red-envelope grabs: concurrent attempts grouped into one statement and one commit, and what a process
knows about campaigns that can no longer give an envelope.

The grant path: attempts of one campaign wait in a queue; up to `PARALLEL_BATCHES` batches per campaign run
at once, each taking up to `BATCH_MAX` attempts of different consumers (one consumer's attempts go one at a
time, in order). A batch is one transaction: the batch grab statement (store.GRAB_BATCH_SQL) and one outbox
insert for the coupons it issued. Answers are handed out only after the commit.

The exhausted path: once a campaign is EXHAUSTED or ENDED (final for grabs: no envelope can be claimed any
more, so its set of coupons is complete) the process loads the (consumer, request id) of every coupon once.
An attempt that is not one of them is answered with no database work at all; one that is (a replay) reads its
coupon. The status is re-read at most every `STATUS_TTL_SECONDS`, so an admin's end shows as ENDED within that.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from ..gen.scanpay.promotions.v1 import promotions_pb2 as pb
from ..kit import tracing
from ..kit.errors import NotFound
from ..kit.ids import new_id
from ..kit.logging import get_logger
from . import domain, events, store
from .convert import coupon_from_template, coupon_template
from .domain import GrabOutcome

log = get_logger("promotions.grabs")

BATCH_MAX = 64
PARALLEL_BATCHES = 4
# An attempt that found every remaining envelope held by in-flight grabs waits for them this often.
LOCKED_RETRIES = 200
LOCKED_BACKOFF_SECONDS = 0.005
# How long a closed campaign's status may be stale (EXHAUSTED shown for a campaign an admin just ended).
STATUS_TTL_SECONDS = 1.0
# Campaigns with more envelopes than this keep no replay set in memory: each attempt reads its replay.
CLOSED_KEYS_MAX = 200_000
CLOSED_CAMPAIGNS_MAX = 32
TERMS_CACHE_MAX = 1024
# Before a campaign's start minus this margin (clock skew with the database) grabs are refused without a read.
NOT_STARTED_MARGIN_SECONDS = 2.0
FINAL_STATUSES = ("EXHAUSTED", "ENDED")


@dataclass(frozen=True)
class GrabResult:
    outcome: GrabOutcome
    coupon: pb.Coupon | None = None


REFUSED = {outcome: GrabResult(outcome) for outcome in GrabOutcome if outcome is not GrabOutcome.GRANTED}


@dataclass(frozen=True)
class CampaignTerms:
    """What never changes about a campaign once created: enough to answer grabs and build coupons."""

    id: str
    currency: str
    count: int
    starts_at: float
    ends_at: float
    template: pb.Coupon


@dataclass
class _Closed:
    status: str
    # hash((consumer id, request id)) of every coupon; None when the campaign is too big to keep them.
    keys: frozenset[int] | None
    checked_at: float
    refreshing: bool = False


@dataclass
class _Attempt:
    consumer_id: str
    request_id: str
    # The caller's trace context, for its coupon.issued event.
    headers: str
    future: asyncio.Future[GrabResult]
    rounds: int = 0


@dataclass
class _Queue:
    waiting: deque[_Attempt] = field(default_factory=deque)
    # Consumers with an attempt in a running batch.
    busy: set[str] = field(default_factory=set)
    running: int = 0
    # Attempts waiting out a backoff before their next round.
    sleeping: int = 0


def _key(consumer_id: str, request_id: str) -> int:
    return hash((consumer_id, request_id))


def _epoch(value: datetime) -> float:
    return value.timestamp()


async def mark_exhausted(conn: asyncpg.Connection, campaign_id: str | None = None) -> int:
    """Flag campaigns with no envelope left (once each, with campaign.exhausted); returns how many."""
    async with conn.transaction():
        rows = await store.mark_exhausted(conn, campaign_id)
        for r in rows:
            await events.campaign_exhausted(
                conn, r["id"], r["issued_count"], r["issued_amount"], r["currency"], r["exhausted_at"]
            )
    return len(rows)


class Grabs:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._terms: dict[str, CampaignTerms] = {}
        self._closed: dict[str, _Closed] = {}
        self._closing: dict[str, asyncio.Task[None]] = {}
        self._queues: dict[str, _Queue] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def grab(self, campaign_id: str, consumer_id: str, request_id: str) -> GrabResult:
        terms = self._terms.get(campaign_id) or await self._load_terms(campaign_id)
        closing = self._closing.get(campaign_id)
        if closing is not None:
            await asyncio.shield(closing)
        closed = self._closed.get(campaign_id)
        if closed is not None:
            return await self._closed_answer(terms, closed, consumer_id, request_id)
        if time.time() < terms.starts_at - NOT_STARTED_MARGIN_SECONDS:
            # No coupon can exist before the start, so no replay can be missed.
            return REFUSED[GrabOutcome.NOT_STARTED]
        return await self._submit(terms, consumer_id, request_id)

    def ended(self, campaign_id: str) -> None:
        """This process ended the campaign: its own answers say so at once (other processes within
        STATUS_TTL_SECONDS)."""
        closed = self._closed.get(campaign_id)
        if closed is not None:
            closed.status = "ENDED"

    # --- campaign terms -------------------------------------------------------------------------------

    async def _load_terms(self, campaign_id: str) -> CampaignTerms:
        async with self.pool.acquire() as conn:
            row = await store.campaign_terms(conn, campaign_id)
        if row is None:
            raise NotFound(f"campaign {campaign_id} does not exist", field="campaign_id", reason="CAMPAIGN_NOT_FOUND")
        terms = CampaignTerms(
            campaign_id,
            row["currency"],
            row["count"],
            _epoch(row["starts_at"]),
            _epoch(row["ends_at"]),
            coupon_template(row),
        )
        if len(self._terms) >= TERMS_CACHE_MAX:
            forgotten = next(iter(self._terms))
            del self._terms[forgotten]
            self._closed.pop(forgotten, None)
        self._terms[campaign_id] = terms
        return terms

    # --- closed campaigns -----------------------------------------------------------------------------

    async def _closed_answer(
        self, terms: CampaignTerms, closed: _Closed, consumer_id: str, request_id: str
    ) -> GrabResult:
        if closed.keys is None or _key(consumer_id, request_id) in closed.keys:
            async with self.pool.acquire() as conn:
                row = await store.closed_campaign_grab(conn, terms.id, consumer_id, request_id)
            closed.status, closed.checked_at = row["campaign_status"], time.monotonic()
            if row["id"] is not None:
                coupon = coupon_from_template(terms.template, terms.currency, consumer_id, row)
                return GrabResult(GrabOutcome.GRANTED, coupon)
        elif closed.status != "ENDED" and time.monotonic() - closed.checked_at > STATUS_TTL_SECONDS:
            self._refresh(terms.id, closed)
        if closed.status == "ENDED" or time.time() >= terms.ends_at:
            return REFUSED[GrabOutcome.ENDED]
        return REFUSED[GrabOutcome.EXHAUSTED]

    def _refresh(self, campaign_id: str, closed: _Closed) -> None:
        """Re-read the status of a closed campaign in the background (one read at a time)."""
        if closed.refreshing:
            return
        closed.refreshing = True

        async def refresh() -> None:
            try:
                async with self.pool.acquire() as conn:
                    closed.status = await store.campaign_status(conn, campaign_id)
                closed.checked_at = time.monotonic()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("grab_status_refresh_failed", campaign_id=campaign_id, error=type(exc).__name__)
            finally:
                closed.refreshing = False

        self._spawn(refresh())

    async def _close(self, terms: CampaignTerms, status: str) -> None:
        """Remember that the campaign can give no envelope any more, with the replay keys of its coupons."""
        closed = self._closed.get(terms.id)
        if closed is not None:
            closed.status, closed.checked_at = status, time.monotonic()
            return
        task = self._closing.get(terms.id)
        if task is None:
            task = asyncio.create_task(self._load_closed(terms, status))
            self._closing[terms.id] = task
        await asyncio.shield(task)

    async def _load_closed(self, terms: CampaignTerms, status: str) -> None:
        try:
            keys = None
            if terms.count <= CLOSED_KEYS_MAX:
                # Read after the campaign was seen closed: every coupon it will ever have is committed by now.
                async with self.pool.acquire() as conn:
                    rows = await store.grab_keys(conn, terms.id)
                keys = frozenset(_key(r["consumer_id"], r["grab_request_id"]) for r in rows)
            if len(self._closed) >= CLOSED_CAMPAIGNS_MAX:
                del self._closed[next(iter(self._closed))]
            self._closed[terms.id] = _Closed(status, keys, time.monotonic())
        finally:
            del self._closing[terms.id]

    # --- group commit ---------------------------------------------------------------------------------

    async def _submit(self, terms: CampaignTerms, consumer_id: str, request_id: str) -> GrabResult:
        queue = self._queues.setdefault(terms.id, _Queue())
        attempt = _Attempt(
            consumer_id, request_id, json.dumps(tracing.inject({})), asyncio.get_running_loop().create_future()
        )
        queue.waiting.append(attempt)
        self._start_batches(terms, queue)
        return await attempt.future

    def _start_batches(self, terms: CampaignTerms, queue: _Queue) -> None:
        while queue.running < PARALLEL_BATCHES and queue.waiting:
            batch = self._take(queue)
            if not batch:
                break
            queue.running += 1
            self._spawn(self._run_batch(terms, queue, batch))
        if not (queue.running or queue.waiting or queue.sleeping):
            self._queues.pop(terms.id, None)

    @staticmethod
    def _take(queue: _Queue) -> list[_Attempt]:
        """Up to BATCH_MAX waiting attempts of consumers not already in a batch, one per consumer, oldest first."""
        chosen: list[_Attempt] = []
        left: deque[_Attempt] = deque()
        for attempt in queue.waiting:
            if attempt.future.done():  # the caller went away
                continue
            if len(chosen) < BATCH_MAX and attempt.consumer_id not in queue.busy:
                chosen.append(attempt)
                queue.busy.add(attempt.consumer_id)
            else:
                left.append(attempt)
        queue.waiting = left
        return chosen

    def _spawn(self, coro: object) -> None:
        task = asyncio.create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_batch(self, terms: CampaignTerms, queue: _Queue, batch: list[_Attempt]) -> None:
        again: list[_Attempt] = []
        try:
            again = await self._grab_batch(terms, batch)
        except (asyncpg.UniqueViolationError, asyncpg.DeadlockDetectedError):
            # A request raced itself in another process (the next round finds its coupon), or another
            # process took counter rows in another order: nothing was written, so try again.
            again = batch
        except BaseException as exc:
            # Every caller of the batch gets its failure (their interceptor maps it); cancellation goes on up.
            for attempt in batch:
                _settle(attempt, exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            queue.running -= 1
            queue.busy.difference_update(a.consumer_id for a in batch)
        self._retry(terms, queue, again)
        self._start_batches(terms, queue)

    def _retry(self, terms: CampaignTerms, queue: _Queue, attempts: list[_Attempt]) -> None:
        waiting = []
        for attempt in attempts:
            attempt.rounds += 1
            if attempt.rounds >= LOCKED_RETRIES:
                # Every envelope left stayed held by in-flight grabs all along: nothing for this attempt (not
                # remembered, since a holder that rolls back puts its envelope back).
                _settle(attempt, REFUSED[GrabOutcome.EXHAUSTED])
            else:
                waiting.append(attempt)
        if waiting:
            queue.sleeping += len(waiting)
            asyncio.get_running_loop().call_later(LOCKED_BACKOFF_SECONDS, self._requeue, terms, queue, waiting)

    def _requeue(self, terms: CampaignTerms, queue: _Queue, attempts: list[_Attempt]) -> None:
        queue.sleeping -= len(attempts)
        queue.waiting.extendleft(reversed(attempts))
        self._start_batches(terms, queue)

    async def _grab_batch(self, terms: CampaignTerms, batch: list[_Attempt]) -> list[_Attempt]:
        """One transaction for the batch; answers every attempt it can and returns those to try again."""
        answers: list[tuple[_Attempt, GrabResult]] = []
        limited: list[_Attempt] = []
        unclaimed: list[_Attempt] = []
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                rows = await store.grab_batch(
                    conn,
                    terms.id,
                    [a.consumer_id for a in batch],
                    [a.request_id for a in batch],
                    [new_id("cpn") for _ in batch],
                )
                head = rows[0]
                if head["campaign_status"] is None:
                    raise NotFound(
                        f"campaign {terms.id} does not exist", field="campaign_id", reason="CAMPAIGN_NOT_FOUND"
                    )
                refusal = _refusal(head)
                issued: list[tuple[pb.Coupon, str]] = []
                for attempt, row in zip(batch, rows, strict=True):
                    if row["id"] is not None:
                        coupon = coupon_from_template(terms.template, terms.currency, attempt.consumer_id, row)
                        if not row["replayed"]:
                            issued.append((coupon, attempt.headers))
                        answers.append((attempt, GrabResult(GrabOutcome.GRANTED, coupon)))
                    elif refusal is not None:
                        answers.append((attempt, REFUSED[refusal]))
                    elif row["tried"]:
                        limited.append(attempt)  # the counter refused it: the limit, unless granted meanwhile
                    else:
                        unclaimed.append(attempt)  # no free envelope was left for it in this round
                if issued:
                    await events.coupons_issued(conn, issued)
            # Committed: the answers can go out.
            for attempt, result in answers:
                _settle(attempt, result)
            if limited:
                for attempt, result in await self._limit_or_replay(conn, terms, limited):
                    _settle(attempt, result)
            exhausted = bool(unclaimed) and not await store.has_available_envelope(conn, terms.id)
            if exhausted:
                await mark_exhausted(conn, terms.id)
        status = head["campaign_status"]
        if exhausted or status in FINAL_STATUSES:
            await self._close(terms, "ENDED" if status == "ENDED" else "EXHAUSTED")
            closed = self._closed[terms.id]
            for attempt in unclaimed:
                _settle(attempt, await self._closed_answer(terms, closed, attempt.consumer_id, attempt.request_id))
            return []
        return unclaimed

    @staticmethod
    async def _limit_or_replay(
        conn: asyncpg.Connection, terms: CampaignTerms, attempts: list[_Attempt]
    ) -> list[tuple[_Attempt, GrabResult]]:
        rows = await store.grabbed_coupons(
            conn, terms.id, [a.consumer_id for a in attempts], [a.request_id for a in attempts]
        )
        found = {(r["consumer_id"], r["grab_request_id"]): r for r in rows}
        answers = []
        for attempt in attempts:
            row = found.get((attempt.consumer_id, attempt.request_id))
            if row is None:
                answers.append((attempt, REFUSED[GrabOutcome.LIMIT_REACHED]))
            else:
                coupon = coupon_from_template(terms.template, terms.currency, attempt.consumer_id, row)
                answers.append((attempt, GrabResult(GrabOutcome.GRANTED, coupon)))
        return answers


def _refusal(row: asyncpg.Record) -> GrabOutcome | None:
    """Why no request of the batch could grab (by the campaign's status and window), or None when it is open."""
    status = row["campaign_status"]
    outcome = domain.window_outcome(row["at"], row["starts_at"], row["ends_at"], ended=status == "ENDED")
    if outcome is not None:
        return outcome
    if status == "FUNDING":
        return GrabOutcome.NOT_STARTED
    if status == "EXHAUSTED":
        return GrabOutcome.EXHAUSTED
    return None


def _settle(attempt: _Attempt, result: GrabResult | BaseException) -> None:
    if attempt.future.done():
        return
    if isinstance(result, BaseException):
        attempt.future.set_exception(result)
    else:
        attempt.future.set_result(result)
