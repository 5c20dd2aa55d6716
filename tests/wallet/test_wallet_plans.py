"""create_transfers stays on indexes as the ledger grows: none of its statements, first call or replay, may
scan the whole transfers table. Its replay check once did, making every transfer O(ledger size): first from
an `OR` that tempted the planner, then from generic plans cached by a connection while the ledger was
still empty, which a long-lived pooled connection kept however large the ledger grew."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from services.kit import localstack

LEDGER_ROWS = 30_000
CALLS = 8  # plpgsql switches to its cached generic plans after five executions
CALL = """
    SELECT replayed FROM create_transfers($1, ARRAY[$2], ARRAY['acc_bank'], ARRAY['acc_shop'], ARRAY[5::bigint],
      ARRAY['CNY'], ARRAY[1], ARRAY[''], ARRAY['{}'::jsonb], ARRAY[false], ARRAY[0], '{}', '{}', '{}', '{}')
"""


@pytest_asyncio.fixture
async def ledger(pg_server: str) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    """A wallet schema of its own with two accounts and no transfers yet: a connection as the admin role,
    and the DSN for more."""
    name = f"scanpay_test_plans_{secrets.token_hex(3)}"
    dsn = await localstack.create_database(pg_server, name)
    await localstack.prepare_service(dsn, "wallet")
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "wallet"})
    try:
        await conn.execute(
            """
            INSERT INTO accounts (id, kind, owner_id, currency, allow_negative, slots)
            VALUES ('acc_bank', 7, 'bank', 'CNY', true, 1), ('acc_shop', 2, 'shop', 'CNY', false, 32);
            INSERT INTO balances (account_id, slot) SELECT 'acc_bank', 0
              UNION ALL SELECT 'acc_shop', s FROM generate_series(0, 31) s;
            """
        )
        yield conn, dsn
    finally:
        await conn.close()
        admin = await asyncpg.connect(pg_server)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def grow(conn: asyncpg.Connection) -> None:
    """30,000 transfers in settlement-sized batches of 500 (few distinct batch ids), no ANALYZE yet: the
    statistics stay those of the empty table until autovacuum comes round."""
    await conn.execute(
        f"""
        INSERT INTO transfers (id, batch_id, batch_seq, type, state, debit_account_id, credit_account_id, amount,
                               currency, code, reference, metadata, timeout_seconds, debit_slot, credit_slot)
          SELECT 'old_' || i, 'oldb_' || (i / 500), i % 500, 1, 1, 'acc_bank', 'acc_shop', 1, 'CNY', 1, '', '{{}}',
                 0, 0, 0
          FROM generate_series(1, {LEDGER_ROWS}) i;
        """
    )


async def explained(conn: asyncpg.Connection) -> list[str]:
    """Turn on auto_explain for every nested statement of this connection; returns the list it fills."""
    plans: list[str] = []
    conn.add_log_listener(lambda _conn, message: plans.append(message.message))
    await conn.execute(
        """
        LOAD 'auto_explain';
        SET auto_explain.log_min_duration = 0;
        SET auto_explain.log_nested_statements = on;
        SET client_min_messages = log;
        """
    )
    return plans


@pytest.mark.parametrize("used_while_empty", [False, True], ids=["fresh connection", "connection from day one"])
async def test_create_transfers_and_its_replay_never_scan_the_ledger(
    ledger: tuple[asyncpg.Connection, str], used_while_empty: bool
) -> None:
    conn, dsn = ledger
    if used_while_empty:  # as a pooled service connection opened when the ledger was new
        for i in range(CALLS):
            assert await conn.fetchval(CALL, f"early{i}", f"te{i}") is False
    other = await asyncpg.connect(dsn, server_settings={"search_path": "wallet"})
    try:
        await grow(other)  # by other connections, as the service's other pooled connections do
    finally:
        await other.close()
    plans = await explained(conn)
    for i in range(CALLS):
        assert await conn.fetchval(CALL, f"b{i}", f"t{i}") is False
    for i in range(CALLS):  # replays: by batch id, and by a known transfer id in a new batch
        assert await conn.fetchval(CALL, f"b{i}", f"t{i}") is True
        assert await conn.fetchval(CALL, f"new{i}", f"t{i}") is True
    statements = [p for p in plans if "Query Text" in p]
    assert len(statements) > 3 * CALLS
    scans = [p for p in statements if "Seq Scan on transfers" in p]
    assert not scans, scans[0]
