"""The physical limits of this machine, measured beside every scanpay figure in the same run.

pgbench tpcb-like (a bank transfer in raw SQL: the database work of one payment, with nothing above it) and
JetStream publish throughput with file storage (nats-py, each publisher awaiting its ack), at given client
counts, on the same PostgreSQL and NATS the services use.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass

import nats
from nats.js.api import StorageType, StreamConfig

from .common import PgbenchResult, pgbench_init, pgbench_tpcb


@dataclass(frozen=True)
class PublishResult:
    clients: int
    msgs_per_s: float


def pgbench_levels(dsn: str, clients: list[int], seconds: float) -> list[PgbenchResult]:
    pgbench_init(dsn, scale=max(max(clients), 10))
    return [pgbench_tpcb(dsn, c, seconds) for c in clients]


async def jetstream_publish(url: str, clients: int, seconds: float, payload_bytes: int = 256) -> PublishResult:
    """`clients` concurrent publishers on one connection, each waiting for its ack (file storage, 1 replica)."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    name = f"BENCH_{secrets.token_hex(3).upper()}"
    await js.add_stream(StreamConfig(name=name, subjects=[f"{name.lower()}.>"], storage=StorageType.FILE))
    payload = secrets.token_bytes(payload_bytes)
    sent = 0
    stop_at = time.perf_counter() + seconds

    async def publisher(i: int) -> None:
        nonlocal sent
        while time.perf_counter() < stop_at:
            await js.publish(f"{name.lower()}.p{i}", payload, headers={"Nats-Msg-Id": secrets.token_hex(8)})
            sent += 1

    began = time.perf_counter()
    await asyncio.gather(*[publisher(i) for i in range(clients)])
    elapsed = time.perf_counter() - began
    await js.delete_stream(name)
    await nc.close()
    return PublishResult(clients, sent / elapsed)


async def jetstream_levels(url: str, clients: list[int], seconds: float) -> list[PublishResult]:
    return [await jetstream_publish(url, c, seconds) for c in clients]
