"""Red-envelope rush: grab attempts/s and latency over gRPC, against pgbench running the same SQL.

    .venv/bin/python -m bench.promotions_grab [--quick] [--clients 200] [--attempts 100000] [--envelopes 10000]

Uses SCANPAY_PG_DSN (default: the local server at 127.0.0.1:5432) in a fresh database that is dropped
afterwards, an embedded NATS, and the wallet and promotions services as their own processes (outbox relay
and sweeper included). One campaign of `envelopes` random envelopes; `clients` concurrent callers make
`attempts` grabs in total for random consumers (limit 2 each). Afterwards the books are checked (issued ==
envelopes, sum == budget, nobody over the limit) and pgbench runs the grab transaction itself (the batch grab
statement for one request and the outbox insert, no Python) with as many clients as the service has connections.
Besides throughput it reports the work per attempt, overall and for the grant and exhausted phases: the
service's CPU, the CPU of the database backends serving it, and database transactions.
Writes only the promotions section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import grpc
import psutil
from google.protobuf.timestamp_pb2 import Timestamp

from bench.common import percentile, pgbench_binary, write_section
from services.gen.scanpay.common.v1.common_pb2 import Money
from services.gen.scanpay.promotions.v1 import promotions_pb2 as pb
from services.gen.scanpay.promotions.v1 import promotions_pb2_grpc
from services.kit import localstack
from services.kit.config import dsn_with_user, role_name
from services.kit.grpc import make_channel
from services.promotions.store import GRAB_BATCH_SQL

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-internal-token"
LIMIT = 2
CHANNELS = 4
DB_CONNECTIONS = 20


@dataclass(frozen=True)
class Work:
    """What the service and its database spent, as a snapshot (subtract two for a phase)."""

    attempts: int
    service_cpu_s: float
    db_cpu_s: float
    transactions: int

    def __sub__(self, other: Work) -> Work:
        return Work(self.attempts - other.attempts, self.service_cpu_s - other.service_cpu_s,
                    self.db_cpu_s - other.db_cpu_s, self.transactions - other.transactions)

    def per_attempt(self) -> str:
        n = max(self.attempts, 1)
        return (f"{self.service_cpu_s / n * 1000:.3f} | {self.db_cpu_s / n * 1000:.3f} | "
                f"{self.transactions / n:.3f}")


class Meter:
    """Samples the service process's CPU, its database backends' CPU and the database's transaction count."""

    def __init__(self, server: psutil.Process, admin_dsn: str, database: str) -> None:
        self.server = server
        self.admin_dsn = admin_dsn
        self.database = database
        self.backends: dict[int, psutil.Process] = {}

    async def sample(self, attempts: int) -> Work:
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            pids = [r["pid"] for r in await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND usename = $2", self.database,
                role_name("promotions"))]
            transactions = await conn.fetchval(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", self.database)
        finally:
            await conn.close()
        db_cpu = 0.0
        for pid in pids:
            # Backends started during the rush count from zero; one that exited in between is lost (rare:
            # the pool keeps its connections while busy).
            process = self.backends.setdefault(pid, psutil.Process(pid))
            try:
                db_cpu += sum(process.cpu_times()[:2])
            except psutil.NoSuchProcess:
                continue
        return Work(attempts, sum(self.server.cpu_times()[:2]), db_cpu, transactions)


@dataclass
class Rush:
    attempts: int
    seconds: float
    statuses: Counter[int | str]
    latencies_ms: list[float]
    exhausted_after_s: float
    total: Work
    grants: Work
    exhausted: Work

    @property
    def rate(self) -> float:
        return self.attempts / self.seconds


@dataclass(frozen=True)
class Books:
    issued: int
    total: int
    worst_consumer: int


async def create_campaign(channel: grpc.aio.Channel, envelopes: int) -> pb.Campaign:
    now = datetime.now(UTC)
    start, end = Timestamp(), Timestamp()
    start.FromDatetime(now - timedelta(minutes=1))
    end.FromDatetime(now + timedelta(hours=2))
    request = pb.CreateCampaignRequest(
        request_id=secrets.token_hex(8), name="bench rush", budget=Money(amount=envelopes * 500, currency="CNY"),
        count=envelopes, split=pb.SPLIT_MODE_RANDOM, min_amount=Money(amount=1, currency="CNY"),
        max_amount=Money(amount=2_000, currency="CNY"), starts_at=start, ends_at=end, per_consumer_limit=LIMIT,
    )
    stub = promotions_pb2_grpc.PromotionsServiceStub(channel)
    return (await stub.CreateCampaign(request, metadata=(("x-scanpay-actor", "admin"),))).campaign


async def rush(target: str, campaign_id: str, clients: int, attempts: int, consumers: int, meter: Meter) -> Rush:
    """`clients` callers share `attempts` grabs; each waits for its answer before the next."""
    channels = [grpc.aio.insecure_channel(target) for _ in range(CHANNELS)]
    stubs = [promotions_pb2_grpc.PromotionsServiceStub(c) for c in channels]
    metadata = (("authorization", f"Bearer {TOKEN}"), ("x-scanpay-actor", "service:gateway"))
    statuses: Counter[int | str] = Counter()
    latencies: list[float] = []
    left = attempts
    done = 0
    exhausted_at = 0.0
    at_exhaustion: asyncio.Task[Work] | None = None

    async def client(seed: int) -> None:
        nonlocal left, done, exhausted_at, at_exhaustion
        rng = random.Random(seed)
        stub = stubs[seed % CHANNELS]
        while left > 0:
            left -= 1
            consumer = f"csm_{rng.randrange(consumers)}"
            request = pb.GrabRedEnvelopeRequest(campaign_id=campaign_id, consumer_id=consumer,
                                                request_id=secrets.token_hex(8))
            began = time.perf_counter()
            try:
                reply = await stub.GrabRedEnvelope(request, metadata=metadata, timeout=30)
            except grpc.aio.AioRpcError as exc:
                statuses[f"error {exc.code().name}"] += 1
                continue
            latencies.append((time.perf_counter() - began) * 1000)
            statuses[reply.status] += 1
            done += 1
            if reply.status == pb.GRAB_STATUS_EXHAUSTED and not exhausted_at:
                exhausted_at = time.perf_counter()
                at_exhaustion = asyncio.create_task(meter.sample(done))

    before = await meter.sample(0)
    began = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - began
    for channel in channels:
        await channel.close()
    await asyncio.sleep(1.5)  # backends publish their transaction counts within a second
    after = await meter.sample(attempts)
    middle = await at_exhaustion if at_exhaustion is not None else after
    until_exhausted = (exhausted_at - began) if exhausted_at else elapsed
    return Rush(attempts, elapsed, statuses, sorted(latencies), until_exhausted, after - before, middle - before,
                after - middle)


async def check_books(dsn: str, campaign_id: str) -> Books:
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "promotions"})
    try:
        issued = await conn.fetchrow(
            "SELECT count(*) AS n, coalesce(sum(value), 0)::bigint AS total FROM coupons WHERE campaign_id = $1",
            campaign_id)
        worst = await conn.fetchval(
            "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM coupons WHERE campaign_id = $1"
            " GROUP BY consumer_id) per", campaign_id)
    finally:
        await conn.close()
    return Books(issued["n"], issued["total"], worst)


