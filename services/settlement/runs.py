"""The day's operations: settle (freeze, post to the ledger, write payout files), payouts, reconcile."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol

import asyncpg
import grpc

from ..gen.scanpay.settlement.v1 import events_pb2
from ..kit.config import ConfigError
from ..kit.errors import FailedPrecondition, InvalidArgument, NotFound, ServiceError
from ..kit.events import append, append_rows, outbox_row
from ..kit.logging import get_logger
from . import domain, statements, store
from .clients import MAX_BATCHES_PER_CALL, Gateway, Ledger, LedgerRefused, Posting, money

log = get_logger("settlement.runs")
OUTPUT_DIR_ENV = "SCANPAY_SETTLEMENT_OUTPUT_DIR"
AUTO_RUN_ENV = "SCANPAY_SETTLEMENT_AUTO_RUN_AT"
AUTO_RUN_DEFAULT = "02:00"
AUTO_RUN_POLL_SECONDS = 300.0
POST_CONCURRENCY = 4  # CreateTransferBatches calls in flight, each of up to MAX_BATCHES_PER_CALL batches
# Ledger transfers of a trade may be stamped a moment after the gateway's paid_at.
LEDGER_SLACK = timedelta(minutes=10)


def output_dir() -> Path:
    return Path(os.environ.get(OUTPUT_DIR_ENV, ".run/settlement"))


@dataclass
class RunResult:
    day: date
    already_settled: bool
    summary: asyncpg.Record
    files: list[str] = field(default_factory=list)


class Settler:
    def __init__(self, pool: asyncpg.Pool, ledger: Ledger, banks: BankLookup, out_dir: Path | None = None) -> None:
        self.pool = pool
        self.ledger = ledger
        self.banks = banks
        self.out_dir = out_dir or output_dir()

    async def run(self, day: date) -> RunResult:
        already = await self.freeze(day)
        await self.post(day)
        files = await self.send_payouts(day)
        async with self.pool.acquire() as conn:
            await store.mark_day_posted(conn, day)
            summary = await store.day_summary(conn, day)
        return RunResult(day, already, summary, files)

    async def freeze(self, day: date) -> bool:
        """Compute the day's batches once; returns True when they had been computed before."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(store.RUN_LOCK)
            if await store.day_status(conn, day) is not None:
                return True
            earlier = await store.earliest_open_day_before(conn, day)
            if earlier is not None:
                raise FailedPrecondition(f"settle {earlier} first: days settle in order", field="business_date",
                                         reason="EARLIER_DAY_OPEN")
            count = await store.compute_day(conn, day)
        log.info("settlement_day_computed", business_date=str(day), batches=count)
        return False

    async def post(self, day: date) -> int:
        """Post every computed batch of the day to the ledger (idempotent per batch id).

        A batch that gives back fees or mall commission (more refunds than sales) draws on the platform's
        fee revenue and the malls' commission accounts, which must not go below zero and which the day's
        other batches fill: those batches go in a second round, after every other batch has committed."""
        async with self.pool.acquire() as conn:
            batches = await store.batches_to_post(conn, day)
        postings = [Posting(b["batch_id"], b["merchant_id"], b["currency"],
                            domain.batch_legs(b["fees"], json.loads(b["malls"]), b["payout"], b["carry_in"],
                                              b["carry_out"]))
                    for b in batches]
        failures: list[BaseException] = []
        for draws in (False, True):
            failures += await self._post_postings([p for p in postings if domain.draws_on_platform(p.legs) is draws])
        if failures:
            # The posted ones stay posted; a rerun of the day posts the rest.
            raise failures[0]
        return len(batches)

    async def _post_postings(self, postings: Sequence[Posting]) -> list[BaseException]:
        """Post in calls of MAX_BATCHES_PER_CALL, POST_CONCURRENCY at once; mark each applied batch posted."""
        limit = asyncio.Semaphore(POST_CONCURRENCY)

        async def group(chunk: Sequence[Posting]) -> list[LedgerRefused]:
            async with limit:
                refusals = await self.ledger.post_batches(chunk)
                applied = [p.batch_id for p, refusal in zip(chunk, refusals, strict=True) if refusal is None]
                async with self.pool.acquire() as conn, conn.transaction():
                    posted = await store.mark_posted(conn, applied)
                    if posted:
                        await append_rows(conn, [outbox_row("settlement", "batch.posted", batch_posted(b))
                                                 for b in posted])
                return [refusal for refusal in refusals if refusal is not None]

        chunks = [postings[i:i + MAX_BATCHES_PER_CALL] for i in range(0, len(postings), MAX_BATCHES_PER_CALL)]
        outcomes = await asyncio.gather(*(group(c) for c in chunks), return_exceptions=True)
        return [f for o in outcomes for f in (o if isinstance(o, list) else [o])]

    async def send_payouts(self, day: date) -> list[str]:
        """Write every pending payout (the day's and re-queued ones) to one file per bank, then mark them sent."""
        async with self.pool.acquire() as conn:
            missing = await store.merchants_without_bank(conn)
        if missing:
            banks = await self.banks.banks(missing)
            async with self.pool.acquire() as conn:
                await store.set_bank(conn, banks)
        async with self.pool.acquire() as conn, conn.transaction():
            pending = await store.pending_payouts(conn)
            if not pending:
                return []
            by_bank: dict[str, list[asyncpg.Record]] = {}
            for payout in pending:
                by_bank.setdefault(payout["bank_name"] or "UNKNOWN", []).append(payout)
            folder = self.out_dir / day.isoformat()
            folder.mkdir(parents=True, exist_ok=True)
            files: dict[str, str] = {}
            written = []
            for bank, rows in by_bank.items():
                path = _new_file(folder, f"payouts_{safe_name(bank)}_{day:%Y%m%d}")
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(statements.payout_file(rows))
                tmp.replace(path)
                written.append(str(path))
                files.update({r["payout_id"]: path.name for r in rows})
            for sent in await store.mark_sent(conn, files):
                await append(conn, "settlement", "payout.sent", events_pb2.PayoutSent(
                    payout_id=sent["payout_id"], batch_id=sent["batch_id"], merchant_id=sent["merchant_id"],
                    amount=money(sent["amount"], sent["currency"]), bank_code=sent["bank_name"],
                    file_name=sent["file_name"], attempt=sent["attempt"]))
        return written


