"""Plain SQL of the wallet; the ledger rules themselves live in the plpgsql functions of migrations/0001.

Each ledger call is one round trip: the function validates, locks, applies and writes the outbox rows
in one statement (autocommit), so the transaction holds its row locks only while PostgreSQL works.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from ..kit.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, ServiceError
from .domain import AccountRules, Cursor, TransferSpec
from .events import OutboxRows

_ERRORS: dict[str, type[ServiceError]] = {
    "WL400": InvalidArgument, "WL404": NotFound, "WL409": AlreadyExists, "WL412": FailedPrecondition,
}

ACCOUNT_COLUMNS = "a.id, a.kind, a.owner_id, a.currency, a.allow_negative, a.slots, a.frozen, a.frozen_reason, a.created_at"
BALANCE_SUMS = """
  coalesce((SELECT sum(b.posted) FROM balances b WHERE b.account_id = a.id), 0)::bigint AS posted,
  coalesce((SELECT sum(b.pending_debits) FROM balances b WHERE b.account_id = a.id), 0)::bigint AS pending_debits,
  coalesce((SELECT sum(b.pending_credits) FROM balances b WHERE b.account_id = a.id), 0)::bigint AS pending_credits
"""


# Races a ledger call loses and wins on a second try: a unique violation (a concurrent call with the same
# ids committed first; the retry replays it), a deadlock or a serialization failure. Whole calls
# (Ledger._run) and single batches of create_transfer_batches retry on the same states.
RETRYABLE_STATES = frozenset({"23505", "40P01", "40001"})


def rule_error(sqlstate: str | None, message: str, hint: str | None, detail: str | None) -> ServiceError | None:
    """Map a rule violation raised by the ledger functions to the service error it stands for."""
    kind = _ERRORS.get(sqlstate or "")
    if kind is not None:
        return kind(message, field=hint or "", reason=detail or "")
    if sqlstate == "22003":  # numeric_value_out_of_range: a balance would leave int64
        return FailedPrecondition("the transfer would take a balance beyond the int64 range",
                                  field="amount.amount", reason="BALANCE_OVERFLOW")
    return None


def ledger_error(exc: asyncpg.PostgresError) -> ServiceError | None:
    return rule_error(exc.sqlstate, str(getattr(exc, "message", exc)), exc.hint, exc.detail)


# --- accounts -------------------------------------------------------------------------------------------


async def open_account(
    conn: asyncpg.Connection, account_id: str, kind: int, owner_id: str, currency: str, rules: AccountRules
) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"""
        WITH new AS (
          INSERT INTO accounts (id, kind, owner_id, currency, allow_negative, slots)
          VALUES ($1, $2, $3, $4, $5, $6)
          ON CONFLICT (kind, owner_id, currency) DO NOTHING
          RETURNING *
        ), slots AS (
          INSERT INTO balances (account_id, slot) SELECT new.id, s FROM new, generate_series(0, new.slots - 1) s
        )
        SELECT {ACCOUNT_COLUMNS}, 0::bigint AS posted, 0::bigint AS pending_debits, 0::bigint AS pending_credits
        FROM new a
        """,
        account_id, kind, owner_id, currency, rules.allow_negative, rules.slots,
    )
    # A conflict means the account exists (committed, maybe by a concurrent call after our snapshot).
    return row or await find_account(conn, kind, owner_id, currency)


async def get_account(conn: asyncpg.Connection, account_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {ACCOUNT_COLUMNS}, {BALANCE_SUMS} FROM accounts a WHERE a.id = $1", account_id)


async def find_account(conn: asyncpg.Connection, kind: int, owner_id: str, currency: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {ACCOUNT_COLUMNS}, {BALANCE_SUMS} FROM accounts a
            WHERE a.kind = $1 AND a.owner_id = $2 AND a.currency = $3""",
        kind, owner_id, currency,
    )


async def set_frozen(conn: asyncpg.Connection, account_id: str, frozen: bool, reason: str) -> asyncpg.Record | None:
    """Freeze or unfreeze; also locks every balance slot so in-flight debits finish first (see create_transfers)."""
    changed = await conn.fetchval(
        """
        WITH locked AS (
          SELECT b.slot FROM balances b WHERE b.account_id = $1 ORDER BY b.slot FOR UPDATE
        )
        UPDATE accounts SET frozen = $2, frozen_reason = $3
        WHERE id = $1 AND (SELECT count(*) FROM locked) > 0
        RETURNING true
        """,
        account_id, frozen, reason,
    )
    return await get_account(conn, account_id) if changed else None


# --- transfers ------------------------------------------------------------------------------------------


def _transfer(record: asyncpg.Record) -> dict[str, Any]:
    row = dict(record["transfer"])
    row["metadata"] = json.loads(row["metadata"]) if isinstance(row["metadata"], str) else row["metadata"]
    return row