def pgbench_script(campaign_id: str, notify: bool) -> str:
    """One grab as the service runs it when it is alone (a batch of one): the batch grab statement and the
    coupon.issued outbox row, one transaction (with a pg_notify as the kit once sent, or without it)."""
    statement = " ".join(GRAB_BATCH_SQL.split())
    for param, value in (("$1", f"'{campaign_id}'"), ("$2", "ARRAY['csm_' || :consumer]"),
                         ("$3", "ARRAY['req_' || :n]"), ("$4", "ARRAY['cpn_' || :client_id || '_' || :n]")):
        statement = statement.replace(param, value)
    return "\n".join([
        "\\set consumer random(1, 1000000)",
        "\\set n random(1, 1000000000000)",
        "BEGIN;",
        statement + ";",
        "INSERT INTO outbox (event_id, subject, payload) VALUES ('evt_' || :client_id || '_' || :n,"
        " 'promotions.coupon.issued', '\\x00'::bytea);",
        *(["SELECT pg_notify('scanpay_outbox', '');"] if notify else []),
        "COMMIT;",
        "",
    ])


def pgbench_grabs(dsn: str, campaign_id: str, clients: int, transactions: int, notify: bool) -> tuple[float, float]:
    """(transactions/s, average latency ms) of pgbench running the grab transaction."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(pgbench_script(campaign_id, notify))
    try:
        out = subprocess.run(
            [pgbench_binary(), "-n", "-c", str(clients), "-j", "2", "-t", str(max(1, transactions // clients)),
             "-f", script.name, f"{dsn}?options=-csearch_path%3Dpromotions"],
            check=True, capture_output=True, text=True, timeout=600,
        ).stdout
    finally:
        os.unlink(script.name)
    tps = re.search(r"tps = ([\d.]+)", out)
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    if not tps:
        raise RuntimeError(f"pgbench printed no tps:\n{out}")
    return float(tps.group(1)), float(latency.group(1)) if latency else 0.0


def report(args: argparse.Namespace, result: Rush, books: Books, budget: int,
           baseline: dict[bool, tuple[float, float]]) -> str:
    s = result.statuses
    granted = s[pb.GRAB_STATUS_GRANTED]
    verdict = "met" if result.rate >= 2_000 else "not met on this run"
    errors = ", ".join(f"{n} {k}" for k, n in s.items() if isinstance(k, str)) or "0"
    load = os.getloadavg()[0]
    lat = result.latencies_ms
    ok = books.issued == args.envelopes and books.total == budget and books.worst_consumer <= LIMIT
    command = "bench.promotions_grab" + (" --quick" if args.quick else "")
    return f"""## promotions: GrabRedEnvelope rush

