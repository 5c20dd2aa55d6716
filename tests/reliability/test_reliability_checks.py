"""Each invariant check can fail: on the database the short chaos run left behind, every check passes, then
breaks the invariant on purpose inside a transaction that is rolled back and must see the check catch it."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import asyncpg
import nats
import pytest
import pytest_asyncio

from . import chaos, invariants, reconcile
from .client import Answer, Call, Journal
from .stack import ChaosStack
from .workload import Seen, Workload

pytestmark = pytest.mark.stack

# A copy of one row under a new primary key, so a duplicate can be inserted whatever the table's columns.
COPY_ROW = """
CREATE TEMP TABLE sabotage ON COMMIT DROP AS {select};
UPDATE sabotage SET {key} = 'sabotage_' || {key}{also};
INSERT INTO {table} SELECT * FROM sabotage;
"""

SABOTAGE: dict[str, tuple[invariants.Check, str]] = {
    "balance row changed without a transfer": (invariants.ledger_balanced, """
        UPDATE wallet.balances SET posted = posted + 1
        WHERE (account_id, slot) = (SELECT account_id, slot FROM wallet.balances ORDER BY account_id, slot LIMIT 1)
    """),
    "unbalanced transfer row inserted": (invariants.ledger_balanced, COPY_ROW.format(
        select="SELECT * FROM wallet.transfers WHERE code = 1001 LIMIT 1", key="id", table="wallet.transfers",
        also=", batch_id = 'sabotage_' || id")),
    "top-up recorded but never booked": (invariants.money_conserved, """
        INSERT INTO wallet.topups (request_id, kind, card_id, account_id, requested, charged, currency, state)
        SELECT 'sabotage', 1, card_id, account_id, 100, 100, currency, 2 FROM wallet.topups LIMIT 1
    """),
    "one fen moved from a wallet to a receivable off the books": (invariants.wallets_match_trades, """
        WITH pick AS (
          SELECT (SELECT b.account_id FROM wallet.balances b JOIN wallet.accounts a ON a.id = b.account_id
                  WHERE a.kind = 1 AND b.posted > 0 LIMIT 1) AS wallet,
                 (SELECT id FROM wallet.accounts WHERE kind = 2 LIMIT 1) AS receivable
        )
        UPDATE wallet.balances b SET posted = posted + CASE WHEN b.account_id = pick.wallet THEN -1 ELSE 1 END
        FROM pick WHERE (b.account_id = pick.wallet OR b.account_id = pick.receivable) AND b.slot = 0
    """),
    "duplicate clearing entry": (invariants.paid_once, COPY_ROW.format(
        select="SELECT * FROM settlement.clearing_entries WHERE kind = 'trade' LIMIT 1", key="entry_id",
        table="settlement.clearing_entries", also="")),
    "a trade paid in a second wallet batch": (invariants.paid_once, COPY_ROW.format(
        select="SELECT * FROM wallet.transfers WHERE code = 1001 LIMIT 1", key="id", table="wallet.transfers",
        also=", batch_id = 'sabotage_' || id")),
    "succeeded refund marked failed": (invariants.refunds_once, """
        UPDATE gateway.refunds SET status = 'FAILED'
        WHERE refund_id = (SELECT refund_id FROM gateway.refunds WHERE status = 'SUCCEEDED' LIMIT 1)
    """),
    "paid trade closed without a refund": (invariants.closed_trades_settled, """
        UPDATE gateway.trades SET status = 'TRADE_CLOSED'
        WHERE trade_id = (SELECT trade_id FROM gateway.trades WHERE status = 'TRADE_SUCCESS' AND refunded = 0 LIMIT 1)
    """),
    "unpaid closed trade with a wallet leg": (invariants.closed_trades_settled, """
        UPDATE wallet.transfers SET batch_id = (SELECT trade_id FROM gateway.trades
                                                WHERE status = 'TRADE_CLOSED' AND paid_at IS NULL LIMIT 1)
        WHERE id = (SELECT id FROM wallet.transfers WHERE code = 100 LIMIT 1)
    """),
    "saga stopped after the money moved": (invariants.nothing_left_mid_way, """
        UPDATE gateway.trades SET status = 'WAIT_BUYER_PAY', step = 'FUNDS_POSTED'
        WHERE trade_id = (SELECT trade_id FROM gateway.trades WHERE status = 'TRADE_SUCCESS' LIMIT 1)
    """),
    "unpaid trade left open past its expiry": (invariants.nothing_left_mid_way, """
        UPDATE gateway.trades SET status = 'WAIT_BUYER_PAY', step = 'CREATED', expires_at = now() - interval '1 hour'
        WHERE trade_id = (SELECT trade_id FROM gateway.trades WHERE status = 'TRADE_CLOSED' AND paid_at IS NULL LIMIT 1)
    """),
    "redeemed coupon's hold released": (invariants.coupons_consistent, """
        UPDATE promotions.reservations SET status = 'RELEASED', release_reason = 'sabotage'
        WHERE trade_id = (SELECT trade_id FROM promotions.reservations WHERE status = 'CONFIRMED' LIMIT 1)
    """),
    "coupon worth more than the campaign's budget": (invariants.campaigns_within_budget, """
        UPDATE promotions.coupons c SET value = c.value + k.budget FROM promotions.campaigns k
        WHERE k.id = c.campaign_id AND c.id = (SELECT id FROM promotions.coupons LIMIT 1)
    """),
    "event left in the outbox": (invariants.events_delivered, """
        UPDATE gateway.outbox SET published_at = NULL WHERE seq = (SELECT max(seq) FROM gateway.outbox)
    """),
    "trade event settlement never consumed": (invariants.events_delivered, """
        DELETE FROM settlement.inbox WHERE event_id = (
          SELECT event_id FROM gateway.outbox WHERE subject = 'gateway.trade.succeeded' LIMIT 1)
    """),
}


@pytest_asyncio.fixture(loop_scope="session")
async def admin(chaos_stack: ChaosStack, played: chaos.Report) -> AsyncIterator[asyncpg.Connection]:
    conn = await chaos_stack.admin()
    yield conn
    await conn.close()


async def _broken(conn: asyncpg.Connection, sql: str, check: invariants.Check) -> list[str]:
    tx = conn.transaction()
    await tx.start()
    try:
        await conn.execute(sql)
        return await check(conn)
    finally:
        await tx.rollback()


@pytest.mark.parametrize("case", list(SABOTAGE))
async def test_each_check_catches_its_invariant_broken(admin: asyncpg.Connection, case: str) -> None:
    check, sql = SABOTAGE[case]
    before = await check(admin)  # empty on a clean run; the chaos test says whether it was
    found = await _broken(admin, sql, check)
    assert set(found) - set(before), f"{check.__name__} did not catch: {case}"
    assert await check(admin) == before, "the rollback left the sabotage behind"


def _paid_call(journal: Journal) -> Call:
    return next(c for c in journal.calls if c.op == "pay" and c.first_2xx is not None
                and c.first_2xx.json()["status"] == "TRADE_SUCCESS" and c.duplicate_of is None)


async def test_answer_without_its_effect_is_caught(admin: asyncpg.Connection, played: chaos.Report) -> None:
    call = _paid_call(played.journal)
    trade_id = call.first_2xx.json()["trade_id"]  # type: ignore[union-attr]
    assert await invariants.answers_have_effects(admin, played.journal) == []
    found = await _broken(admin, f"UPDATE gateway.trades SET paid_at = NULL WHERE trade_id = '{trade_id}'",
                          lambda conn: invariants.answers_have_effects(conn, played.journal))
    assert any(trade_id in v for v in found), found


async def test_kept_answer_differing_from_the_clients_is_caught(admin: asyncpg.Connection,
                                                                 played: chaos.Report) -> None:
    call = _paid_call(played.journal)
    assert await invariants.stored_answers_match(admin, played.journal) == []
    found = await _broken(
        admin, f"UPDATE gateway.idempotency_keys SET response_body = 'tampered' WHERE idem_key = '{call.key}'",
        lambda conn: invariants.stored_answers_match(conn, played.journal))
    assert any(call.key in v for v in found), found


def test_retry_with_another_answer_is_caught(played: chaos.Report) -> None:
    call = _paid_call(played.journal)
    first = call.first_2xx
    assert first is not None
    assert invariants.retries_got_first_answer(played.journal) == []
    changed = first.body.replace(b"TRADE_SUCCESS", b"TRADE_CLOSED")
    other = dataclasses.replace(call, answers=[Answer(first.status, changed, first.at + 1)], duplicate_of=call)
    journal = Journal(calls=[*played.journal.calls, other])
    assert any(call.key in v for v in invariants.retries_got_first_answer(journal))
    late_error = dataclasses.replace(other, answers=[Answer(422, b'{"error":{}}', first.at + 2)])
    journal = Journal(calls=[*played.journal.calls, late_error])
    assert any("later 422" in v for v in invariants.retries_got_first_answer(journal))


def test_read_going_back_in_the_state_machine_is_caught() -> None:
    journal = Journal()
    workload = Workload.__new__(Workload)
    workload.journal = journal
    seen = Seen()
    workload._observe(seen, {"trade_id": "trd_x", "status": "TRADE_SUCCESS"}, "payment answer")
    workload._observe(seen, {"trade_id": "trd_x", "status": "TRADE_SUCCESS"}, "trade read")
    assert journal.read_violations == []
    workload._observe(seen, {"trade_id": "trd_x", "status": "WAIT_BUYER_PAY"}, "trade read")
    assert journal.read_violations == ["trade read: trade trd_x went TRADE_SUCCESS -> WAIT_BUYER_PAY"]


async def test_reconciliation_catches_a_duplicate_clearing_entry(chaos_stack: ChaosStack, played: chaos.Report,
                                                                 admin: asyncpg.Connection) -> None:
    """Committed (settlement reads through its own connection), reconciled, then removed and reconciled clean."""
    entry = await admin.fetchrow("SELECT entry_id, business_date FROM settlement.clearing_entries"
                                 " WHERE kind = 'trade' ORDER BY entry_id LIMIT 1")
    await admin.execute(COPY_ROW.format(select=f"SELECT * FROM settlement.clearing_entries"
                                               f" WHERE entry_id = '{entry['entry_id']}'",
                                        key="entry_id", table="settlement.clearing_entries", also=""))
    try:
        report = await reconcile.reconcile_day(chaos_stack, entry["business_date"])
        assert report.duplicates == 1 and reconcile.findings(report) == 1, report
    finally:
        await admin.execute("DELETE FROM settlement.clearing_entries WHERE entry_id LIKE 'sabotage_%'")
    assert reconcile.findings(await reconcile.reconcile_day(chaos_stack, entry["business_date"])) == 0


async def test_a_dead_letter_is_counted(chaos_stack: ChaosStack, played: chaos.Report) -> None:
    assert await chaos.dead_letters(chaos_stack) == 0
    assert chaos_stack.nats is not None
    nc = await nats.connect(chaos_stack.nats.url)
    try:
        ack = await nc.jetstream().publish("dlq.sabotage", b"poison", headers={"Scanpay-Dead-Reason": "sabotage"})
        try:
            assert await chaos.dead_letters(chaos_stack) == 1
        finally:
            await nc.jetstream().delete_msg("DLQ", ack.seq)
    finally:
        await nc.close()
    assert await chaos.dead_letters(chaos_stack) == 0
