"""End to end: scan-to-pay over HTTP through gateway, saga, promotions, wallet and the outbox.

    .venv/bin/python -m bench.e2e [--quick] [--clients 8,32,64] [--seconds 20] [--consumers 10000] [--merchants 1000]

Closed loop: each client pays a random store's QR as a random consumer, one payment at a time, for `seconds`
per level, with a live red-envelope campaign (each consumer grabbed one envelope, so early payments carry a
coupon). Beside it, in the same run on the same servers: pgbench tpcb-like and JetStream publish at the same
client counts. Also samples RSS and CPU of each service and profiles the gateway with py-spy at the middle
level. Writes the `e2e` section of docs/benchmarks.md and docs/benchmarks-e2e.png.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import psutil
import uvloop
from google.protobuf import timestamp_pb2

from services.gateway import emv, security
from services.gen.scanpay.common.v1.common_pb2 import Money
from services.gen.scanpay.merchant.v1 import merchant_pb2 as mpb
from services.gen.scanpay.merchant.v1 import merchant_pb2_grpc
from services.gen.scanpay.promotions.v1 import promotions_pb2 as ppb
from services.gen.scanpay.promotions.v1 import promotions_pb2_grpc
from services.gen.scanpay.wallet.v1 import wallet_pb2 as wpb
from services.gen.scanpay.wallet.v1 import wallet_pb2_grpc
from services.kit import localstack
from services.kit.config import SERVICES
from services.kit.grpc import make_channel
from services.kit.ids import new_id

from .baseline import PublishResult, jetstream_levels, pgbench_levels
from .common import DOC, ROOT, PgbenchResult, percentile, write_section

TOKEN = "bench-internal-token"
JWT_SECRET = "bench-jwt-secret-0123456789abcdef0123"
QR_KEY = "bench-qr-signing-key"
ADMIN = (("x-scanpay-actor", "admin"),)
PLOT = DOC.parent / "benchmarks-e2e.png"
PROFILE = ROOT / ".run" / "bench" / "gateway-profile.txt"


@dataclass
class Level:
    clients: int
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    resources: dict[str, tuple[float, float]] = field(default_factory=dict)  # service -> (peak MB, cpu %)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def cpu_ms_per_payment(self, service: str) -> float:
        """CPU time the service process spent per successful payment (user + system)."""
        return 10 * self.resources[service][1] * self.seconds / self.ok if self.ok else 0.0

    def ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


@dataclass
class World:
    stores: list[tuple[str, str]]  # (store id, QR payload)
    tokens: list[str]


async def bounded(limit: int, jobs: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return await asyncio.gather(*[one(j) for j in jobs])


async def seed_stores(stub: merchant_pb2_grpc.MerchantServiceStub, count: int) -> list[tuple[str, str]]:
    async def one(i: int) -> tuple[str, str]:
        m = await stub.CreateMerchant(mpb.CreateMerchantRequest(
            legal_name=f"Bench Merchant {i} Ltd", display_name=f"Shop {i}",
            licence_id=f"BENCH{i:08d}{secrets.token_hex(2)}", mcc="5812"), metadata=ADMIN)
        await stub.ChangeMerchantStatus(mpb.ChangeMerchantStatusRequest(
            merchant_id=m.merchant_id, to_status=mpb.MERCHANT_STATUS_ACTIVE, reason="bench"), metadata=ADMIN)
        s = await stub.CreateStore(mpb.CreateStoreRequest(
            merchant_id=m.merchant_id, name=f"Shop {i}", address=f"{i} Nanjing Rd", city="Shanghai",
            lat=31.2 + (i % 100) / 1000, lng=121.4 + (i // 100) / 1000), metadata=ADMIN)
        payload = emv.encode(emv.QrCode(s.store_id, "5812", f"Shop {i}", "Shanghai"), QR_KEY.encode())
        return s.store_id, payload

    return await bounded(16, [lambda i=i: one(i) for i in range(count)])


async def seed_consumers(admin_dsn: str, wallet: wallet_pb2_grpc.WalletServiceStub,
                         count: int) -> tuple[list[str], list[str]]:
    """Consumers straight into the gateway's tables (one argon2 hash for all: sign-up speed is not measured),
    wallet accounts over gRPC, funded from bank clearing in batches; access tokens minted with the JWT key."""
    clearing = (await wallet.OpenAccount(wpb.OpenAccountRequest(
        kind=wpb.ACCOUNT_KIND_BANK_CLEARING, owner_id="bench-bank", currency="CNY"), metadata=ADMIN)).id
    ids = [new_id("csm") for _ in range(count)]
    accounts = await bounded(32, [lambda c=c: wallet.OpenAccount(wpb.OpenAccountRequest(
        kind=wpb.ACCOUNT_KIND_CONSUMER_WALLET, owner_id=c, currency="CNY"), metadata=ADMIN) for c in ids])
    for start in range(0, count, 64):
        await wallet.CreateTransfers(wpb.CreateTransfersRequest(batch_id=new_id("seed"), transfers=[
            wpb.TransferInput(id=new_id("seed"), debit_account_id=clearing, credit_account_id=a.id,
                              amount=Money(amount=10_000_000, currency="CNY"), code=9001, reference="bench-topup")
            for a in accounts[start:start + 64]]), metadata=ADMIN)
    password_hash = security.hash_password("bench-password")
    sessions = [new_id("ses") for _ in ids]
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.copy_records_to_table(
            "consumers", schema_name="gateway", columns=["consumer_id", "phone", "password_hash", "wallet_account_id"],
            records=[(c, f"199{i:08d}", password_hash, a.id)
                     for i, (c, a) in enumerate(zip(ids, accounts, strict=True))])
        await conn.copy_records_to_table(
            "sessions", schema_name="gateway", columns=["session_id", "consumer_id", "refresh_hash", "expires_at"],
            records=[(s, c, secrets.token_hex(16), _in_days(1)) for s, c in zip(sessions, ids, strict=True)])
    finally:
        await conn.close()
    return [security.issue_access_token(JWT_SECRET, c, s) for c, s in zip(ids, sessions, strict=True)], ids


def _in_days(days: int) -> Any:
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) + timedelta(days=days)


async def launch_campaign(promotions: promotions_pb2_grpc.PromotionsServiceStub, consumers: list[str]) -> None:
    """A live red-envelope campaign; every consumer grabs one envelope (worth 1-5 yuan, 20 yuan min spend off)."""
    ends = timestamp_pb2.Timestamp()
    ends.FromSeconds(int(time.time()) + 86400)
    count = len(consumers)
    campaign = await promotions.CreateCampaign(ppb.CreateCampaignRequest(
        request_id=secrets.token_hex(8), name="Double 11 bench", budget=Money(amount=300 * count, currency="CNY"),
        count=count, split=ppb.SPLIT_MODE_RANDOM, min_amount=Money(amount=100, currency="CNY"),
        max_amount=Money(amount=500, currency="CNY"), per_consumer_limit=1,
        targeting=ppb.Targeting(kind=ppb.TARGET_KIND_EVERYONE), ends_at=ends), metadata=ADMIN)
    await bounded(32, [lambda c=c: promotions.GrabRedEnvelope(ppb.GrabRedEnvelopeRequest(
        campaign_id=campaign.campaign.id, consumer_id=c, request_id=f"grab-{c}"), metadata=ADMIN) for c in consumers])


async def closed_loop(base: str, world: World, clients: int, seconds: float, seed: int) -> Level:
    level = Level(clients)
    stop_at = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as http:
        async def client(i: int) -> None:
            rng = random.Random(seed * 1000 + i)
            while time.perf_counter() < stop_at:
                _, payload = rng.choice(world.stores)
                body = {"qr_payload": payload, "amount": rng.randint(2000, 20000)}
                headers = {"Authorization": f"Bearer {rng.choice(world.tokens)}",
                           "Idempotency-Key": secrets.token_hex(8)}
                started = time.perf_counter()
                async with http.post(f"{base}/v1/payments", json=body, headers=headers) as resp:
                    reply = await resp.json()
                if resp.status == 201 and reply.get("status") == "TRADE_SUCCESS":
                    level.latencies.append(time.perf_counter() - started)
                    level.ok += 1
                else:
                    level.errors += 1

        began = time.perf_counter()
        await asyncio.gather(*[client(i) for i in range(clients)])
        level.seconds = time.perf_counter() - began
    level.latencies.sort()
    return level


class Sampler:
    """Peak RSS and mean CPU of each service process while a level runs."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.peak: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            for name, proc in self.procs.items():
                self.peak[name] = max(self.peak.get(name, 0.0), proc.memory_info().rss / 2**20)
            await asyncio.sleep(0.25)

    def start(self) -> None:
        self.peak = {}
        self.cpu0 = {name: sum(p.cpu_times()[:2]) for name, p in self.procs.items()}
        self.t0 = time.perf_counter()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> dict[str, tuple[float, float]]:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        wall = time.perf_counter() - self.t0
        return {name: (self.peak.get(name, 0.0), 100 * (sum(p.cpu_times()[:2]) - self.cpu0[name]) / wall)
                for name, p in self.procs.items()}


