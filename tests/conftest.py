"""Shared fixtures: a real PostgreSQL and a real NATS, embedded unless SCANPAY_PG_DSN / SCANPAY_NATS_URL are set.

Every test session gets its own database (dropped at the end). With an external NATS the session first
deletes the scanpay streams on it, so events of earlier runs never reach this session's fresh database.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from hypothesis import settings

from services.kit import localstack
from services.kit.config import SERVICES, Settings, dsn_with_user, load, role_name
from services.kit.db import create_pool
from services.kit.events import DLQ_STREAM, Bus, stream_name

ROOT = Path(__file__).resolve().parents[1]
# Property tests check results, not speed: on 2 cores shared with PostgreSQL, NATS and the services, one
# example of a pure function can take longer than hypothesis' 200 ms default deadline.
settings.register_profile("scanpay", deadline=None)
settings.load_profile("scanpay")
TEST_RUN = ROOT / ".run" / f"test-{os.getpid()}"


def _embedded_pg() -> Iterator[str]:
    pg = localstack.EmbeddedPostgres(TEST_RUN / "pg", durable=False)
    try:
        yield pg.start()
    finally:
        pg.stop()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Admin DSN of the PostgreSQL server under test."""
    external = os.environ.get("SCANPAY_PG_DSN")
    if external:
        yield external
    else:
        yield from _embedded_pg()


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    external = os.environ.get("SCANPAY_NATS_URL")
    if external:
        asyncio.run(_delete_scanpay_streams(external))
        yield external
        return
    server = localstack.EmbeddedNats(TEST_RUN / "nats")
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(TEST_RUN / "nats", ignore_errors=True)


async def _delete_scanpay_streams(url: str) -> None:
    import nats

    nc = await nats.connect(url)
    js = nc.jetstream()
    for name in [*(stream_name(s) for s in SERVICES), DLQ_STREAM]:
        try:
            await js.delete_stream(name)
        except Exception:  # absent stream
            pass
    await nc.close()


@pytest.fixture(scope="session")
def database(pg_server: str) -> Iterator[str]:
    """Admin DSN of a fresh database for this session."""
    name = f"scanpay_test_{secrets.token_hex(4)}"
    dsn = asyncio.run(localstack.create_database(pg_server, name))
    yield dsn
    asyncio.run(_drop_database(pg_server, name))


async def _drop_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def settings_for(database: str, nats_url: str) -> Callable[[str], Settings]:
    """Settings of `service` pointed at the session's database and NATS."""

    def make(service: str) -> Settings:
        base = load(service)
        return Settings(**{**base.__dict__, "pg_dsn": database, "nats_url": nats_url})

    return make


_prepared: set[str] = set()


@pytest_asyncio.fixture(scope="session")
async def prepare(database: str) -> Callable[[str], Awaitable[None]]:
    """Provision and migrate a service's schema in the session database (once)."""
    lock = asyncio.Lock()

    async def run(service: str) -> None:
        async with lock:
            if service not in _prepared:
                await localstack.prepare_service(database, service)
                _prepared.add(service)

    return run


@pytest_asyncio.fixture(scope="session")
async def pool_for(
    prepare: Callable[[str], Awaitable[None]], settings_for: Callable[[str], Settings]
) -> AsyncIterator[Callable[[str], Awaitable[asyncpg.Pool]]]:
    """An asyncpg pool logged in as the service's own role (one per service per session)."""
    pools: dict[str, asyncpg.Pool] = {}

    async def get(service: str) -> asyncpg.Pool:
        if service not in pools:
            await prepare(service)
            pools[service] = await create_pool(settings_for(service), max_size=10)
        return pools[service]

    yield get
    for pool in pools.values():
        await pool.close()


@pytest_asyncio.fixture(scope="session")
async def bus(nats_url: str) -> AsyncIterator[Bus]:
    connection = Bus(nats_url, "scanpay-tests")
    assert await connection.connect(wait=10), f"NATS not reachable at {nats_url}"
    yield connection
    await connection.close()


@pytest.fixture(scope="session")
def service_dsn(database: str) -> Callable[[str], str]:
    return lambda service: dsn_with_user(database, role_name(service))


@pytest_asyncio.fixture(scope="session")
async def stack(
    database: str, nats_url: str, prepare: Callable[[str], Awaitable[None]]
) -> AsyncIterator[localstack.ServiceProcesses]:
    """The five services as processes on free ports against the session's database and NATS."""
    for service in SERVICES:
        await prepare(service)
    procs = localstack.ServiceProcesses.on_free_ports(
        database, nats_url, TEST_RUN / "logs", extra_env={"SCANPAY_DRAIN_SECONDS": "5", "SCANPAY_DB_POOL_MAX": "6"}
    )
    procs.start_all()
    try:
        await procs.wait_healthy(timeout=90)
        yield procs
    finally:
        procs.stop_all()
