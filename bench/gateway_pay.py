"""Scan-to-pay over HTTP, closed loop: payments/s and latency percentiles at 8/32/64 concurrent clients.

    .venv/bin/python -m bench.gateway_pay [--quick] [--seconds 15] [--clients 8,32,64] [--no-doc]

Starts the five services as processes (loopback only) on the PostgreSQL of SCANPAY_PG_DSN in a fresh database
and an embedded NATS, makes one merchant and store, one funded consumer per client, then each client pays the
store QR (POST /v1/payments, a new Idempotency-Key each time) as fast as answers come back. Every payment runs
the whole saga: QR check, store lookup (cached), trade row, coupon quote, wallet batch, success + outbox event.
Writes only the gateway section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import statistics
import time
from pathlib import Path

import aiohttp
import asyncpg

from bench.common import write_section
from services.kit import localstack
from tests.gateway.helpers import Admin, Api

ROOT = Path(__file__).resolve().parents[1]
PRICE = 100


async def client_loop(api: Api, token: str, qr: str, until: float, latencies: list[float], errors: list[int]) -> None:
    while time.monotonic() < until:
        started = time.perf_counter()
        r = await api.call("POST", "/v1/payments", {"qr_payload": qr, "amount": PRICE}, token=token)
        if r.status == 201 and r.body["status"] == "TRADE_SUCCESS":
            latencies.append(time.perf_counter() - started)
        else:
            errors.append(r.status)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else float("nan")


async def run(api: Api, tokens: list[str], qr: str, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[int] = []
    started = time.monotonic()
    await asyncio.gather(*(client_loop(api, tokens[i], qr, started + seconds, latencies, errors)
                           for i in range(clients)))
    elapsed = time.monotonic() - started
    return {"clients": clients, "rate": len(latencies) / elapsed, "p50": pct(latencies, 50), "p95": pct(latencies, 95),
            "p99": pct(latencies, 99), "ok": len(latencies), "errors": len(errors)}


def report(rows: list[dict[str, float]], seconds: float, quick: bool) -> str:
    lines = [
        "## Gateway: scan-to-pay over HTTP",
        "",
        (f"`python -m bench.gateway_pay{' --quick' if quick else ''}` ({time.strftime('%Y-%m-%d')}), {seconds:.0f} s per "
        "level, closed loop, one consumer per client paying one store QR; each payment is the full saga over gRPC "
        "(merchant, promotions quote, wallet batch) with its outbox event. All five services, PostgreSQL and NATS "
        "share this 2-core machine, which other engineers were also using at the time: treat the figures as a floor."),
        "",
        "| clients | payments/s | p50 ms | p95 ms | p99 ms | ok | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {r['clients']} | {r['rate']:.1f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['ok']} | "
              f"{r['errors']} |" for r in rows]
    return "\n".join(lines) + "\n"


async def main_async(args: argparse.Namespace) -> None:
    levels = [int(c) for c in args.clients.split(",")]
    admin_dsn = os.environ.get("SCANPAY_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"scanpay_bench_{secrets.token_hex(4)}"
    dsn = await localstack.create_database(admin_dsn, name)
    run_dir = ROOT / ".run" / f"bench-gateway-{os.getpid()}"
    nats = localstack.EmbeddedNats(run_dir / "nats")
    procs = None
    try:
        await localstack.prepare_all(dsn)
        nats_url = nats.start()
        procs = localstack.ServiceProcesses.on_free_ports(dsn, nats_url, run_dir / "logs", extra_env={
            "SCANPAY_LOG_LEVEL": "warning", "SCANPAY_DB_POOL_MAX": "20",
            "SCANPAY_GATEWAY_RATE_PER_ADDRESS": "100000", "SCANPAY_GATEWAY_BURST_PER_ADDRESS": "100000",
            "SCANPAY_GATEWAY_RATE_PER_CONSUMER": "100000", "SCANPAY_GATEWAY_BURST_PER_CONSUMER": "100000"})
        procs.start_all()
        await procs.wait_healthy(timeout=90)
        admin = Admin(procs)
        merchant, store = await admin.shop()
        key = await admin.key(merchant)
        connector = aiohttp.TCPConnector(limit=max(levels) + 8)
        async with aiohttp.ClientSession(connector=connector) as session:
            api = Api(session, f"http://127.0.0.1:{procs.http_port}")
            qr = (await api.call("GET", f"/v1/merchant/stores/{store}/qr", key=key)).body["qr_payload"]
            tokens = []
            for _ in range(max(levels)):
                token = await api.consumer()
                await api.fund(token, 1_000_000)
                tokens.append(token)
            await run(api, tokens, qr, 4, 2)
            rows = []
            for clients in levels:
                row = await run(api, tokens, qr, clients, args.seconds)
                print(f"{clients:>3} clients: {row['rate']:.1f} payments/s  p50 {row['p50']:.1f} ms  "
                      f"p95 {row['p95']:.1f} ms  p99 {row['p99']:.1f} ms  errors {row['errors']}")
                rows.append(row)
        text = report(rows, args.seconds, args.quick)
        print(text)
        if not args.no_doc:
            write_section("gateway", text)
    finally:
        if procs is not None:
            procs.stop_all()
        nats.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
        conn = await asyncpg.connect(admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 s per level")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", default="8,32,64")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 4
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
