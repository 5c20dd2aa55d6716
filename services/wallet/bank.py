"""Bank adapters for quick pay: the interface the wallet needs, and a simulated bank with test cards.

The simulated bank stands for an external system: it keeps its own books (tables sim_bank_*), commits
them in its own transactions, is idempotent by request id and answers "what happened to request X".
It never stores a card number: its token is a keyed hash of the number, and it keeps only the scenario
and the last four digits.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol

import asyncpg

from .domain import card_brand

SUCCEEDED = "SUCCEEDED"
INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
DECLINED = "DECLINED"

# Documented test cards (docs/wallet.md); any other Luhn-valid number behaves like SUCCESS.
TEST_CARDS: dict[str, str] = {
    "4111111111111111": "success",
    "6222021234567894": "success",
    "5555555555554444": "success",
    "4000000000009995": "insufficient_funds",
    "4000000000000002": "declined",
    "4000000000000119": "timeout",
    "4000000000000259": "slow",
}
_SIMULATED_BANK_KEY = b"scanpay-simulated-bank"


class BankTimeout(Exception):
    """The bank did not answer in time: the outcome is unknown, ask again with query()."""


@dataclass(frozen=True)
class BoundCard:
    token: str
    last4: str
    brand: int


@dataclass(frozen=True)
class ChargeResult:
    outcome: str  # SUCCEEDED | INSUFFICIENT_FUNDS | DECLINED

    @property
    def succeeded(self) -> bool:
        return self.outcome == SUCCEEDED


class BankAdapter(Protocol):
    name: str

    async def bind(self, card_number: str, expiry: str, holder_name: str) -> BoundCard: ...

    async def charge(self, request_id: str, token: str, amount: int, currency: str) -> ChargeResult:
        """Idempotent by request_id; raises BankTimeout when the outcome is unknown."""

    async def query(self, request_id: str) -> ChargeResult | None:
        """The outcome of an earlier charge, or None if the bank never received it."""


class SimulatedBank:
    """Test-card behaviour: success, insufficient funds, declined, timeout (charged, answer lost), slow."""

    name = "simbank"

    def __init__(self, pool: asyncpg.Pool, slow_seconds: float = 2.0, timeout_seconds: float = 3.0) -> None:
        self.pool = pool
        self.slow_seconds = slow_seconds
        self.timeout_seconds = timeout_seconds

    async def bind(self, card_number: str, expiry: str, holder_name: str) -> BoundCard:
        token = "tok_" + hmac.new(_SIMULATED_BANK_KEY, card_number.encode(), hashlib.sha256).hexdigest()[:32]
        await self.pool.execute(
            "INSERT INTO sim_bank_cards (token, scenario, last4) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            token, TEST_CARDS.get(card_number, "success"), card_number[-4:],
        )
        return BoundCard(token=token, last4=card_number[-4:], brand=card_brand(card_number))

    async def charge(self, request_id: str, token: str, amount: int, currency: str) -> ChargeResult:
        scenario = await self.pool.fetchval("SELECT scenario FROM sim_bank_cards WHERE token = $1", token)
        if scenario == "slow":
            await asyncio.sleep(self.slow_seconds)
        outcome = {"insufficient_funds": INSUFFICIENT_FUNDS, "declined": DECLINED}.get(scenario or "", SUCCEEDED)
        if scenario is None:
            outcome = DECLINED
        recorded = await self.pool.fetchval(
            """
            WITH new AS (
              INSERT INTO sim_bank_charges (request_id, token, amount, currency, outcome)
              VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id) DO NOTHING RETURNING outcome
            )
            SELECT outcome FROM new UNION ALL SELECT outcome FROM sim_bank_charges WHERE request_id = $1
            LIMIT 1
            """,
            request_id, token, amount, currency, outcome,
        )
        if scenario == "timeout":
            await asyncio.sleep(self.timeout_seconds)
            raise BankTimeout(f"bank did not answer request {request_id}")
        return ChargeResult(recorded)

    async def query(self, request_id: str) -> ChargeResult | None:
        outcome = await self.pool.fetchval("SELECT outcome FROM sim_bank_charges WHERE request_id = $1", request_id)
        return ChargeResult(outcome) if outcome is not None else None