`.venv/bin/python -m {command}` — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, \
{os.cpu_count()} cores, Python {sys.version.split()[0]}. Load average {load:.1f} at the end \
(anything else running on the machine lowers these figures).

{args.attempts:,} grab attempts by {args.clients} concurrent gRPC callers (each waits for its answer) against one \
campaign of {args.envelopes:,} random envelopes (1 to 2,000 fen, budget {budget:,} fen), random consumers out of \
{args.consumers:,}, at most {LIMIT} envelopes each. The promotions service is one process with \
{DB_CONNECTIONS} database connections; the wallet funded the campaign beforehand.

| run | attempts/s | p50 ms | p99 ms | max ms | granted | exhausted | limit reached | errors |
|---|---|---|---|---|---|---|---|---|
| gRPC GrabRedEnvelope, whole rush | {result.rate:,.0f} | {percentile(lat, 0.5):.1f} | {percentile(lat, 0.99):.1f} | \
{lat[-1]:.1f} | {granted:,} | {s[pb.GRAB_STATUS_EXHAUSTED]:,} | {s[pb.GRAB_STATUS_LIMIT_REACHED]:,} | {errors} |
| gRPC, until the last envelope went | {granted / result.exhausted_after_s:,.0f} granted/s | | | | \
{granted:,} in {result.exhausted_after_s:.1f} s | | | |
| pgbench, the grab transaction in raw SQL ({DB_CONNECTIONS} clients, {args.envelopes:,} claims) | \
{baseline[True][0]:,.0f} | avg {baseline[True][1]:.1f} | | | | | | |
| pgbench, the same without the outbox's pg_notify | {baseline[False][0]:,.0f} | avg {baseline[False][1]:.1f} | \
| | | | | |

Work per attempt (service CPU: gRPC, kit interceptor, asyncpg, protobuf; database CPU: the backends of the
service's connections; transactions: the database's commits and rollbacks):

| phase | attempts | service CPU ms | database CPU ms | transactions |
|---|---|---|---|---|
| whole rush | {result.total.attempts:,} | {result.total.per_attempt()} |
| until the first EXHAUSTED answer | {result.grants.attempts:,} | {result.grants.per_attempt()} |
| after it | {result.exhausted.attempts:,} | {result.exhausted.per_attempt()} |

Books after the rush: {books.issued:,} coupons issued, {books.total:,} fen in total, at most \
{books.worst_consumer} per consumer — {'exact' if ok else 'WRONG'}.

