"""Settle and reconcile one business day of N trades generated straight into PostgreSQL.

    .venv/bin/python -m bench.settlement_day [--trades 1000000] [--merchants 1000] [--quick]

Uses SCANPAY_PG_DSN (default: the local server) with a fresh database of its own, dropped at the end, an
embedded NATS on a free loopback port, and the real wallet service in-process. Steps timed: generating the
entries (INSERT ... SELECT generate_series), settling the day (the set-based batch SQL, posting every merchant's
batch to the wallet, payout files), loading the gateway side by COPY and the three-way match in SQL.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import re
import secrets
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import asyncpg

from bench.common import pgbench_binary, write_section
from services.gen.scanpay.common.v1 import common_pb2
from services.gen.scanpay.wallet.v1 import wallet_pb2
from services.kit import localstack
from services.kit.config import dsn_with_user, load, role_name
from services.kit.grpc import make_channel
from services.kit.service import serve
from services.settlement import domain, runs, store
from services.settlement.clients import Ledger

T = TypeVar("T")

GENERATE = """
INSERT INTO clearing_entries (entry_id, kind, trade_id, event_id, merchant_id, store_id, mall_id, currency, gross,
  paid, discount, fee, commission, net, fee_rate_bps, commission_bps, business_date, batch_date, occurred_at)
SELECT 'clr_' || i, 'trade', 'trd_' || i, 'evt_' || i, m, 'sto_' || m, mall, 'CNY', gross, gross - disc, disc,
       fee, com, gross - fee - com, 60, CASE WHEN mall = '' THEN 0 ELSE 200 END, $1, $1,
       $2::timestamptz + (i % 86000) * interval '1 second'
FROM generate_series(1, $3::bigint) i
CROSS JOIN LATERAL (SELECT 'mch_' || (i % $4::int) AS m, 100 + (i * 7919) % 99900 AS gross,
                           CASE WHEN i % 10 < 3 THEN 'mal_' || (i % 20) ELSE '' END AS mall) a
CROSS JOIN LATERAL (SELECT (gross * 60 * 2 + 10000) / 20000 AS fee,
                           CASE WHEN mall = '' THEN 0 ELSE (gross * 200 * 2 + 10000) / 20000 END AS com,
                           CASE WHEN i % 5 = 0 THEN gross / 10 ELSE 0 END AS disc) b
"""
# 1% of the trades refunded in full: the fee and commission come back whole.
REFUNDS = """
INSERT INTO clearing_entries (entry_id, kind, trade_id, refund_id, event_id, merchant_id, store_id, mall_id,
  currency, gross, paid, discount, fee, commission, net, fee_rate_bps, commission_bps, business_date, batch_date,
  occurred_at)
SELECT 'clr_r' || substr(entry_id, 5), 'refund', trade_id, 'rfd_' || substr(entry_id, 5), 'evt_r' || entry_id,
       merchant_id, store_id, mall_id, currency, gross, paid, discount, fee, commission, -net, fee_rate_bps,
       commission_bps, business_date, batch_date, occurred_at + interval '1 minute'
