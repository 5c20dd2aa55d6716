"""Wallet transfers/s over gRPC vs pgbench tpcb-like on the same PostgreSQL with the same client count,
and one hot merchant vs payments spread over 1,000 merchants.

    .venv/bin/python -m bench.wallet_transfers [--quick] [--clients 16] [--seconds 10] [--per-call 16]

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


def payment(rng: random.Random, consumers: list[str], merchants: list[str]) -> pb.CreateTransfersRequest:
    """One payment: a batch of one transfer, random consumer wallet -> merchant receivable."""
    t = pb.TransferInput(id=new_id("t"), debit_account_id=rng.choice(consumers),
                         credit_account_id=rng.choice(merchants),
                         amount=Money(amount=rng.randint(1, 5000), currency="CNY"))
    return pb.CreateTransfersRequest(batch_id=new_id("b"), transfers=[t])


async def drive(stub: wallet_pb2_grpc.WalletServiceStub, name: str, consumers: list[str], merchants: list[str],
                clients: int, seconds: float, service: psutil.Process, per_call: int = 1) -> Result:
    """`clients` concurrent callers for `seconds`, each sending one payment per CreateTransfers call, or
    `per_call` payments (independent batches) per CreateTransferBatches call; ops are applied transfers."""
    latencies: list[float] = []
    applied = 0
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def call(rng: random.Random) -> tuple[int, int]:
        if per_call == 1:
            await stub.CreateTransfers(payment(rng, consumers, merchants))
            return 1, 0
        reply = await stub.CreateTransferBatches(pb.CreateTransferBatchesRequest(
            batches=[payment(rng, consumers, merchants) for _ in range(per_call)]))
        ok = sum(1 for o in reply.outcomes if o.WhichOneof("outcome") == "applied")
        return ok, len(reply.outcomes) - ok

    async def client(seed: int) -> None:
        nonlocal applied, errors
        rng = random.Random(seed)
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                ok, failed = await call(rng)
            except grpc.aio.AioRpcError:  # counted, not hidden: reported next to the figure
                errors += per_call
                continue
            latencies.append(time.perf_counter() - started)
            applied += ok
            errors += failed

    me = psutil.Process()
    cpu_before = cpu_seconds(service), cpu_seconds(me)
    began = time.perf_counter()
    await asyncio.gather(*[client(i) for i in range(clients)])
    elapsed = time.perf_counter() - began
    ops = max(1, applied)
    latencies.sort()
    return Result(name, applied, elapsed, errors, percentile(latencies, 0.5) * 1000,
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
    spread: Result  # one payment per CreateTransfers call
    hot: Result
    batched_spread: Result  # --per-call payments per CreateTransferBatches call
    batched_hot: Result

    @property
    def ratio(self) -> float:
        return self.spread.rate / self.pgbench_tps

    @property
    def batched_ratio(self) -> float:
        return self.batched_spread.rate / self.pgbench_tps

    @property
    def sql_ratio(self) -> float:
        return self.sql_tps / self.pgbench_tps

    @property
    def hot_ratio(self) -> float:
        return self.hot.rate / self.spread.rate

    @property
    def batched_hot_ratio(self) -> float:
        return self.batched_hot.rate / self.batched_spread.rate


def cell(result: Result) -> str:
    return f"{result.rate:,.0f} ({result.p50_ms:.0f} / {result.p99_ms:.0f} ms)"


def report(args: argparse.Namespace, rounds: list[Round], books: tuple[int, int]) -> str:
    rows = "\n".join(
        f"| {i + 1} | {r.pgbench_tps:,.0f} | {r.sql_tps:,.0f} | {cell(r.spread)} | {cell(r.hot)} "
        f"| {cell(r.batched_spread)} | {cell(r.batched_hot)} | {r.sql_ratio:.2f} | {r.ratio:.2f} "
        f"| {r.batched_ratio:.2f} | {r.hot_ratio:.2f} | {r.batched_hot_ratio:.2f} "
        f"| {r.spread.errors + r.hot.errors + r.batched_spread.errors + r.batched_hot.errors} |"
        for i, r in enumerate(rounds)
    )

    def median(figure: str) -> float:
        return statistics.median(getattr(r, figure) for r in rounds)

    def cpu(kind: str, attr: str) -> float:
        return statistics.median(getattr(getattr(r, kind), attr) for r in rounds)

    n = args.per_call
    return f"""## wallet