def _transfer_arrays(specs: Sequence[TransferSpec]) -> tuple[list[Any], ...]:
    """The transfers as the ledger functions' parallel arrays (ids, debits, credits, ... timeouts)."""
    return (
        [s.id for s in specs],
        [s.debit_account_id for s in specs],
        [s.credit_account_id for s in specs],
        [s.amount for s in specs],
        [s.currency for s in specs],
        [s.code for s in specs],
        [s.reference for s in specs],
        [json.dumps(s.metadata) for s in specs],
        [s.pending for s in specs],
        [s.timeout_seconds for s in specs],
    )


async def create_transfers(
    conn: asyncpg.Connection, batch_id: str, specs: Sequence[TransferSpec], events: OutboxRows
) -> tuple[bool, list[dict[str, Any]]]:
    """Apply a batch; returns (replayed, stored transfers). Rule violations raise a ServiceError."""
    rows = await conn.fetch(
        """
        SELECT replayed, transfer FROM create_transfers(
          $1, $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::int[], $8::text[],
          $9::jsonb[], $10::bool[], $11::int[], $12::text[], $13::text[], $14::bytea[], $15::jsonb)
        """,
        batch_id, *_transfer_arrays(specs), events.ids, events.subjects, events.payloads, events.headers,
    )
    return bool(rows and rows[0]["replayed"]), [_transfer(r) for r in rows]


@dataclass
class BatchResult:
    """One batch of a create_transfer_batches call: stored transfers (maybe replayed), or why not."""

    replayed: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: ServiceError | None = None
    retry: bool = False  # lost a race to a concurrent call with the same ids: apply again as a replay


def _batch_result(records: list[asyncpg.Record]) -> BatchResult:
    first = records[0]
    if first["state"] is None:
        return BatchResult(bool(first["replayed"]), [_transfer(r) for r in records])
    if first["state"] in RETRYABLE_STATES:
        return BatchResult(retry=True)
    error = rule_error(first["state"], first["message"], first["hint"], first["detail"])
    return BatchResult(error=error or ServiceError(f"the ledger failed the batch ({first['state']})"))


async def create_transfer_batches(
    conn: asyncpg.Connection, batches: Sequence[tuple[str, Sequence[TransferSpec]]], event_counts: Sequence[int],
    events: OutboxRows,
) -> list[BatchResult]:
    """Apply independent batches in one statement; `events` holds each batch's events in batch order."""
    specs = [s for _, batch in batches for s in batch]
    records = await conn.fetch(
        """
        SELECT batch_no, replayed, transfer, state, message, hint, detail FROM create_transfer_batches(
          $1::text[], $2::int[], $3::int[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[],
          $9::int[], $10::text[], $11::jsonb[], $12::bool[], $13::int[], $14::text[], $15::text[], $16::bytea[],
          $17::jsonb)
        """,
        [batch_id for batch_id, _ in batches],
        [len(batch) for _, batch in batches],
        list(event_counts),
        *_transfer_arrays(specs),
        events.ids, events.subjects, events.payloads, events.headers,
    )
    by_batch: list[list[asyncpg.Record]] = [[] for _ in batches]
    for record in records:
        by_batch[record["batch_no"] - 1].append(record)
    return [_batch_result(rows) for rows in by_batch]


async def finish_pending(
    conn: asyncpg.Connection, transfer_id: str | None, pending_id: str, action: int, amount: int | None,
    currency: str | None, events: OutboxRows,
) -> tuple[bool, dict[str, Any] | None]:
    rows = await conn.fetch(
        """
        SELECT replayed, transfer FROM finish_pending(
          $1, $2, $3::smallint, $4, $5, $6::text[], $7::text[], $8::bytea[], $9::jsonb)
        """,
        transfer_id, pending_id, action, amount, currency, events.ids, events.subjects, events.payloads,
        events.headers,
    )
    if not rows:
        return False, None
    return bool(rows[0]["replayed"]), _transfer(rows[0])