def start_profile(pid: int, seconds: float) -> subprocess.Popen[bytes] | None:
    """py-spy on the gateway for `seconds`, collapsed stacks; None when py-spy is missing."""
    PROFILE.unlink(missing_ok=True)  # an earlier run's profile must not be reported as this one's
    binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(binary).exists():
        return None
    PROFILE.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([binary, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
                             "--format", "raw", "--output", str(PROFILE), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def top_costs(path: Path, limit: int = 10) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """From py-spy's collapsed stacks: (scanpay functions by inclusive share, any function by self share)."""
    if not path.exists():
        return [], []
    inclusive: dict[str, int] = {}
    leaf: dict[str, int] = {}
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        samples += n
        frames = [_frame(f) for f in stack.split(";")]
        for frame in set(frames):
            if "(services/" in frame and not frame.startswith(("main ", "<module> ")):
                inclusive[frame] = inclusive.get(frame, 0) + n
        leaf[frames[-1]] = leaf.get(frames[-1], 0) + n
    if not samples:
        return [], []

    def ranked(counts: dict[str, int]) -> list[tuple[str, float]]:
        return [(name, 100 * n / samples) for name, n in sorted(counts.items(), key=lambda kv: -kv[1])[:limit]]

    return ranked(inclusive), ranked(leaf)


def print_profile(costs: tuple[list[tuple[str, float]], list[tuple[str, float]]]) -> None:
    """The gateway's top costs on the console, before the baselines run (they can fail on a busy server)."""
    inclusive, own = costs
    for title, rows in (("gateway, scanpay functions (inclusive)", inclusive), ("gateway, leaf functions", own)):
        print(title + ":")
        for name, share in rows:
            print(f"  {share:5.1f}%  {name}")


def _frame(frame: str) -> str:
    """`fn (path/file.py:123)` without the line number."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if where else name


def plot(levels: list[Level], pgbench: list[PgbenchResult]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clients = [lv.clients for lv in levels]
    fig, left = plt.subplots(figsize=(7, 4))
    left.plot(clients, [lv.rate for lv in levels], "o-", label="scan-to-pay payments/s")
    left.plot(clients, [p.tps for p in pgbench], "s--", label="pgbench tpcb-like tps")
    left.set_xlabel("concurrent clients")
    left.set_ylabel("per second")
    left.set_xscale("log", base=2)
    right = left.twinx()
    right.plot(clients, [lv.ms(0.99) for lv in levels], "^:", color="tab:red", label="scan-to-pay p99 ms")
    right.set_ylabel("p99 latency (ms)")
    lines = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    labels = left.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    left.legend(lines, labels, loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(PLOT, dpi=110)


def render(args: argparse.Namespace, levels: list[Level], pgbench: list[PgbenchResult],
           js: list[PublishResult], costs: tuple[list[tuple[str, float]], list[tuple[str, float]]],
           seed_s: float) -> str:
    lines = [
        "## End to end: scan-to-pay over HTTP",
        "",
        f"`python -m bench.e2e{' --quick' if args.quick else ''}` on {time.strftime('%Y-%m-%d')}: "
        f"{args.consumers:,} consumers, {args.merchants:,} merchants (one store each), a live red-envelope campaign, "
        f"{args.seconds:.0f} s per level, closed loop (seeding took {seed_s:.0f} s). Each payment is the whole saga: "
        "QR verification, merchant lookup (cached), coupon quote and reserve, one wallet batch, coupon confirm, "
        "trade and outbox event. pgbench and JetStream ran on the same servers in the same run.",
        "",
        "| clients | payments/s | p50 ms | p95 ms | p99 ms | max ms | errors | pgbench tps | ratio "
        "| JetStream msgs/s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lv, pg, pub in zip(levels, pgbench, js, strict=True):
        ratio = f"{lv.rate / pg.tps:.2f}" if pg.tps else "-"
        lines.append(f"| {lv.clients} | {lv.rate:.1f} | {lv.ms(0.5):.1f} | {lv.ms(0.95):.1f} | {lv.ms(0.99):.1f} | "
                     f"{lv.ms(1.0):.1f} | {lv.errors} | {pg.tps:.0f} | {ratio} | {pub.msgs_per_s:.0f} |")
    lines += ["", f"![throughput and p99 by client count]({PLOT.name})", "",
              "Peak RSS (MB) / mean CPU (% of one core) / CPU ms per payment of each service at each level:", "",
              "| clients | " + " | ".join(SERVICES) + " |", "|---:|" + "---:|" * len(SERVICES)]
    for lv in levels:
        lines.append(f"| {lv.clients} | " + " | ".join(
            f"{lv.resources[s][0]:.0f} / {lv.resources[s][1]:.0f} / {lv.cpu_ms_per_payment(s):.1f}"
            for s in SERVICES) + " |")
    inclusive, own = costs
    if inclusive:
        lines += ["", "Gateway profile (py-spy at the middle level). scanpay functions by share of samples with the "
                  "function on the stack, and the functions where the time itself is spent:", "",
                  "| scanpay function (inclusive) | share | leaf function (self) | share |", "|---|---:|---|---:|"]
        lines += [f"| `{a}` | {sa:.0f}% | `{b}` | {sb:.0f}% |"
                  for (a, sa), (b, sb) in zip(inclusive, own, strict=False)]
    return "\n".join(lines) + "\n"


def _channel(stack: localstack.ServiceProcesses, service: str, name: str) -> Any:
    return make_channel(f"127.0.0.1:{stack.grpc_ports[service]}", TOKEN, f"scanpay.{service}.v1.{name}", deadline=30)


async def main_async(args: argparse.Namespace) -> None:
    levels_wanted = [int(c) for c in args.clients.split(",")]
    run_dir = ROOT / ".run" / "bench"
    external = os.environ.get("SCANPAY_PG_DSN")
    pg = None if external else localstack.EmbeddedPostgres(run_dir / "pg")
    server_dsn = external or pg.start()  # type: ignore[union-attr]
    nats_server = None if os.environ.get("SCANPAY_NATS_URL") else localstack.EmbeddedNats(run_dir / "nats")
    nats_url = os.environ.get("SCANPAY_NATS_URL") or nats_server.start()  # type: ignore[union-attr]
    name = f"scanpay_bench_{secrets.token_hex(3)}"
    dsn = await localstack.create_database(server_dsn, name)
    stack = localstack.ServiceProcesses.on_free_ports(dsn, nats_url, run_dir / "logs", extra_env={
        "SCANPAY_INTERNAL_TOKEN": TOKEN, "SCANPAY_JWT_SECRET": JWT_SECRET, "SCANPAY_QR_SIGNING_KEY": QR_KEY,
        "SCANPAY_LOG_LEVEL": "warning", "SCANPAY_RATE_PER_ADDRESS": "1000000", "SCANPAY_BURST_PER_ADDRESS": "1000000",
        "SCANPAY_RATE_PER_CONSUMER": "1000000", "SCANPAY_BURST_PER_CONSUMER": "1000000", "SCANPAY_DB_POOL_MAX": "20"})
    try:
        await localstack.prepare_all(dsn)
        stack.start_all()
        await stack.wait_healthy(timeout=120)
        began = time.perf_counter()
        merchant = merchant_pb2_grpc.MerchantServiceStub(_channel(stack, "merchant", "MerchantService"))
        wallet = wallet_pb2_grpc.WalletServiceStub(_channel(stack, "wallet", "WalletService"))
        promotions = promotions_pb2_grpc.PromotionsServiceStub(_channel(stack, "promotions", "PromotionsService"))
        stores = await seed_stores(merchant, args.merchants)
        tokens, consumer_ids = await seed_consumers(dsn, wallet, args.consumers)
        if not args.no_campaign:
            await launch_campaign(promotions, consumer_ids)
        world = World(stores, tokens)
        seed_s = time.perf_counter() - began
        print(f"seeded {args.merchants} stores and {args.consumers} consumers in {seed_s:.0f} s")
        base = f"http://127.0.0.1:{stack.http_port}"
        await closed_loop(base, world, 4, 2, seed=0)  # warm caches and connections
        sampler = Sampler({s: p.pid for s, p in stack.procs.items()})
        levels: list[Level] = []
        for index, clients in enumerate(levels_wanted):
            middle = index == len(levels_wanted) // 2
            profiler = start_profile(stack.procs["gateway"].pid, args.seconds) if middle else None
            sampler.start()
            level = await closed_loop(base, world, clients, args.seconds, seed=clients)
            level.resources = await sampler.stop()
            if profiler is not None:
                profiler.wait(60)
            levels.append(level)
            print(f"{clients:>3} clients: {level.rate:7.1f} payments/s  p50 {level.ms(0.5):6.1f} ms  "
                  f"p99 {level.ms(0.99):6.1f} ms  errors {level.errors}  gateway CPU "
                  f"{level.cpu_ms_per_payment('gateway'):.2f} ms/payment  ("
                  + ", ".join(f"{s} {level.cpu_ms_per_payment(s):.2f}" for s in SERVICES if s != "gateway") + ")")
        stack.stop_all()
        stack.procs.clear()
        print_profile(top_costs(PROFILE))
        if args.no_baseline:
            pgbench = [PgbenchResult(c, 0.0, 0.0, 0) for c in levels_wanted]
            js = [PublishResult(c, 0.0) for c in levels_wanted]
        else:
            pg_dsn = await localstack.create_database(server_dsn, f"{name}_pgbench")
            pgbench = pgbench_levels(pg_dsn, levels_wanted, args.seconds)
            js = await jetstream_levels(nats_url, levels_wanted, min(args.seconds, 10))
        for r in pgbench:
            print(f"pgbench {r.clients:>3} clients: {r.tps:7.0f} tps")
        for r in js:
            print(f"JetStream {r.clients:>3} publishers: {r.msgs_per_s:7.0f} msgs/s")
        text = render(args, levels, pgbench, js, top_costs(PROFILE), seed_s)
        print(text)
        if not args.no_doc:
            plot(levels, pgbench)
            write_section("e2e", text)
    finally:
        stack.stop_all()
        admin = await asyncpg.connect(server_dsn)
        for db in (name, f"{name}_pgbench"):
            await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()
        if nats_server:
            nats_server.stop()
        if pg:
            pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 consumers, 100 merchants, 5 s levels")
    parser.add_argument("--clients", default="8,32,64")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--consumers", type=int, default=10_000)
    parser.add_argument("--merchants", type=int, default=1_000)
    parser.add_argument("--no-doc", action="store_true",
                        help="print only; leave docs/benchmarks.md and its plot alone")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip pgbench and JetStream (a shared server may refuse pgbench's connections)")
    parser.add_argument("--no-campaign", action="store_true",
                        help="no red envelopes: payments without a discount (to see what the campaign costs)")
    args = parser.parse_args()
    if args.quick:
        args.consumers, args.merchants, args.seconds = 1_000, 100, 5
    uvloop.run(main_async(args))  # the services' event loop; it also makes the load generator cheaper


if __name__ == "__main__":
    main()