`python -m bench.wallet_transfers{' --quick' if args.quick else ''}` ({time.strftime('%Y-%m-%d')}): {args.clients}
clients, {args.seconds} s per run, {len(rounds)} interleaved rounds (per-call spread and hot, batched spread and
hot, pgbench tpcb-like, pgbench of the wallet's SQL) on one PostgreSQL with {os.cpu_count()} CPUs shared by
PostgreSQL, the service and the load generator. A payment is one transfer (random consumer wallet -> merchant
receivable) in a batch of its own, through the real service process (interceptor, validation, the ledger's
plpgsql: locks, checks, transfer row, outbox event; outbox relay publishing every event to NATS JetStream),
driven by a Python grpc.aio client on the same machine.

- **per call**: one payment per `CreateTransfers` call, as the gateway pays.
- **batched**: {n} payments per `CreateTransferBatches` call (TigerBeetle's model: independent
  all-or-nothing batches in one request and one commit), as a client with many payments at once sends them
  (settlement's payout run, a gateway in front of a queue). ops/s counts applied transfers.
- pgbench runs tpcb-like with `-M prepared` and the same client count; "wallet SQL" is pgbench calling the
  same `create_transfers()` for the same payment (with its outbox event): the database's share of a
  per-call payment without Python or gRPC.

| round | pgbench tps | wallet SQL tps | per call, spread over {MERCHANTS} merchants, ops/s (p50 / p99) | per call, one hot merchant | batched, spread | batched, one hot merchant | wallet SQL / pgbench | per call spread / pgbench | batched spread / pgbench | per call hot / spread | batched hot / spread | errors |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
{rows}

- median batched spread / pgbench: **{median('batched_ratio'):.2f}** (goal >= 0.6); per call: **{median('ratio'):.2f}**;
  the wallet's SQL alone: **{median('sql_ratio'):.2f}**
- median hot merchant / spread: **{median('batched_hot_ratio'):.2f}** batched, **{median('hot_ratio'):.2f}** per call
  (goal >= 0.8)
- CPU per payment, per call: wallet service {cpu('spread', 'service_cpu_ms'):.2f} ms, load generator
  {cpu('spread', 'client_cpu_ms'):.2f} ms; batched: wallet service {cpu('batched_spread', 'service_cpu_ms'):.2f} ms,
  load generator {cpu('batched_spread', 'client_cpu_ms'):.2f} ms (medians of the rounds)
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
            batched_spread = await drive(stub, "batched spread", consumers, merchants, args.clients, args.seconds,
                                         process, args.per_call)
            batched_hot = await drive(stub, "batched hot", consumers, merchants[:1], args.clients, args.seconds,
                                      process, args.per_call)
            # The relay is still publishing the batched runs' events; pgbench must not share the machine with it.
            print(f"relay caught up in {await wait_for_relay(dsn):.1f} s")
            tpcb = pgbench_tpcb(dsn, args.clients, args.seconds).tps
            # The ledger functions resolve their tables through the service role's search_path.
            sql = pgbench_custom(f"{dsn}?options=-csearch_path%3Dwallet", args.clients, args.seconds, wallet_sql).tps
            rounds.append(Round(tpcb, sql, spread, hot, batched_spread, batched_hot))
            print(f"relay caught up in {await wait_for_relay(dsn):.1f} s")
        await channel.close()
        books = await check_books(dsn)
        text = report(args, rounds, books)
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
    parser.add_argument("--per-call", type=int, default=16, help="payments per CreateTransferBatches call")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds = 5, 1
    uvloop.run(main_async(args))  # the services' event loop; it also makes the load generator cheaper


if __name__ == "__main__":
    main()