FROM clearing_entries WHERE kind = 'trade' AND batch_date = $1 AND trade_id LIKE '%37'
"""
# What the receivables hold before settlement (gross - refunds per merchant), as the gateway's payments left them.
INTAKE = """
SELECT merchant_id, sum(CASE WHEN kind = 'trade' THEN gross ELSE -gross END)::bigint AS intake
FROM clearing_entries WHERE batch_date = $1 GROUP BY merchant_id
"""


# The trades and refunds of the day as the gateway and the ledger would report them.
SUBJECTS = """
SELECT kind, CASE WHEN kind = 'trade' THEN trade_id ELSE refund_id END AS subject_id, trade_id, merchant_id, gross
FROM clearing_entries WHERE business_date = $1
"""


class Banks:
    async def banks(self, merchant_ids: Sequence[str]) -> dict[str, str]:
        return {m: "ICBC" for m in merchant_ids}


class Timer:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float | None, str]] = []

    async def __call__(self, label: str, work: Awaitable[T], note: str = "") -> T:
        started = time.perf_counter()
        out = await work
        self.add(label, time.perf_counter() - started, note)
        return out

    def add(self, label: str, seconds: float | None, note: str = "") -> None:
        self.rows.append((label, seconds, note))
        print(f"{label}: {'' if seconds is None else f'{seconds:.2f} s'} {note}")

    def seconds(self, label: str) -> float:
        return next(s or 0.0 for name, s, _ in self.rows if name == label)


async def fund_receivables(ledger: Ledger, pool: asyncpg.Pool, day: object) -> int:
    async with pool.acquire() as conn:
        rows = await conn.fetch(INTAKE, day)
    bank = await ledger.stub.OpenAccount(wallet_pb2.OpenAccountRequest(
        kind=wallet_pb2.ACCOUNT_KIND_BANK_CLEARING, owner_id="bench-bank", currency="CNY"))
    limit = asyncio.Semaphore(16)

    async def one(merchant_id: str, amount: int) -> None:
        async with limit:
            receivable = await ledger.account(domain.RECEIVABLE, merchant_id)
            await ledger.stub.CreateTransfers(wallet_pb2.CreateTransfersRequest(
                batch_id=f"fund_{merchant_id}", transfers=[wallet_pb2.TransferInput(
                    id=f"fund_{merchant_id}", debit_account_id=bank.id, credit_account_id=receivable,
                    amount=common_pb2.Money(amount=amount, currency="CNY"), code=1, reference=f"fund_{merchant_id}")]),
                timeout=30)

    await asyncio.gather(*(one(r["merchant_id"], r["intake"]) for r in rows if r["intake"] > 0))
    return len(rows)


async def reconcile_day(pool: asyncpg.Pool, day: object, timer: Timer) -> None:
    async with pool.acquire() as conn:
        gateway = [domain.Record(r["kind"], r["subject_id"], r["trade_id"], r["merchant_id"], r["gross"])
                   for r in await conn.fetch(SUBJECTS, day)]
        off = gateway[5]
        gateway[5] = dataclasses.replace(off, amount=off.amount + 1)  # the gateway says one fen more
        async with conn.transaction():
            await timer("reconcile: COPY gateway side", store.load_side(conn, "recon_gateway", day, gateway),
                        f"({len(gateway):,} rows)")
        await conn.execute(
            f"INSERT INTO recon_ledger SELECT $1, kind, subject_id, trade_id, merchant_id, gross FROM ({SUBJECTS}) s"
            " WHERE subject_id <> 'trd_42'", day)
        await conn.execute("ANALYZE recon_gateway; ANALYZE recon_ledger")
        async with conn.transaction():
            result = await timer("reconcile: three-way match + store", runs.match_and_store(conn, day))
    found = {(f.subject_id, f.kind) for f in result.totals.findings}
    expected = {(off.subject_id, "AMOUNT_MISMATCH"), ("trd_42", "MISSING_IN_LEDGER")}
    assert found == expected, f"{len(found)} findings, e.g. {sorted(found - expected)[:5]}"
    timer.add("reconcile: result", None, f"{result.totals.matched:,} matched, {len(found)} discrepancies found"
              " (the 2 injected: a 1-fen mismatch, a missing ledger entry)")


async def bench(admin_dsn: str, trades: int, merchants: int, work_dir: Path) -> Timer:
    name = f"scanpay_bench_settlement_{secrets.token_hex(3)}"
    db = await localstack.create_database(admin_dsn, name)
    nats = localstack.EmbeddedNats(work_dir / "nats", port=localstack.free_port())
    timer = Timer()
    stop = asyncio.Event()
    wallet_task = None
    try:
        nats_url = nats.start()
        for service in ("settlement", "wallet"):
            await localstack.prepare_service(db, service)
        wallet_port = localstack.free_port()
        wallet_settings = dataclasses.replace(load("wallet"), pg_dsn=db, nats_url=nats_url, grpc_port=wallet_port)
        module = __import__("services.wallet.__main__", fromlist=["spec"])
        wallet_task = asyncio.create_task(serve(module.spec(), wallet_settings, stop))
        while not await localstack.health_check(f"127.0.0.1:{wallet_port}", "wallet"):
            await asyncio.sleep(0.1)
        channel = make_channel(f"127.0.0.1:{wallet_port}", wallet_settings.internal_token,
                               "scanpay.wallet.v1.WalletService",
                               ["OpenAccount", "CreateTransfers", "CreateTransferBatches"], deadline=30)
        ledger = Ledger(channel)
        pool = await asyncpg.create_pool(dsn_with_user(db, role_name("settlement")), min_size=1, max_size=20,
                                         server_settings={"search_path": "settlement"})
        day = domain.today_in_shanghai() - timedelta(days=1)
        start, _ = domain.day_bounds(day)
        async with pool.acquire() as conn:
            await timer("generate trades", conn.execute(GENERATE, day, start, trades, merchants),
                        f"({trades:,} trades, {merchants:,} merchants)")
            await timer("generate refunds", conn.execute(REFUNDS, day))
            await conn.execute("INSERT INTO merchants (merchant_id, fee_rate_bps, bank_name) SELECT 'mch_' || i, 60,"
                               " CASE WHEN i % 2 = 0 THEN 'ICBC' ELSE 'CCB' END FROM generate_series(0, $1 - 1) i",
                               merchants)
            await conn.execute("ANALYZE clearing_entries")
            entries = await conn.fetchval("SELECT count(*) FROM clearing_entries")
        funded = await fund_receivables(ledger, pool, day)
        print(f"funded {funded} receivables")
        settler = runs.Settler(pool, ledger, Banks(), out_dir=work_dir / "out")
        started = time.perf_counter()
        await timer("settle: freeze day (batches, mall lines, payouts)", settler.freeze(day),
                    f"({entries:,} entries)")
        posted = await timer("settle: post batches to the wallet", settler.post(day))
        files = await timer("settle: payout files", settler.send_payouts(day))
        timer.add("settle total", time.perf_counter() - started,
                  f"({posted:,} wallet batches, {len(files)} payout files)")
        async with pool.acquire() as conn:
            batches, unposted = await conn.fetchrow(
                "SELECT count(*), count(*) FILTER (WHERE status <> 'posted') FROM batches WHERE business_date = $1",
                day)
            adds_up = await conn.fetchval(
                "SELECT (SELECT sum(net) FROM clearing_entries WHERE batch_date = $1)"
                " = (SELECT sum(net) FROM batches WHERE business_date = $1)", day)
        assert adds_up and batches == merchants and unposted == 0, "batches do not add up to the entries"
        swept = await ledger.stub.GetBalance(wallet_pb2.GetBalanceRequest(
            account_id=await ledger.account(domain.RECEIVABLE, "mch_1")))
        assert swept.posted.amount == 0, "a receivable was not swept"
        timer.add("pgbench baseline: sum per merchant", pgbench_once(db, BASELINE_BATCH_SQL.format(day=day), work_dir))
        await reconcile_day(pool, day, timer)
        timer.add("pgbench baseline: group three sides", pgbench_once(db, BASELINE_MATCH_SQL.format(day=day), work_dir))
        await pool.close()
        await channel.close()
    finally:
        stop.set()
        if wallet_task is not None:
            await asyncio.gather(wallet_task, return_exceptions=True)
        nats.stop()
        conn = await asyncpg.connect(admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
    return timer


def pgbench_once(dsn: str, sql: str, work_dir: Path) -> float:
    """Seconds pgbench takes to run `sql` once (1 client): the floor for one pass over the day's entries."""
    script = work_dir / "baseline.sql"
    script.write_text(sql.strip() + "\n")
    out = subprocess.run([pgbench_binary(), "-n", "-c", "1", "-t", "1", "-f", str(script), dsn],
                         check=True, capture_output=True, text=True, timeout=600).stdout
    found = re.search(r"latency average = ([\d.]+) ms", out)
    if not found:
        raise RuntimeError(f"pgbench printed no latency:\n{out}")
    return float(found.group(1)) / 1000