def _new_file(folder: Path, stem: str) -> Path:
    """A file never written before: a later run of the day (re-queued payouts) gets _2, _3, ..."""
    path, n = folder / f"{stem}.csv", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}_{n}.csv"
    return path


def safe_name(text: str) -> str:
    """A file-name-safe bank name; letters of any script stay (中国工商银行 is not UNKNOWN)."""
    return re.sub(r"[^\w-]+", "_", text).strip("_") or "UNKNOWN"


def batch_posted(b: asyncpg.Record) -> events_pb2.BatchPosted:
    cur = b["currency"]
    return events_pb2.BatchPosted(
        batch_id=b["batch_id"], merchant_id=b["merchant_id"], business_date=b["business_date"].isoformat(),
        gross=money(b["gross"], cur), fees=money(b["fees"], cur), mall_commission=money(b["commission"], cur),
        net=money(b["net"], cur), payout=money(b["payout"], cur), carry_out=money(b["carry_out"], cur),
        late_count=b["late_count"],
    )


class BankLookup(Protocol):
    """What the settler needs of the merchant directory (clients.Directory provides it)."""

    async def banks(self, merchant_ids: Sequence[str]) -> dict[str, str]: ...


async def mark_payout(pool: asyncpg.Pool, ledger: Ledger, payout_id: str, paid: bool, reason: str
                      ) -> tuple[asyncpg.Record, asyncpg.Record | None]:
    """The bank's answer. Only a sent payout can be answered. Paid: the money leaves the merchant payable for
    the bank (wallet batch = payout id, so a retry moves nothing twice); failed: re-queued as a new pending one."""
    if not paid and not reason.strip():
        raise InvalidArgument("reason: required for a failed payout", field="reason")
    async with pool.acquire() as conn, conn.transaction():
        # The row lock is held over the wallet call: two answers for one payout queue behind each other.
        payout = _require_sent(await store.payout_for_update(conn, payout_id), payout_id)
        if paid:
            await ledger.post_batch(payout_id, payout["merchant_id"], payout["currency"],
                                    [domain.payout_paid_leg(payout["amount"], payout["bank_name"] or "UNKNOWN")])
            return await store.mark_paid(conn, payout_id), None
        failed, requeued = await store.fail_and_requeue(conn, payout_id, reason.strip())
        await append(conn, "settlement", "payout.failed", events_pb2.PayoutFailed(
            payout_id=failed["payout_id"], batch_id=failed["batch_id"], merchant_id=failed["merchant_id"],
            amount=money(failed["amount"], failed["currency"]), reason=failed["failure_reason"],
            requeued_payout_id=requeued["payout_id"]))
        return failed, requeued


def _require_sent(payout: asyncpg.Record | None, payout_id: str) -> asyncpg.Record:
    if payout is None:
        raise NotFound(f"payout {payout_id} not found", field="payout_id")
    if payout["status"] != "sent":
        raise FailedPrecondition(f"payout {payout_id} is {payout['status']}, only a sent payout can be marked",
                                 field="payout_id", reason="PAYOUT_NOT_SENT")
    return payout


# --- the daily run -------------------------------------------------------------------------------------------


def auto_run_time(raw: str | None = None) -> time | None:
    """When the daily run starts, Asia/Shanghai ("HH:MM"); None when switched off ("off")."""
    value = (raw if raw is not None else os.environ.get(AUTO_RUN_ENV, AUTO_RUN_DEFAULT)).strip()
    if value.lower() == "off":
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{AUTO_RUN_ENV} must be HH:MM (Asia/Shanghai) or off, got {value!r}") from None


