"""The reliability suite plays on a stack of its own (fresh database, its own NATS), since the chaos run kills
services, restarts NATS and cuts database connections, and the gRPC fuzzing writes whatever validates."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest_asyncio

from services.kit import localstack

from . import actors, chaos
from .stack import ChaosStack

TEST_RUN = localstack.ROOT / ".run" / f"test-{os.getpid()}"


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def chaos_stack(pg_server: str) -> AsyncIterator[ChaosStack]:
    stack = ChaosStack(pg_server, TEST_RUN / "reliability")
    try:
        await stack.start()
        yield stack
    finally:
        await stack.stop()


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def played(chaos_stack: ChaosStack) -> chaos.Report:
    """The short chaos run, once per session: its report, and a database full of what it did."""
    return await chaos.run(chaos_stack, chaos.QUICK)


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def cast(chaos_stack: ChaosStack) -> actors.Cast:
    """Consumers, merchants, partners and the admin of the security and fuzzing tests."""
    return await actors.gather(chaos_stack)
