"""The end-to-end tests play on a stack of their own: a fresh database and an embedded NATS of their own.

They settle and reconcile today, which must not meet the other suites' days and events in the session database
and streams (settlement freezes days in order), so they do not use the shared `stack` fixture.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio

from services.cli.demo import SAME_DAY_ENV
from services.kit import localstack
from services.kit.config import SERVICES

TEST_RUN = localstack.ROOT / ".run" / f"test-{os.getpid()}"  # beside the session's own servers


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def e2e_stack(pg_server: str) -> AsyncIterator[localstack.ServiceProcesses]:
    name = f"scanpay_e2e_{secrets.token_hex(4)}"
    database = await localstack.create_database(pg_server, name)
    nats = localstack.EmbeddedNats(TEST_RUN / "nats-e2e")
    nats_url = nats.start()
    procs = localstack.ServiceProcesses.on_free_ports(
        database, nats_url, TEST_RUN / "logs-e2e",
        extra_env={"SCANPAY_DRAIN_SECONDS": "2", "SCANPAY_SETTLEMENT_OUTPUT_DIR": str(TEST_RUN / "e2e-settlement"),
                   "SCANPAY_GATEWAY_EXPIRY_INTERVAL": "1", SAME_DAY_ENV: "1", "SCANPAY_DB_POOL_MAX": "6"})
    try:
        for service in SERVICES:
            await localstack.prepare_service(database, service)
        procs.start_all()
        await procs.wait_healthy(timeout=90)
        yield procs
    finally:
        procs.stop_all()
        nats.stop()
        shutil.rmtree(TEST_RUN / "nats-e2e", ignore_errors=True)
        conn = await asyncpg.connect(pg_server)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