async def settle_due_days(settler: Settler, now: datetime) -> list[date]:
    """Settle, in order, every day before today that has open entries; returns the days settled."""
    done: list[date] = []
    today = domain.today_in_shanghai(now)
    while True:
        async with settler.pool.acquire() as conn:
            day = await store.earliest_open_day_before(conn, today)
        if day is None or day in done:
            return done
        await settler.run(day)
        done.append(day)


async def daily_run(settler: Settler, at: time) -> None:
    """From `at` each day, settle the days that are over (T+1); a failure is retried at the next poll."""
    while True:
        now = datetime.now(UTC)
        if now.astimezone(domain.SHANGHAI).time() >= at:
            try:
                for day in await settle_due_days(settler, now):
                    log.info("daily_run_settled", business_date=str(day))
            except (ServiceError, LedgerRefused, grpc.aio.AioRpcError, asyncpg.PostgresError, OSError) as exc:
                log.warning("daily_run_failed", error=str(exc) or type(exc).__name__)
        await asyncio.sleep(AUTO_RUN_POLL_SECONDS)


# --- reconciliation ------------------------------------------------------------------------------------------


async def gateway_records(gateway: Gateway, day: date) -> list[domain.Record]:
    """The trades paid and the refunds that succeeded on the day, as the gateway has them."""
    trades = [domain.Record("trade", t.trade_id, t.trade_id, t.merchant_id, t.amount.amount)
              async for t in gateway.trades_for_day(day.isoformat())]
    refunds = [domain.Record("refund", r.refund_id, r.trade_id, r.merchant_id, r.amount.amount)
               async for r in gateway.refunds_for_day(day.isoformat())]
    return trades + refunds


async def ledger_records(ledger: Ledger, window: tuple[datetime, datetime], merchant_ids: set[str],
                         known: set[str]) -> list[domain.Record]:
    """The merchants' receivable legs posted in `window` (the business day), one record per transfer.

    The gateway posts a trade as wallet batch = trade id (credits to the receivable) and a refund as batch =
    refund id with reference = trade id (debits). Settlement's own postings (reference stl_...) are neither.
    Transfers of the slack around the window count only for subjects (`known` ids) the gateway or clearing
    place on the day."""
    found = {m: await ledger.find_receivable(m) for m in sorted(merchant_ids)}
    receivables = {account: m for m, account in found.items() if account}
    start, end = window
    out: list[domain.Record] = []
    async for t in ledger.export(start - LEDGER_SLACK, end + LEDGER_SLACK):
        if not t.reference or t.reference.startswith("stl_"):
            continue
        if t.credit_account_id in receivables and t.batch_id == t.reference:
            record = domain.Record("trade", t.reference, t.reference, receivables[t.credit_account_id],
                                   t.amount.amount)
        elif t.debit_account_id in receivables and t.batch_id != t.reference:
            record = domain.Record("refund", t.batch_id, t.reference, receivables[t.debit_account_id],
                                   t.amount.amount)
        else:
            continue
        inside = start <= t.created_at.ToDatetime(tzinfo=start.tzinfo) < end
        if inside or record.subject_id in known:
            out.append(record)
    return out


async def clearing_subjects(pool: asyncpg.Pool, day: date) -> tuple[set[str], set[str]]:
    """Ids of the trades and refunds cleared for the day, and their merchants."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT DISTINCT CASE WHEN kind = 'trade' THEN trade_id ELSE refund_id END AS subject_id, merchant_id"
            " FROM clearing_entries WHERE business_date = $1",
            day)
    return {r["subject_id"] for r in rows}, {r["merchant_id"] for r in rows}


@dataclass
class ReconcileResult:
    totals: store.ReconTotals
    rows: list[asyncpg.Record]
    fresh: int


async def reconcile(pool: asyncpg.Pool, day: date, gateway: list[domain.Record], ledger: list[domain.Record]
                    ) -> ReconcileResult:
    """Load what the gateway and the ledger said, match all three sides in SQL, store the discrepancies
    (a known one is seen again, not duplicated) and announce the new ones."""
    async with pool.acquire() as conn, conn.transaction():
        await store.load_side(conn, "recon_gateway", day, gateway)
        await store.load_side(conn, "recon_ledger", day, ledger)
        return await match_and_store(conn, day)


async def match_and_store(conn: asyncpg.Connection, day: date) -> ReconcileResult:
    totals = await store.reconcile_day(conn, day)
    rows = await store.upsert_discrepancies(conn, day, totals.findings)
    fresh = [r for r in rows if r["fresh"]]
    for r in fresh:
        await append(conn, "settlement", "reconciliation.discrepancy", events_pb2.DiscrepancyFound(
            discrepancy_id=r["discrepancy_id"], business_date=day.isoformat(), subject_kind=r["subject_kind"],
            subject_id=r["subject_id"], trade_id=r["trade_id"], merchant_id=r["merchant_id"], kind=r["kind"],
            reason=r["reason"]))
    return ReconcileResult(totals, rows, len(fresh))
