"""Wallet transfers/s over gRPC vs pgbench tpcb-like on the same PostgreSQL with the same client count,
and one hot merchant vs payments spread over 1,000 merchants.

    .venv/bin/python -m bench.wallet_transfers [--quick] [--clients 16] [--seconds 15]

Uses SCANPAY_PG_DSN (default: the local server at 127.0.0.1:5432) in a fresh database that is dropped
afterwards, an embedded NATS, and the wallet service as its own process (outbox relay included).
Writes only the wallet section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import grpc
import psutil
import uvloop

from bench.common import percentile, pgbench_custom, pgbench_init, pgbench_tpcb, write_section
from services.gen.scanpay.common.v1.common_pb2 import Money
from services.gen.scanpay.wallet.v1 import wallet_pb2 as pb
from services.gen.scanpay.wallet.v1 import wallet_pb2_grpc
from services.kit import localstack
from services.kit.grpc import make_channel
from services.kit.ids import new_id

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-internal-token"
CONSUMERS = 1000
MERCHANTS = 1000


@dataclass
class Result:
    name: str
    ops: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    service_cpu_ms: float = 0.0  # CPU of the wallet process per operation
    client_cpu_ms: float = 0.0  # CPU of this load generator per operation

    @property
    def rate(self) -> float:
        return self.ops / self.seconds


async def setup_accounts(stub: wallet_pb2_grpc.WalletServiceStub) -> tuple[list[str], list[str]]:
    async def open_(kind: int, owner: str) -> str:
        return (await stub.OpenAccount(pb.OpenAccountRequest(kind=kind, owner_id=owner, currency="CNY"))).id

    clearing = await open_(pb.ACCOUNT_KIND_BANK_CLEARING, "bench-bank")
    consumers = await asyncio.gather(*[open_(pb.ACCOUNT_KIND_CONSUMER_WALLET, f"c{i}") for i in range(CONSUMERS)])
    merchants = await asyncio.gather(*[open_(pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE, f"m{i}") for i in range(MERCHANTS)])
    for start in range(0, CONSUMERS, 50):
        transfers = [pb.TransferInput(id=new_id("seed"), debit_account_id=clearing, credit_account_id=c,
                                      amount=Money(amount=10**12, currency="CNY"))
                     for c in consumers[start:start + 50]]
        await stub.CreateTransfers(pb.CreateTransfersRequest(batch_id=new_id("seed"), transfers=transfers))
    return list(consumers), list(merchants)


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def drive(stub: wallet_pb2_grpc.WalletServiceStub, name: str, consumers: list[str], merchants: list[str],
                clients: int, seconds: float, service: psutil.Process) -> Result:
    """`clients` concurrent callers, each one payment (consumer -> merchant) at a time, for `seconds`."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        while time.perf_counter() < stop_at:
            t = pb.TransferInput(id=new_id("t"), debit_account_id=rng.choice(consumers),
                                 credit_account_id=rng.choice(merchants), amount=Money(amount=rng.randint(1, 5000),
                                                                                      currency="CNY"))
            started = time.perf_counter()
            try:
                await stub.CreateTransfers(pb.CreateTransfersRequest(batch_id=new_id("b"), transfers=[t]))
                latencies.append(time.perf_counter() - started)
            except grpc.aio.AioRpcError:  # counted, not hidden: reported next to the figure
                errors += 1

    me = psutil.Process()
    cpu_before = cpu_seconds(service), cpu_seconds(me)
    began = time.perf_counter()
    await asyncio.gather(*[client(i) for i in range(clients)])
    elapsed = time.perf_counter() - began
    ops = max(1, len(latencies))
    latencies.sort()
    return Result(name, len(latencies), elapsed, errors, percentile(latencies, 0.5) * 1000,
                  percentile(latencies, 0.99) * 1000, (cpu_seconds(service) - cpu_before[0]) * 1000 / ops,
                  (cpu_seconds(me) - cpu_before[1]) * 1000 / ops)


