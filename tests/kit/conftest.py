"""A scratch producer schema (`kittest`) with only the kit's tables, for the event and tracing tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from nats.js.errors import NotFoundError

from services.kit import events
from services.kit.config import dsn_with_user, role_name
from services.kit.db import connect_admin, provision_service
from services.kit.events import Bus, ensure_stream, stream_config
from services.kit.migrations import discover, migrate

PRODUCER = "kittest"


@pytest.fixture(scope="session")
async def kit_pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    """A schema of its own with only the kit's outbox/inbox tables plus an `effects` table."""
    admin = await connect_admin(database)
    await provision_service(admin, PRODUCER)
    await admin.close()
    dsn = dsn_with_user(database, role_name(PRODUCER))
    conn = await asyncpg.connect(dsn)
    await migrate(conn, PRODUCER, discover(PRODUCER))
    await conn.execute("CREATE TABLE IF NOT EXISTS effects (event_id text, value text)")
    await conn.close()
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=8, server_settings={"search_path": PRODUCER})
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def stream(bus: Bus) -> str:
    """A fresh stream each session: on an external NATS, an earlier run's events must not reach this one."""
    try:
        await bus.js.delete_stream(events.stream_name(PRODUCER))
    except NotFoundError:
        pass
    await ensure_stream(bus.js, stream_config(PRODUCER))
    await ensure_stream(bus.js, events.dlq_config())
    return events.stream_name(PRODUCER)


