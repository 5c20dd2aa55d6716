"""SQL of the gateway store on the real database: where notifications go, payment-code trades."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from services.gateway import store


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


async def _target(
    pool: asyncpg.Pool, notify_url: str, partner: str, merchant: str, directory_url: str
) -> tuple[str, str] | None:
    row = await pool.fetchrow(
        "SELECT owner_id, url FROM notification_target($1, $2, $3, $4)", notify_url, partner, merchant, directory_url
    )
    return (row["owner_id"], row["url"]) if row else None


async def test_notification_target_order(pool_for: Callable[[str], Awaitable[asyncpg.Pool]]) -> None:
    pool = await pool_for("gateway")
    partner, merchant, lone = _id("ptn"), _id("mch"), _id("mch")
    # Nothing set anywhere: no notification.
    assert await _target(pool, "", "", lone, "") is None
    assert await _target(pool, "", partner, merchant, "") is None
    # The partner's webhook from the directory is the last resort, and only for a partner's trade.
    assert await _target(pool, "", partner, merchant, "https://dir/p") == (partner, "https://dir/p")
    assert await _target(pool, "", "", merchant, "https://dir/p") is None
    await store.set_webhook(pool, merchant, "https://m/hook")
    assert await _target(pool, "", partner, merchant, "https://dir/p") == (merchant, "https://m/hook")
    await store.set_webhook(pool, partner, "https://p/hook")
    assert await _target(pool, "", partner, merchant, "https://dir/p") == (partner, "https://p/hook")
    assert await _target(pool, "", "", merchant, "") == (merchant, "https://m/hook")
    # The trade's own notify_url wins, owned by its partner, else its merchant.
    assert await _target(pool, "https://t/n", partner, merchant, "") == (partner, "https://t/n")
    assert await _target(pool, "https://t/n", "", merchant, "") == (merchant, "https://t/n")


async def _code(pool: asyncpg.Pool, seconds: int = 60) -> tuple[str, str]:
    consumer = _id("csm")
    await store.insert_consumer(pool, consumer, "13" + f"{secrets.randbelow(10**9):09d}", "x", _id("acc"))
    code = "28" + f"{secrets.randbelow(10**16):016d}"
    await store.insert_payment_code(pool, code, consumer, seconds)
    return code, consumer


def _code_trade(merchant: str, out_trade_no: str, amount: int = 700) -> dict[str, object]:
    return {
        "trade_id": _id("trd"),
        "merchant_id": merchant,
        "store_id": _id("sto"),
        "out_trade_no": out_trade_no,
        "way": "PAYMENT_WAY_PAYMENT_CODE",
        "amount": amount,
        "expires_at": datetime.now(UTC) + timedelta(minutes=15),
    }


async def test_code_trade_uses_the_code_once_or_leaves_nothing(
    pool_for: Callable[[str], Awaitable[asyncpg.Pool]],
) -> None:
    pool = await pool_for("gateway")
    merchant = _id("mch")
    code, consumer = await _code(pool)
    first = _code_trade(merchant, "POS-1")
    trade = await store.insert_code_trade(pool, first, code)
    assert trade is not None and trade["consumer_id"] == consumer and trade["step"] == "CREATED"
    used = await pool.fetchrow("SELECT used_at, trade_id FROM payment_codes WHERE code = $1", code)
    assert used["used_at"] is not None and used["trade_id"] == first["trade_id"]
    # The same code for another order: refused, and no trade is left behind.
    second = _code_trade(merchant, "POS-2")
    assert await store.insert_code_trade(pool, second, code) is None
    assert await store.payment_code_refusal(pool, code) == "used"
    assert await store.trade_by_out_no(pool, merchant, "POS-2") is None
    # A fresh code on an out_trade_no that exists: nothing inserted and the code stays unused.
    fresh, _ = await _code(pool)
    assert await store.insert_code_trade(pool, _code_trade(merchant, "POS-1"), fresh) is None
    assert await pool.fetchval("SELECT used_at FROM payment_codes WHERE code = $1", fresh) is None
    assert (await store.trade_by_out_no(pool, merchant, "POS-1"))["trade_id"] == first["trade_id"]
    # Expired and unknown codes.
    stale, _ = await _code(pool, seconds=-1)
    assert await store.insert_code_trade(pool, _code_trade(merchant, "POS-3"), stale) is None
    assert await store.payment_code_refusal(pool, stale) == "expired"
    assert await store.payment_code_refusal(pool, "28" + "0" * 16) == "unknown"