# The service's own ledger function doing what one spread operation does (random consumer -> merchant, one
# transfer, one outbox event of a typical size), run by pgbench: the database's share of an operation.
WALLET_SQL = """\\set c random(1, {consumers})
\\set m random(1, {merchants})
\\set a random(1, 5000)
SELECT replayed FROM wallet.create_transfers(gen_random_uuid()::text, ARRAY[gen_random_uuid()::text],
  ARRAY[(SELECT id FROM public.bench_consumers WHERE n = :c)],
  ARRAY[(SELECT id FROM public.bench_merchants WHERE n = :m)],
  ARRAY[:a]::bigint[], ARRAY['CNY'], ARRAY[1], ARRAY[''], ARRAY['{{}}'::jsonb], ARRAY[false], ARRAY[0],
  ARRAY[gen_random_uuid()::text], ARRAY['wallet.transfer.posted'], ARRAY[decode(repeat('ab', 200), 'hex')],
  '{{}}'::jsonb);
"""


async def wait_for_relay(dsn: str, timeout: float = 180.0) -> float:
    """Wait until the service's outbox relay has published every event (the wallet-SQL run leaves tens of
    thousands), so the next round's service does not also carry that backlog; returns the seconds waited."""
    conn = await asyncpg.connect(dsn)
    began = time.perf_counter()
    try:
        while time.perf_counter() - began < timeout:
            if not await conn.fetchval("SELECT count(*) FROM wallet.outbox WHERE published_at IS NULL"):
                break
            await asyncio.sleep(0.5)
        return time.perf_counter() - began
    finally:
        await conn.close()


async def number_accounts(dsn: str, consumers: list[str], merchants: list[str]) -> None:
    """Tables that map 1..N to the bench's account ids, for WALLET_SQL."""
    conn = await asyncpg.connect(dsn)
    try:
        for table, ids in (("bench_consumers", consumers), ("bench_merchants", merchants)):
            await conn.execute(f"CREATE TABLE public.{table} (n int PRIMARY KEY, id text NOT NULL)")
            await conn.copy_records_to_table(table, schema_name="public", records=list(enumerate(ids, 1)))
    finally:
        await conn.close()


async def check_books(dsn: str) -> tuple[int, int]:
    conn = await asyncpg.connect(dsn)
    try:
        total = await conn.fetchval("SELECT coalesce(sum(posted), 0) FROM wallet.balances")
        negative = await conn.fetchval(
            """SELECT count(*) FROM (SELECT a.id FROM wallet.accounts a JOIN wallet.balances b ON b.account_id = a.id
               WHERE NOT a.allow_negative GROUP BY a.id HAVING sum(b.posted - b.pending_debits) < 0) x""")
        return total, negative
    finally:
        await conn.close()


@dataclass
class Round:
    pgbench_tps: float
    sql_tps: float  # WALLET_SQL under pgbench
    spread: Result
    hot: Result

    @property
    def ratio(self) -> float:
        return self.spread.rate / self.pgbench_tps

    @property
    def sql_ratio(self) -> float:
        return self.sql_tps / self.pgbench_tps

    @property
    def hot_ratio(self) -> float:
        return self.hot.rate / self.spread.rate


def report(clients: int, seconds: int, rounds: list[Round], books: tuple[int, int], quick: bool) -> str:
    rows = "\n".join(
        f"| {i + 1} | {r.pgbench_tps:,.0f} | {r.sql_tps:,.0f} | {r.spread.rate:,.0f} ({r.spread.p50_ms:.0f} / "
        f"{r.spread.p99_ms:.0f} ms) | {r.hot.rate:,.0f} ({r.hot.p50_ms:.0f} / {r.hot.p99_ms:.0f} ms) "
        f"| {r.sql_ratio:.2f} | {r.ratio:.2f} | {r.hot_ratio:.2f} | {r.spread.errors + r.hot.errors} |"
        for i, r in enumerate(rounds)
    )
    ratio = statistics.median(r.ratio for r in rounds)
    sql_ratio = statistics.median(r.sql_ratio for r in rounds)
    hot_ratio = statistics.median(r.hot_ratio for r in rounds)
    service_ms = statistics.median(r.spread.service_cpu_ms for r in rounds)
    client_ms = statistics.median(r.spread.client_cpu_ms for r in rounds)
    return f"""## wallet

`python -m bench.wallet_transfers{' --quick' if quick else ''}` ({time.strftime('%Y-%m-%d')}): {clients} clients,
{seconds} s per run, {len(rounds)} interleaved rounds (spread, hot, pgbench tpcb-like, pgbench of the wallet's
SQL) on one PostgreSQL with {os.cpu_count()} CPUs shared by PostgreSQL, the service and the load generator.
A wallet operation is one `CreateTransfers` gRPC call with one transfer (random consumer wallet -> merchant
receivable) through the real service process (interceptor, validation, one `create_transfers()` plpgsql
call: locks, checks, transfer row, outbox event; outbox relay publishing to NATS JetStream), driven by a
Python grpc.aio client on the same machine. pgbench runs tpcb-like with `-M prepared` and the same client
count; "wallet SQL" is pgbench calling the same `create_transfers()` for the same kind of transfer (with an
outbox event), i.e. the database's share of a wallet operation without Python or gRPC.

| round | pgbench tps | wallet SQL tps | wallet spread over {MERCHANTS} merchants, ops/s (p50 / p99) | wallet one hot merchant, ops/s (p50 / p99) | wallet SQL / pgbench | spread / pgbench | hot / spread | errors |
|---|---|---|---|---|---|---|---|---|
{rows}

- median wallet spread / pgbench: **{ratio:.2f}** (goal >= 0.6); the wallet's SQL alone: **{sql_ratio:.2f}**
- median hot merchant / spread: **{hot_ratio:.2f}** (goal >= 0.8)
- CPU per spread operation: wallet service {service_ms:.2f} ms, load generator {client_ms:.2f} ms (median of the rounds)
- after the runs: sum of all balances = {books[0]} (must be 0), forbidden negative balances = {books[1]} (must be 0)
"""


