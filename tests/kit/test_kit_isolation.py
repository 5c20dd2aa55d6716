"""One schema and one role per service: a service's role cannot touch another service's schema."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import pytest


async def test_role_cannot_read_or_write_other_schema(
    prepare: Callable[[str], Awaitable[None]], service_dsn: Callable[[str], str]
) -> None:
    await prepare("wallet")
    await prepare("merchant")
    conn = await asyncpg.connect(service_dsn("merchant"))
    try:
        assert await conn.fetchval("SELECT current_schema()") == "merchant"
        await conn.execute("SELECT count(*) FROM merchant.outbox")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch("SELECT * FROM wallet.outbox")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("INSERT INTO wallet.inbox (consumer, event_id, subject) VALUES ('x', 'y', 'z')")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE wallet.intruder (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE public.intruder (id int)")
    finally:
        await conn.close()