# The same day's entries summed per merchant, and the three sides grouped by trade id, in plain SQL.
BASELINE_BATCH_SQL = """
SELECT merchant_id, sum(net), sum(fee) FROM settlement.clearing_entries WHERE batch_date = '{day}' GROUP BY 1;
"""
BASELINE_MATCH_SQL = """
SELECT count(*) FROM (SELECT subject_id, sum(amount) FROM (
  SELECT subject_id, amount FROM settlement.recon_gateway WHERE business_date = '{day}'
  UNION ALL SELECT subject_id, amount FROM settlement.recon_ledger WHERE business_date = '{day}'
  UNION ALL SELECT CASE WHEN kind = 'trade' THEN trade_id ELSE refund_id END, gross
  FROM settlement.clearing_entries WHERE business_date = '{day}') s
GROUP BY subject_id) g;
"""


def report(timer: Timer, trades: int, merchants: int) -> str:
    rows = "\n".join(f"| {label} | {'' if s is None else f'{s:.2f}'} | {note} |" for label, s, note in timer.rows)
    settle = timer.seconds("settle total")
    recon = timer.seconds("reconcile: COPY gateway side") + timer.seconds("reconcile: three-way match + store")
    return f"""## settlement: settle and reconcile one day

`.venv/bin/python -m bench.settlement_day` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, 2 cores,
PostgreSQL on loopback, the wallet service in-process. {trades:,} trades of {merchants:,} merchants (30% in
20 malls, 20% discounted, 1% refunded in full) generated straight into `settlement.clearing_entries` with
`INSERT ... SELECT generate_series`; each merchant's receivable funded in the wallet with its day's intake.
Reconciliation matches trades by trade id and refunds by refund id.

| step | seconds | |
|---|---|---|
{rows}

Goal < 60 s each: settle **{'met' if settle < 60 else 'not met'}** ({settle:.1f} s), reconcile
**{'met' if recon < 60 else 'not met'}** ({recon:.1f} s, COPY of the gateway side + match).

Settling is one grouping-sets pass over the day's entries and one INSERT each for batches, mall lines and payouts,
then the merchant batches to the wallet, 64 per `CreateTransferBatches` call (4 calls in flight). Reconciliation
is one hash aggregate over the three sides (`UNION ALL` + `GROUP BY` trade id; full joins of the sides spilled to
disk and took 80 s). The pgbench rows run the bare aggregate of each step once on the same PostgreSQL (1 client),
the floor for one pass. Not included: fetching the gateway's and the wallet's sides over gRPC (paged, 500 per call).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--merchants", type=int, default=1_000)
    parser.add_argument("--quick", action="store_true", help="50,000 trades; docs/benchmarks.md untouched")
    args = parser.parse_args()
    trades = 50_000 if args.quick else args.trades
    admin = os.environ.get("SCANPAY_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    with tempfile.TemporaryDirectory(prefix="scanpay-bench-settlement-") as work:
        timer = asyncio.run(bench(admin, trades, args.merchants, Path(work)))
    if not args.quick:
        write_section("settlement", report(timer, trades, args.merchants))


if __name__ == "__main__":
    main()
