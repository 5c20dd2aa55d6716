"""Bound cards and top-ups: the bank is called outside any database transaction.

A top-up is first persisted as PENDING (its request id is also the bank's idempotency key); then the
bank is asked; then one transaction books the answer (transfer bank clearing -> wallet, state, event)
only if the row is still PENDING. A crash or timeout anywhere leaves a PENDING row, which the recovery
worker settles by asking the bank what happened to that request id (charging it, idempotently, if the
bank never saw it). So money is neither lost nor taken twice.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from typing import Any

import asyncpg

from ..gen.scanpay.common.v1.common_pb2 import Money
from ..gen.scanpay.wallet.v1 import wallet_pb2
from ..kit import events as kit_events
from ..kit.errors import AlreadyExists, NotFound, require
from ..kit.ids import new_id
from ..kit.logging import get_logger
from . import domain, events, store
from .bank import BankAdapter, BankTimeout, ChargeResult
from .domain import TransferSpec
from .ledger import Ledger

log = get_logger("wallet.quickpay")
KIND_TOP_UP, KIND_PAY_FROM_CARD = 1, 2
PENDING, SUCCEEDED, FAILED = 1, 2, 3
# Transfer code of top-ups in the ledger (docs/wallet.md "Transfer codes").
CODE_TOP_UP = 100


def recovery_after_seconds() -> float:
    """How long a PENDING top-up rests before the recovery worker takes it over (> the bank deadline)."""
    return float(os.environ.get("SCANPAY_WALLET_TOPUP_RECOVERY_SECONDS", "30"))


class QuickPay:
    def __init__(self, pool: asyncpg.Pool, ledger: Ledger, bank: BankAdapter, bank_deadline: float = 5.0) -> None:
        self.pool = pool
        self.ledger = ledger
        self.bank = bank
        self.bank_deadline = bank_deadline

    async def bind_card(self, account_id: str, card_number: str, expiry: str, holder_name: str) -> asyncpg.Record:
        account = await self.ledger.account(account_id)
        require(account["kind"] == wallet_pb2.ACCOUNT_KIND_CONSUMER_WALLET, "account_id",
                "cards bind to a consumer wallet")
        digits = domain.normalise_card_number(card_number)
        domain.validate_expiry(expiry, datetime.now(UTC))
        require(bool(holder_name.strip()), "holder_name", "is required")
        bound = await self.bank.bind(digits, expiry, holder_name)
        log.info("card_bound", account_id=account_id, card=domain.mask(digits))
        async with self.pool.acquire() as conn:
            return await store.insert_card(conn, new_id("crd"), account_id, self.bank.name, bound.token,
                                           bound.last4, bound.brand, holder_name.strip(), expiry)

    async def cards(self, account_id: str) -> list[asyncpg.Record]:
        await self.ledger.account(account_id)
        async with self.pool.acquire() as conn:
            return await store.cards_of(conn, account_id)

    async def get(self, request_id: str) -> asyncpg.Record:
        domain.validate_id(request_id, "request_id")
        async with self.pool.acquire() as conn:
            row = await store.topup(conn, request_id)
        if row is None:
            raise NotFound(f"no top-up {request_id}", field="request_id", reason="TOP_UP_NOT_FOUND")
        return row

    async def top_up(self, request_id: str, card_id: str, account_id: str, amount: Money | None,
                     has_amount: bool, kind: int) -> asyncpg.Record:
        """TopUp (kind 1) charges `amount`; PayFromCard (kind 2) charges what the wallet lacks for it."""
        domain.validate_id(request_id, "request_id")
        domain.validate_id(card_id, "card_id")
        domain.validate_money(amount, has_amount, "amount")
        assert amount is not None
        account = await self.ledger.account(account_id)
        require(account["currency"] == amount.currency, "amount.currency",
                f"the account is in {account['currency']}")
        async with self.pool.acquire() as conn:
            card = await store.card(conn, card_id)
            if card is None or card["account_id"] != account_id:
                raise NotFound(f"card {card_id} is not bound to account {account_id}", field="card_id",
                               reason="CARD_NOT_FOUND")
            available = account["posted"] - account["pending_debits"]
            charge = amount.amount if kind == KIND_TOP_UP else domain.shortfall(amount.amount, available)
            created, row = await store.insert_topup(conn, request_id, kind, card_id, account_id, amount.amount,
                                                    charge, amount.currency, PENDING)
        if not created:
            _check_same_request(row, kind, card_id, account_id, amount)
            return row
        if charge == 0:
            return await self.book(row, ChargeResult("SUCCEEDED"))
        return await self._charge(row, card["bank_token"])

    async def _charge(self, row: asyncpg.Record, token: str) -> asyncpg.Record:
        try:
            result = await asyncio.wait_for(
                self.bank.charge(row["request_id"], token, row["charged"], row["currency"]), self.bank_deadline
            )
        except (TimeoutError, BankTimeout):
            log.warning("bank_timeout", request_id=row["request_id"], note="left PENDING for the recovery worker")
            return row
        return await self.book(row, result)

    async def book(self, row: asyncpg.Record, result: ChargeResult) -> asyncpg.Record:
        """Record the bank's answer once: the first booking wins, later ones return its row."""
        transfer_id = f"topup:{row['request_id']}" if result.succeeded and row["charged"] > 0 else ""
        clearing = await self.ledger.open_account(wallet_pb2.ACCOUNT_KIND_BANK_CLEARING, self.bank.name,
                                                  row["currency"]) if transfer_id else None
        async with self.pool.acquire() as conn, conn.transaction():
            current = await conn.fetchrow("SELECT * FROM topups WHERE request_id = $1 FOR UPDATE",
                                          row["request_id"])
            if current["state"] != PENDING:
                return current
            if clearing is not None:
                spec = TransferSpec(transfer_id, clearing["id"], row["account_id"], row["charged"], row["currency"],
                                    CODE_TOP_UP, row["request_id"], {"card_id": row["card_id"]}, False, 0)
                await self.ledger.create_transfers(transfer_id, [spec], conn=conn)
            state = SUCCEEDED if result.succeeded else FAILED
            reason = "" if result.succeeded else result.outcome
            done = await store.finish_topup(conn, row["request_id"], state, reason, transfer_id)
            await kit_events.append(conn, events.PRODUCER,
                                    events.TOPUP_SUCCEEDED if result.succeeded else events.TOPUP_FAILED,
                                    events.topup_finished(done))
        log.info("topup_booked", request_id=row["request_id"], state=state, reason=reason)
        return done

    async def recover(self, older_than_seconds: float, limit: int = 50) -> int:
        """Settle PENDING top-ups left by a crash or a bank timeout; returns how many were booked."""
        async with self.pool.acquire() as conn:
            stale = await store.stale_topups(conn, older_than_seconds, limit)
        booked = 0
        for row in stale:
            if await self._recover_one(row):
                booked += 1
        return booked

    async def _recover_one(self, row: asyncpg.Record) -> bool:
        if row["charged"] == 0:
            await self.book(row, ChargeResult("SUCCEEDED"))
            return True
        try:
            result = await asyncio.wait_for(self.bank.query(row["request_id"]), self.bank_deadline)
            if result is None:
                async with self.pool.acquire() as conn:
                    card = await store.card(conn, row["card_id"])
                result = await asyncio.wait_for(
                    self.bank.charge(row["request_id"], card["bank_token"], row["charged"], row["currency"]),
                    self.bank_deadline,
                )
        except (TimeoutError, BankTimeout):
            log.warning("bank_timeout_in_recovery", request_id=row["request_id"], attempts=row["attempts"])
            return False
        await self.book(row, result)
        return True


def _check_same_request(row: Any, kind: int, card_id: str, account_id: str, amount: Money) -> None:
    differing = [
        (row["kind"] != kind, "request_id", "was used by another kind of top-up"),
        (row["card_id"] != card_id, "card_id", f"differs from the first request ({row['card_id']})"),
        (row["account_id"] != account_id, "account_id", "differs from the first request"),
        (row["requested"] != amount.amount, "amount.amount", f"differs from the first request ({row['requested']})"),
        (row["currency"] != amount.currency, "amount.currency", "differs from the first request"),
    ]
    for differs, field, message in differing:
        if differs:
            raise AlreadyExists(f"top-up {row['request_id']}: {field} {message}", field=field,
                                reason="REQUEST_ID_REUSED")