async def transfers_by_ids(conn: asyncpg.Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    rows = await conn.fetch("SELECT t FROM transfers t WHERE t.id = ANY($1::text[])", list(ids))
    return {r["t"]["id"]: _transfer({"transfer": r["t"]}) for r in rows}


async def batch(conn: asyncpg.Connection, batch_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT t FROM transfers t WHERE t.batch_id = $1 ORDER BY t.batch_seq", batch_id)
    return [_transfer({"transfer": r["t"]}) for r in rows]


async def expired_pending(conn: asyncpg.Connection, limit: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT t FROM transfers t WHERE t.state = 2 AND t.expires_at IS NOT NULL AND t.expires_at <= now()
           ORDER BY t.expires_at LIMIT $1""",
        limit,
    )
    return [_transfer({"transfer": r["t"]}) for r in rows]


async def entries(
    conn: asyncpg.Connection, account_id: str, low: datetime, high: datetime, cursor: Cursor | None, limit: int
) -> list[dict[str, Any]]:
    """Newest first: the debit side and the credit side each come from their own index."""
    after_at, after_id = (cursor.created_at, cursor.id) if cursor else (high, "")
    rows = await conn.fetch(
        """
        (SELECT t, 'D' AS side FROM transfers t
          WHERE t.debit_account_id = $1 AND t.created_at >= $2 AND t.created_at < $3
            AND ($6 OR (t.created_at, t.id) < ($4, $5))
          ORDER BY t.created_at DESC, t.id DESC LIMIT $7)
        UNION ALL
        (SELECT t, 'C' AS side FROM transfers t
          WHERE t.credit_account_id = $1 AND t.created_at >= $2 AND t.created_at < $3
            AND ($6 OR (t.created_at, t.id) < ($4, $5))
          ORDER BY t.created_at DESC, t.id DESC LIMIT $7)
        """,
        account_id, low, high, after_at, after_id, cursor is None, limit,
    )
    out = [{**_transfer({"transfer": r["t"]}), "side": r["side"]} for r in rows]
    out.sort(key=lambda e: (e["created_at"], e["id"]), reverse=True)
    return out[:limit]


async def export(
    conn: asyncpg.Connection, low: datetime, high: datetime, cursor: Cursor | None, limit: int
) -> list[dict[str, Any]]:
    after_at, after_id = (cursor.created_at, cursor.id) if cursor else (low, "")
    rows = await conn.fetch(
        """
        SELECT t FROM transfers t
        WHERE t.created_at >= $1 AND t.created_at < $2 AND (t.created_at, t.id) > ($3, $4)
        ORDER BY t.created_at, t.id LIMIT $5
        """,
        low, high, after_at, after_id, limit,
    )
    return [_transfer({"transfer": r["t"]}) for r in rows]


# --- cards and top-ups ------------------------------------------------------------------------------------


async def insert_card(
    conn: asyncpg.Connection, card_id: str, account_id: str, bank: str, token: str, last4: str, brand: int,
    holder_name: str, expiry: str,
) -> asyncpg.Record:
    """Binding the same card to the same account twice returns the first binding."""
    return await conn.fetchrow(
        """
        WITH new AS (
          INSERT INTO cards (id, account_id, bank, bank_token, last4, brand, holder_name, expiry)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
          ON CONFLICT (account_id, bank, bank_token) DO UPDATE SET holder_name = EXCLUDED.holder_name,
                                                                   expiry = EXCLUDED.expiry
          RETURNING *
        )
        SELECT * FROM new
        """,
        card_id, account_id, bank, token, last4, brand, holder_name, expiry,
    )


async def cards_of(conn: asyncpg.Connection, account_id: str) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM cards WHERE account_id = $1 ORDER BY created_at, id", account_id)


async def card(conn: asyncpg.Connection, card_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM cards WHERE id = $1", card_id)


async def insert_topup(
    conn: asyncpg.Connection, request_id: str, kind: int, card_id: str, account_id: str, requested: int,
    charged: int, currency: str, state: int,
) -> tuple[bool, asyncpg.Record]:
    """Returns (created, row); an existing request id returns its row unchanged."""
    row = await conn.fetchrow(
        """
        INSERT INTO topups (request_id, kind, card_id, account_id, requested, charged, currency, state)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (request_id) DO NOTHING RETURNING *
        """,
        request_id, kind, card_id, account_id, requested, charged, currency, state,
    )
    if row is not None:
        return True, row
    return False, await topup(conn, request_id)


async def topup(conn: asyncpg.Connection, request_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM topups WHERE request_id = $1", request_id)


async def finish_topup(
    conn: asyncpg.Connection, request_id: str, state: int, failure_reason: str, transfer_id: str
) -> asyncpg.Record | None:
    """Move a PENDING top-up to its outcome; None if another worker finished it first."""
    return await conn.fetchrow(
        """
        UPDATE topups SET state = $2, failure_reason = $3, transfer_id = $4, updated_at = now()
        WHERE request_id = $1 AND state = 1 RETURNING *
        """,
        request_id, state, failure_reason, transfer_id,
    )


async def stale_topups(conn: asyncpg.Connection, older_than_seconds: float, limit: int) -> list[asyncpg.Record]:
    """PENDING top-ups nobody touched for a while; marks the attempt so two workers rarely collide."""
    return await conn.fetch(
        """
        UPDATE topups SET attempts = attempts + 1, updated_at = now()
        WHERE request_id IN (
          SELECT request_id FROM topups
          WHERE state = 1 AND updated_at < now() - make_interval(secs => $1)
          ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED
        )
        RETURNING *
        """,
        older_than_seconds, limit,
    )
