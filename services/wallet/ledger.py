"""The ledger operations: accounts, batches of transfers, finishing holds, expiry. Calls store, raises kit errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import asyncpg

from ..gen.scanpay.common.v1.common_pb2 import Money
from ..gen.scanpay.wallet.v1 import wallet_pb2
from ..kit import events as kit_events
from ..kit.errors import Aborted, NotFound, ServiceError
from ..kit.ids import new_id
from ..kit.logging import get_logger
from . import convert, domain, events, store
from .domain import ACTION_EXPIRE, TYPE_PENDING, TYPE_POST, TransferSpec

log = get_logger("wallet.ledger")
T = TypeVar("T")
ATTEMPTS = 4


def _now() -> datetime:
    return datetime.now(UTC)


def _add_posted_events(outbox: events.OutboxRows, batch_id: str, specs: Sequence[TransferSpec], now: datetime
                       ) -> None:
    """A single-phase transfer is posted when its batch applies; a hold's event comes when it finishes."""
    for spec in specs:
        if not spec.pending:
            planned = convert.planned_transfer(batch_id, spec, now)
            outbox.add(events.TRANSFER_POSTED, events.transfer_posted(planned, now))


class Ledger:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def _run(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Run one ledger statement, retrying races, mapping rule violations to service errors."""
        for attempt in range(ATTEMPTS):
            try:
                async with self.pool.acquire() as conn:
                    return await work(conn)
            except asyncpg.PostgresError as exc:
                if exc.sqlstate in store.RETRYABLE_STATES:
                    log.info("ledger_retry", attempt=attempt, error=type(exc).__name__)
                    continue
                error = store.ledger_error(exc)
                if error is None:
                    raise
                raise error from None
        raise Aborted("the ledger was too busy; retry with the same ids", reason="CONTENTION")

    # --- accounts ------------------------------------------------------------------------------------

    async def open_account(self, kind: int, owner_id: str, currency: str) -> asyncpg.Record:
        domain.validate_kind(kind)
        domain.validate_id(owner_id, "owner_id")
        domain.validate_currency(currency, "currency")
        rules = domain.account_rules(kind)
        return await self._run(
            lambda conn: store.open_account(conn, new_id("acc"), kind, owner_id, currency, rules)
        )

    async def account(self, account_id: str, field: str = "account_id") -> asyncpg.Record:
        domain.validate_id(account_id, field)
        row = await self._run(lambda conn: store.get_account(conn, account_id))
        if row is None:
            raise NotFound(f"account {account_id} does not exist", field=field, reason="ACCOUNT_NOT_FOUND")
        return row

    async def find_account(self, kind: int, owner_id: str, currency: str) -> asyncpg.Record:
        domain.validate_kind(kind)
        domain.validate_id(owner_id, "owner_id")
        domain.validate_currency(currency, "currency")
        row = await self._run(lambda conn: store.find_account(conn, kind, owner_id, currency))
        if row is None:
            raise NotFound(f"no {wallet_pb2.AccountKind.Name(kind)} account of {owner_id} in {currency}",
                           field="owner_id", reason="ACCOUNT_NOT_FOUND")
        return row

    async def set_frozen(self, account_id: str, frozen: bool, reason: str) -> asyncpg.Record:
        domain.validate_id(account_id, "account_id")

        async def work(conn: asyncpg.Connection) -> asyncpg.Record | None:
            async with conn.transaction():
                row = await store.set_frozen(conn, account_id, frozen, reason)
                if row is not None and frozen:
                    await kit_events.append(conn, events.PRODUCER, events.ACCOUNT_FROZEN,
                                            events.account_frozen(row, _now()))
                return row

        row = await self._run(work)
        if row is None:
            raise NotFound(f"account {account_id} does not exist", field="account_id", reason="ACCOUNT_NOT_FOUND")
        return row

    # --- transfers -----------------------------------------------------------------------------------

    async def create_transfers(
        self, batch_id: str, specs: Sequence[TransferSpec], conn: asyncpg.Connection | None = None
    ) -> tuple[bool, list[dict[str, Any]]]:
        """Apply a validated batch once; a replay returns the first result (or AlreadyExists)."""
        outbox = events.OutboxRows()
        _add_posted_events(outbox, batch_id, specs, _now())

        async def work(c: asyncpg.Connection) -> tuple[bool, list[dict[str, Any]]]:
            return await store.create_transfers(c, batch_id, specs, outbox)

        if conn is not None:
            replayed, rows = await work(conn)
        else:
            replayed, rows = await self._run(work)
        if replayed:
            rows = domain.check_replay(batch_id, specs, rows)
        return replayed, rows

    async def create_transfer_batches(
        self, batches: Sequence[tuple[str, Sequence[TransferSpec]]]
    ) -> list[store.BatchResult]:
        """Apply independent validated batches in one statement; each result as create_transfers would give."""
        now = _now()
        outbox = events.OutboxRows()
        counts = []
        for batch_id, specs in batches:
            before = len(outbox.ids)
            _add_posted_events(outbox, batch_id, specs, now)
            counts.append(len(outbox.ids) - before)
        results = await self._run(lambda conn: store.create_transfer_batches(conn, batches, counts, outbox))
        return [await self._settle(batch_id, specs, result)
                for (batch_id, specs), result in zip(batches, results, strict=True)]

    async def _settle(self, batch_id: str, specs: Sequence[TransferSpec], result: store.BatchResult
                      ) -> store.BatchResult:
        """Compare a replay with the request; a batch that lost a race goes again on its own (and replays)."""
        try:
            if result.retry:
                replayed, rows = await self.create_transfers(batch_id, specs)
                return store.BatchResult(replayed, rows)
            if result.replayed:
                return store.BatchResult(True, domain.check_replay(batch_id, specs, result.rows))
        except ServiceError as exc:
            return store.BatchResult(error=exc)
        return result

    async def finish_pending(
        self, transfer_id: str, pending_id: str, action: int, amount: Money | None
    ) -> tuple[bool, dict[str, Any]]:
        """Post (action TYPE_POST) or void (TYPE_VOID) a hold exactly once."""
        domain.validate_id(transfer_id, "transfer_id")
        domain.validate_id(pending_id, "pending_id")
        if amount is not None:
            domain.validate_money(amount, True, "amount")
        wanted = amount.amount if amount is not None else None
        known = await self._run(lambda conn: store.transfers_by_ids(conn, [transfer_id, pending_id]))
        if transfer_id in known:
            domain.check_finish_replay(known[transfer_id], action, pending_id, wanted)
            return True, known[transfer_id]
        pending = known.get(pending_id)
        if pending is None or pending["type"] != TYPE_PENDING:
            raise NotFound(f"no pending transfer {pending_id}", field="pending_id", reason="PENDING_NOT_FOUND")
        outbox = self._finish_events(transfer_id, pending, action, wanted)
        currency = amount.currency if amount is not None else None
        replayed, row = await self._run(
            lambda conn: store.finish_pending(conn, transfer_id, pending_id, action, wanted, currency, outbox)
        )
        assert row is not None
        if replayed:
            domain.check_finish_replay(row, action, pending_id, wanted)
        return replayed, row

    def _finish_events(
        self, transfer_id: str, pending: dict[str, Any], action: int, amount: int | None
    ) -> events.OutboxRows:
        now = _now()
        outbox = events.OutboxRows()
        if action == TYPE_POST:
            posted = convert.transfer({
                **pending, "id": transfer_id, "batch_id": transfer_id, "type": TYPE_POST, "state": domain.STATE_POSTED,
                "amount": amount if amount is not None else pending["amount"], "pending_id": pending["id"],
                "timeout_seconds": 0, "expires_at": None, "posted_amount": 0, "finished_by": None, "created_at": now,
            })
            outbox.add(events.TRANSFER_POSTED, events.transfer_posted(posted, now))
        else:
            void_id = "" if action == ACTION_EXPIRE else transfer_id
            outbox.add(events.TRANSFER_VOIDED,
                       events.transfer_voided(pending, void_id, action == ACTION_EXPIRE, now))
        return outbox

    async def expire_due(self, limit: int = 100) -> int:
        """Void holds past their timeout; returns how many expired."""
        due = await self._run(lambda conn: store.expired_pending(conn, limit))
        expired = 0
        for pending in due:
            outbox = self._finish_events("", pending, ACTION_EXPIRE, None)
            _, row = await self._run(
                lambda conn, p=pending, o=outbox: store.finish_pending(conn, None, p["id"], ACTION_EXPIRE, None, None, o)
            )
            expired += row is not None
        return expired

    async def transfer(self, transfer_id: str) -> dict[str, Any]:
        domain.validate_id(transfer_id, "transfer_id")
        found = await self._run(lambda conn: store.transfers_by_ids(conn, [transfer_id]))
        if transfer_id not in found:
            raise NotFound(f"transfer {transfer_id} does not exist", field="transfer_id", reason="TRANSFER_NOT_FOUND")
        return found[transfer_id]

    async def batch(self, batch_id: str) -> list[dict[str, Any]]:
        domain.validate_id(batch_id, "batch_id")
        rows = await self._run(lambda conn: store.batch(conn, batch_id))
        if not rows:
            raise NotFound(f"batch {batch_id} was never applied", field="batch_id", reason="BATCH_NOT_FOUND")
        return rows