def start_service(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "services.wallet"], env=env, cwd=ROOT, stdout=log, stderr=log)


async def main_async(args: argparse.Namespace) -> None:
    admin_dsn = os.environ.get("SCANPAY_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"scanpay_bench_{secrets.token_hex(4)}"
    dsn = await localstack.create_database(admin_dsn, name)
    run_dir = ROOT / ".run" / f"bench-wallet-{os.getpid()}"
    nats = localstack.EmbeddedNats(run_dir / "nats")
    service: subprocess.Popen[bytes] | None = None
    try:
        await localstack.prepare_service(dsn, "wallet")
        nats_url = nats.start()
        port = localstack.free_port()
        env = {**os.environ, "SCANPAY_PG_DSN": dsn, "SCANPAY_NATS_URL": nats_url, "SCANPAY_WALLET_GRPC_PORT": str(port),
               "SCANPAY_WALLET_METRICS_PORT": str(localstack.free_port()), "SCANPAY_INTERNAL_TOKEN": TOKEN,
               "SCANPAY_DB_POOL_MAX": str(args.clients), "SCANPAY_LOG_LEVEL": "warning"}
        service = start_service(env, run_dir / "wallet.log")
        channel = make_channel(f"127.0.0.1:{port}", TOKEN, "scanpay.wallet.v1.WalletService", deadline=30)
        await asyncio.wait_for(channel.channel_ready(), 30)
        stub = wallet_pb2_grpc.WalletServiceStub(channel)
        consumers, merchants = await setup_accounts(stub)
        await number_accounts(dsn, consumers, merchants)
        wallet_sql = WALLET_SQL.format(consumers=len(consumers), merchants=len(merchants))
        pgbench_init(dsn, max(args.clients, 10))
        process = psutil.Process(service.pid)
        await drive(stub, "warm-up", consumers, merchants, args.clients, 2, process)
        rounds = []
        for _ in range(args.rounds):
            spread = await drive(stub, "spread", consumers, merchants, args.clients, args.seconds, process)
            hot = await drive(stub, "hot", consumers, merchants[:1], args.clients, args.seconds, process)
            tpcb = pgbench_tpcb(dsn, args.clients, args.seconds).tps
            # The ledger functions resolve their tables through the service role's search_path.
            sql = pgbench_custom(f"{dsn}?options=-csearch_path%3Dwallet", args.clients, args.seconds, wallet_sql).tps
            rounds.append(Round(tpcb, sql, spread, hot))
            print(f"relay caught up in {await wait_for_relay(dsn):.1f} s")
        await channel.close()
        books = await check_books(dsn)
        text = report(args.clients, args.seconds, rounds, books, args.quick)
        print(text)
        if not args.no_doc:
            write_section("wallet", text)
    finally:
        if service is not None:
            service.terminate()
            service.wait(30)
        nats.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
        conn = await asyncpg.connect(admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round of 5 s runs")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds = 5, 1
    uvloop.run(main_async(args))  # the services' event loop; it also makes the load generator cheaper


if __name__ == "__main__":
    main()