Goal: at least 2,000 grabs/s — {verdict}. Concurrent attempts are grouped (group commit): a batch of up to 64
attempts of different consumers is one transaction of two statements (the batch grab statement: replay check,
window, SKIP LOCKED claim, per-consumer counter, coupon insert; then one outbox insert for all its coupons).
Once the campaign is exhausted the service knows every (consumer, request id) that holds a coupon, so a further
attempt costs no database work unless it is a replay (one read). The pgbench rows run a batch of one per
transaction, the service's work when it is alone.
"""


def start_service(service: str, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", f"services.{service}"], env=env, cwd=ROOT, stdout=log,
                                stderr=log)


async def main_async(args: argparse.Namespace) -> None:
    admin_dsn = os.environ.get("SCANPAY_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"scanpay_bench_{secrets.token_hex(4)}"
    dsn = await localstack.create_database(admin_dsn, name)
    run_dir = ROOT / ".run" / f"bench-promotions-{os.getpid()}"
    nats = localstack.EmbeddedNats(run_dir / "nats")
    services: list[subprocess.Popen[bytes]] = []
    try:
        for service in ("wallet", "promotions"):
            await localstack.prepare_service(dsn, service)
        nats_url = nats.start()
        ports = {s: localstack.free_port() for s in ("wallet", "promotions")}
        env = {**os.environ, "SCANPAY_PG_DSN": dsn, "SCANPAY_NATS_URL": nats_url, "SCANPAY_INTERNAL_TOKEN": TOKEN,
               "SCANPAY_LOG_LEVEL": "warning", "SCANPAY_WALLET_ADDR": f"127.0.0.1:{ports['wallet']}"}
        for service, port in ports.items():
            upper = service.upper()
            pool = str(DB_CONNECTIONS if service == "promotions" else 4)
            services.append(start_service(service, {**env, f"SCANPAY_{upper}_GRPC_PORT": str(port),
                                                    f"SCANPAY_{upper}_METRICS_PORT": str(localstack.free_port()),
                                                    "SCANPAY_DB_POOL_MAX": pool}, run_dir / f"{service}.log"))
        target = f"127.0.0.1:{ports['promotions']}"
        admin = make_channel(target, TOKEN, "scanpay.promotions.v1.PromotionsService", deadline=60)
        await asyncio.wait_for(admin.channel_ready(), 30)
        campaign = await create_campaign(admin, args.envelopes)
        await admin.close()
        meter = Meter(psutil.Process(services[1].pid), admin_dsn, name)
        result = await rush(target, campaign.id, args.clients, args.attempts, args.consumers, meter)
        books = await check_books(dsn_with_user(dsn, role_name("promotions")), campaign.id)
        for proc in services:
            proc.terminate()
            proc.wait(30)
        services.clear()
        baseline = {}
        for notify in (True, False):
            copy = await copy_campaign(dsn, campaign.id, "notify" if notify else "quiet")
            baseline[notify] = pgbench_grabs(dsn, copy, DB_CONNECTIONS, args.envelopes, notify)
        text = report(args, result, books, campaign.budget.amount, baseline)
        print(text)
        if not args.no_doc:
            write_section("promotions", text)
    finally:
        for proc in services:
            proc.terminate()
            proc.wait(30)
        nats.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
        conn = await asyncpg.connect(admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def copy_campaign(dsn: str, campaign_id: str, suffix: str) -> str:
    """Another campaign with the same envelopes, all available, for pgbench to claim."""
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "promotions"})
    copy_id = f"{campaign_id}_{suffix}"
    try:
        async with conn.transaction():
            await conn.execute(
                """
                INSERT INTO campaigns (id, request_id, request_hash, name, status, currency, budget, count, split,
                  min_amount, max_amount, seed, starts_at, ends_at, per_consumer_limit, target_kind, target_mall_id,
                  target_merchant_ids, target_mccs, discount_kind, percent_off, min_spend, validity_days,
                  budget_account_id, created_at, sub_budgets)
                SELECT $2, request_id || $2, request_hash, name, 'ACTIVE', currency,
                  budget, count, split, min_amount, max_amount, seed, starts_at, ends_at, per_consumer_limit,
                  target_kind, target_mall_id, target_merchant_ids, target_mccs, discount_kind, percent_off,
                  min_spend, validity_days, budget_account_id, created_at, sub_budgets
                FROM campaigns WHERE id = $1
                """,
                campaign_id, copy_id,
            )
            await conn.execute(
                "INSERT INTO budget_accounts (campaign_id, k, owner_id, funded_amount, account_id)"
                " SELECT $2, k, owner_id || $2, funded_amount, account_id FROM budget_accounts WHERE campaign_id = $1",
                campaign_id, copy_id)
            await conn.execute(
                "INSERT INTO envelopes (campaign_id, seq, amount) SELECT $2, seq, amount FROM envelopes"
                " WHERE campaign_id = $1", campaign_id, copy_id)
    finally:
        await conn.close()
    return copy_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 attempts against 1,000 envelopes")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--envelopes", type=int, default=10_000)
    parser.add_argument("--consumers", type=int, default=50_000)
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    if args.quick:
        args.attempts, args.envelopes, args.consumers = 10_000, 1_000, 5_000
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
