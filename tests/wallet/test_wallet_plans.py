"""create_transfers stays on indexes as the ledger grows: none of its statements, first call or replay,
may scan the whole transfers table (its replay check once did, making every transfer O(ledger size))."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio

from services.kit import localstack

LEDGER_ROWS = 30_000
CALLS = 8  # plpgsql switches to its cached generic plans after five executions


@pytest_asyncio.fixture
async def grown_ledger(pg_server: str) -> AsyncIterator[asyncpg.Connection]:
    """A wallet schema of its own holding 30,000 transfers in settlement-sized batches of 500 (statistics up
    to date: few distinct batch ids, the shape that once tempted the planner into a scan), as the admin role with
    auto_explain printing the plan of every nested statement to this connection."""
    name = f"scanpay_test_plans_{secrets.token_hex(3)}"
    dsn = await localstack.create_database(pg_server, name)
    await localstack.prepare_service(dsn, "wallet")
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "wallet"})
    try:
        await conn.execute(
            f"""
            INSERT INTO accounts (id, kind, owner_id, currency, allow_negative, slots)
            VALUES ('acc_bank', 7, 'bank', 'CNY', true, 1), ('acc_shop', 2, 'shop', 'CNY', false, 32);
            INSERT INTO balances (account_id, slot) SELECT 'acc_bank', 0
              UNION ALL SELECT 'acc_shop', s FROM generate_series(0, 31) s;
            INSERT INTO transfers (id, batch_id, batch_seq, type, state, debit_account_id, credit_account_id,
                                   amount, currency, code, reference, metadata, timeout_seconds, debit_slot,
                                   credit_slot)
              SELECT 'old_' || i, 'oldb_' || (i / 500), i % 500, 1, 1, 'acc_bank', 'acc_shop', 1, 'CNY', 1, '', '{{}}',
                     0, 0, 0
              FROM generate_series(1, {LEDGER_ROWS}) i;
            ANALYZE transfers;
            LOAD 'auto_explain';
            SET auto_explain.log_min_duration = 0;
            SET auto_explain.log_nested_statements = on;
            SET client_min_messages = log;
            """
        )
        yield conn
    finally:
        await conn.close()
        admin = await asyncpg.connect(pg_server)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_create_transfers_and_its_replay_never_scan_the_ledger(grown_ledger: asyncpg.Connection) -> None:
    plans: list[str] = []
    grown_ledger.add_log_listener(lambda _conn, message: plans.append(message.message))
    call = """
        SELECT replayed FROM create_transfers($1, ARRAY[$2], ARRAY['acc_bank'], ARRAY['acc_shop'], ARRAY[5::bigint],
          ARRAY['CNY'], ARRAY[1], ARRAY[''], ARRAY['{}'::jsonb], ARRAY[false], ARRAY[0], '{}', '{}', '{}', '{}')
    """
    for i in range(CALLS):
        assert await grown_ledger.fetchval(call, f"b{i}", f"t{i}") is False
    for i in range(CALLS):  # replays: by batch id, and by a known transfer id in a new batch
        assert await grown_ledger.fetchval(call, f"b{i}", f"t{i}") is True
        assert await grown_ledger.fetchval(call, f"new{i}", f"t{i}") is True
    statements = [p for p in plans if "Query Text" in p]
    assert len(statements) > 3 * CALLS
    scans = [p for p in statements if "Seq Scan on transfers" in p]
    assert not scans, scans[0]
    assert await grown_ledger.fetchval("SELECT count(*) FROM transfers") == LEDGER_ROWS + CALLS
