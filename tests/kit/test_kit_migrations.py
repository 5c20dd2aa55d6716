"""The migration runner: applies once, concurrent runners don't collide, changed files are refused."""

from __future__ import annotations

import asyncio
import secrets

import asyncpg
import pytest

from services.kit.migrations import Migration, MigrationError, migrate


@pytest.fixture
async def scratch_schema(database: str):
    name = f"mig_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(database)
    await conn.execute(f"CREATE SCHEMA {name}")
    yield name
    await conn.execute(f"DROP SCHEMA {name} CASCADE")
    await conn.close()


def _migrations() -> list[Migration]:
    return [
        Migration("t/0001_a.sql", "CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a VALUES (1);"),
        Migration("t/0002_b.sql", "CREATE TABLE b (id int PRIMARY KEY); INSERT INTO b SELECT id + 1 FROM a;"),
    ]


async def test_applies_in_order_once(database: str, scratch_schema: str) -> None:
    conn = await asyncpg.connect(database)
    try:
        assert await migrate(conn, scratch_schema, _migrations()) == ["t/0001_a.sql", "t/0002_b.sql"]
        assert await migrate(conn, scratch_schema, _migrations()) == []
        assert await conn.fetchval(f"SELECT count(*) FROM {scratch_schema}.a") == 1
        assert await conn.fetchval(f"SELECT id FROM {scratch_schema}.b") == 2
    finally:
        await conn.close()


async def test_concurrent_runners_apply_each_file_once(database: str, scratch_schema: str) -> None:
    slow = [*_migrations(), Migration("t/0003_slow.sql", "SELECT pg_sleep(0.3); CREATE TABLE c (id int);")]
    conns = [await asyncpg.connect(database) for _ in range(4)]
    try:
        results = await asyncio.gather(*[migrate(c, scratch_schema, slow) for c in conns])
        applied = sorted(name for result in results for name in result)
        assert applied == ["t/0001_a.sql", "t/0002_b.sql", "t/0003_slow.sql"]
        assert await conns[0].fetchval(f"SELECT count(*) FROM {scratch_schema}.schema_migrations") == 3
    finally:
        for c in conns:
            await c.close()


async def test_changed_applied_file_is_refused(database: str, scratch_schema: str) -> None:
    conn = await asyncpg.connect(database)
    try:
        await migrate(conn, scratch_schema, _migrations())
        changed = [_migrations()[0], Migration("t/0002_b.sql", "CREATE TABLE b (id bigint);")]
        with pytest.raises(MigrationError, match="0002_b.sql was changed"):
            await migrate(conn, scratch_schema, changed)
        # A failed run leaves the lock free for the next runner.
        assert await migrate(conn, scratch_schema, _migrations()) == []
    finally:
        await conn.close()


async def test_failed_migration_rolls_back_and_is_not_recorded(database: str, scratch_schema: str) -> None:
    conn = await asyncpg.connect(database)
    try:
        broken = [Migration("t/0001_bad.sql", "CREATE TABLE ok (id int); SELECT no_such_function();")]
        with pytest.raises(asyncpg.UndefinedFunctionError):
            await migrate(conn, scratch_schema, broken)
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", scratch_schema
        )
        assert {r["table_name"] for r in tables} == {"schema_migrations"}
    finally:
        await conn.close()
