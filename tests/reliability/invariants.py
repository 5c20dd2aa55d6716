"""The bank invariants, as functions over the database state that return their violations (empty = holds).

Every check reads the services' schemas through one superuser connection, so a test can break an invariant
inside a transaction it rolls back and see the check catch it (tests/reliability/test_reliability_invariants.py).
Money is integer fen everywhere. Wallet balances are signed, credits - debits; a transfer moves posted money when it
is single phase (type 1) or the post of a hold (type 3) and its state is posted (1). Sources of money are the bank
clearing accounts (top-ups, settlement advances) and the platform marketing pool (campaign budgets).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg

from .client import Answer, Journal

Check = Callable[[asyncpg.Connection], Awaitable[list[str]]]

# Wallet account kinds (protos/scanpay/wallet/v1/wallet.proto) and transfer codes (docs/gateway.md, wallet.md).
CONSUMER_WALLET, RECEIVABLE, PAYABLE, BUDGET, FEE_REVENUE, MALL_COMMISSION, BANK_CLEARING, MARKETING = range(1, 9)
CODE_TOP_UP, CODE_PAYMENT, CODE_SUBSIDY, CODE_REFUND, CODE_SUBSIDY_RETURN = 100, 1001, 1002, 1101, 1102
CODE_BUDGET_FUNDING, CODE_BUDGET_RETURN = 5001, 5002
TOPUP_SUCCEEDED, TOPUP_PENDING = 2, 1
MOVED = "state = 1 AND type IN (1, 3)"


def _rows(rows: list[asyncpg.Record], what: str, limit: int = 20) -> list[str]:
    out = [f"{what}: {dict(r)}" for r in rows[:limit]]
    if len(rows) > limit:
        out.append(f"{what}: ... and {len(rows) - limit} more")
    return out


# --- the ledger ---------------------------------------------------------------------------------------------


async def ledger_balanced(conn: asyncpg.Connection) -> list[str]:
    """Debits == credits: all balances add up to zero, each account's balance is what its transfers say, and
    no account that may not go negative is below zero."""
    out: list[str] = []
    total = await conn.fetchrow(
        "SELECT coalesce(sum(posted), 0) AS posted, coalesce(sum(pending_debits - pending_credits), 0) AS pending "
        "FROM wallet.balances")
    if total["posted"] != 0 or total["pending"] != 0:
        out.append(f"ledger does not balance: sum of posted = {total['posted']}, "
                   f"pending debits - credits = {total['pending']}")
    out += _rows(await conn.fetch(
        f"""
        WITH moved AS (
          SELECT credit_account_id AS account_id, amount FROM wallet.transfers WHERE {MOVED}
          UNION ALL
          SELECT debit_account_id, -amount FROM wallet.transfers WHERE {MOVED}
        ), by_transfers AS (SELECT account_id, sum(amount) AS expected FROM moved GROUP BY account_id),
        by_balances AS (SELECT account_id, sum(posted) AS posted FROM wallet.balances GROUP BY account_id)
        SELECT coalesce(b.account_id, t.account_id) AS account_id, coalesce(b.posted, 0) AS balance,
               coalesce(t.expected, 0) AS transfers_say
        FROM by_balances b FULL JOIN by_transfers t USING (account_id)
        WHERE coalesce(b.posted, 0) <> coalesce(t.expected, 0)
        """), "balance differs from its transfers")
    out += _rows(await conn.fetch(
        """
        SELECT a.id, a.kind, sum(b.posted) AS posted, sum(b.pending_debits) AS held
        FROM wallet.accounts a JOIN wallet.balances b ON b.account_id = a.id
        WHERE NOT a.allow_negative GROUP BY a.id, a.kind HAVING sum(b.posted - b.pending_debits) < 0
        """), "negative balance on an account that may not go negative")
    return out


async def money_conserved(conn: asyncpg.Connection) -> list[str]:
    """Top-ups in (plus the marketing pool and settlement advances) == what is held: wallets, receivables,
    budgets, payouts (merchant payables, and what MarkPayout(PAID) moved to the banks), fees and mall commissions.
    Each top-up is booked once."""
    out: list[str] = []
    f = await money_figures(conn)
    held = sum(f[k] for k in ("wallets", "receivables", "budgets", "payouts", "paid_out", "fees", "commissions"))
    if f["topups_in"] + f["marketing_in"] + f["advanced"] != held:
        out.append(f"money not conserved: top-ups {f['topups_in']} + marketing {f['marketing_in']} + advances "
                   f"{f['advanced']} != held {held} ({f})")
    if f["topups_in"] != f["bank_out"]:
        out.append(f"top-ups booked {f['topups_in']} != what the bank clearing account paid out {f['bank_out']}")
    out += _rows(await conn.fetch(
        f"""
        SELECT t.request_id, t.charged, coalesce(sum(x.amount), 0) AS booked, count(x.id) AS transfers
        FROM wallet.topups t LEFT JOIN wallet.transfers x ON x.reference = t.request_id AND x.code = {CODE_TOP_UP}
        GROUP BY t.request_id, t.charged, t.state
        HAVING count(x.id) <> CASE WHEN t.state = {TOPUP_SUCCEEDED} AND t.charged > 0 THEN 1 ELSE 0 END
            OR (t.state = {TOPUP_SUCCEEDED} AND coalesce(sum(x.amount), 0) <> t.charged)
        """), "top-up booked other than once")
    return out


async def money_figures(conn: asyncpg.Connection) -> dict[str, int]:
    row = await conn.fetchrow(
        f"""
        WITH bal AS (
          SELECT a.kind, a.owner_id, sum(b.posted) AS posted
          FROM wallet.accounts a JOIN wallet.balances b ON b.account_id = a.id GROUP BY a.kind, a.owner_id
        )
        SELECT
          (SELECT coalesce(sum(charged), 0) FROM wallet.topups WHERE state = {TOPUP_SUCCEEDED}) AS topups_in,
          coalesce(-sum(posted) FILTER (WHERE kind = {BANK_CLEARING} AND owner_id = 'simbank'), 0) AS bank_out,
          coalesce(sum(posted) FILTER (WHERE kind = {BANK_CLEARING}
                                       AND owner_id NOT IN ('simbank', 'settlement_carry')), 0) AS paid_out,
          coalesce(-sum(posted) FILTER (WHERE kind = {MARKETING}), 0) AS marketing_in,
          coalesce(-sum(posted) FILTER (WHERE kind = {BANK_CLEARING} AND owner_id = 'settlement_carry'), 0)
            AS advanced,
          coalesce(sum(posted) FILTER (WHERE kind = {CONSUMER_WALLET}), 0) AS wallets,
          coalesce(sum(posted) FILTER (WHERE kind = {RECEIVABLE}), 0) AS receivables,
          coalesce(sum(posted) FILTER (WHERE kind = {BUDGET}), 0) AS budgets,
          coalesce(sum(posted) FILTER (WHERE kind = {PAYABLE}), 0) AS payouts,
          coalesce(sum(posted) FILTER (WHERE kind = {FEE_REVENUE}), 0) AS fees,
          coalesce(sum(posted) FILTER (WHERE kind = {MALL_COMMISSION}), 0) AS commissions
        FROM bal
        """)
    return {k: int(v) for k, v in dict(row).items()}


async def wallets_match_trades(conn: asyncpg.Connection) -> list[str]:
    """The gateway's books and the wallet agree: each consumer wallet holds its top-ups minus what its trades
    paid plus what its refunds gave back; each receivable holds its trades minus refunds minus settlement's
    postings; each campaign budget holds its funding minus the discounts it paid plus the discounts returned."""
    out = _rows(await conn.fetch(
        f"""
        WITH topups AS (
          SELECT account_id, sum(charged) AS amount FROM wallet.topups WHERE state = {TOPUP_SUCCEEDED}
          GROUP BY account_id
        ), paid AS (
          SELECT consumer_id, sum(paid) AS amount FROM gateway.trades WHERE paid_at IS NOT NULL GROUP BY consumer_id
        ), back AS (
          SELECT t.consumer_id, sum(r.paid_part) AS amount FROM gateway.refunds r
          JOIN gateway.trades t USING (trade_id) WHERE r.status = 'SUCCEEDED' GROUP BY t.consumer_id
        ), bal AS (SELECT account_id, sum(posted) AS posted FROM wallet.balances GROUP BY account_id)
        SELECT c.consumer_id, coalesce(bal.posted, 0) AS balance,
               coalesce(topups.amount, 0) - coalesce(paid.amount, 0) + coalesce(back.amount, 0) AS expected
        FROM gateway.consumers c
        LEFT JOIN bal ON bal.account_id = c.wallet_account_id
        LEFT JOIN topups ON topups.account_id = c.wallet_account_id
        LEFT JOIN paid ON paid.consumer_id = c.consumer_id
        LEFT JOIN back ON back.consumer_id = c.consumer_id
        WHERE coalesce(bal.posted, 0)
              <> coalesce(topups.amount, 0) - coalesce(paid.amount, 0) + coalesce(back.amount, 0)
        """), "consumer wallet differs from its top-ups and trades")
    out += _rows(await conn.fetch(
        f"""
        WITH rec AS (SELECT id, owner_id FROM wallet.accounts WHERE kind = {RECEIVABLE}),
        bal AS (SELECT account_id, sum(posted) AS posted FROM wallet.balances GROUP BY account_id),
        sales AS (
          SELECT merchant_id, sum(amount) AS amount FROM gateway.trades WHERE paid_at IS NOT NULL GROUP BY merchant_id
        ), refunds AS (
          SELECT t.merchant_id, sum(r.amount) AS amount FROM gateway.refunds r JOIN gateway.trades t USING (trade_id)
          WHERE r.status = 'SUCCEEDED' GROUP BY t.merchant_id
        ), settled AS (
          SELECT rec.id, sum(CASE WHEN x.credit_account_id = rec.id THEN x.amount ELSE -x.amount END) AS amount
          FROM rec JOIN wallet.transfers x ON (x.debit_account_id = rec.id OR x.credit_account_id = rec.id)
          WHERE x.state = 1 AND x.type IN (1, 3) AND x.batch_id LIKE 'stl\\_%' GROUP BY rec.id
        )
        SELECT rec.owner_id AS merchant_id, coalesce(bal.posted, 0) AS balance,
               coalesce(sales.amount, 0) - coalesce(refunds.amount, 0) + coalesce(settled.amount, 0) AS expected
        FROM rec LEFT JOIN bal ON bal.account_id = rec.id LEFT JOIN sales ON sales.merchant_id = rec.owner_id
        LEFT JOIN refunds ON refunds.merchant_id = rec.owner_id LEFT JOIN settled ON settled.id = rec.id
        WHERE coalesce(bal.posted, 0)
              <> coalesce(sales.amount, 0) - coalesce(refunds.amount, 0) + coalesce(settled.amount, 0)
        """), "merchant receivable differs from its trades and refunds")
    out += _rows(await conn.fetch(
        f"""
        WITH budget AS (SELECT id, owner_id FROM wallet.accounts WHERE kind = {BUDGET}),
        bal AS (SELECT account_id, sum(posted) AS posted FROM wallet.balances GROUP BY account_id),
        pool AS (
          SELECT budget.id,
                 coalesce(sum(x.amount) FILTER (WHERE x.code = {CODE_BUDGET_FUNDING}
                                                  AND x.credit_account_id = budget.id), 0)
                 - coalesce(sum(x.amount) FILTER (WHERE x.code = {CODE_BUDGET_RETURN}
                                                    AND x.debit_account_id = budget.id), 0)
                 AS net_funding
          FROM budget LEFT JOIN wallet.transfers x
            ON (x.credit_account_id = budget.id OR x.debit_account_id = budget.id) AND x.state = 1 AND x.type IN (1, 3)
          GROUP BY budget.id
        ), spent AS (
          SELECT budget_account, sum(discount) AS amount FROM gateway.trades
          WHERE paid_at IS NOT NULL AND discount > 0 GROUP BY budget_account
        ), returned AS (
          SELECT t.budget_account, sum(r.discount_part) AS amount FROM gateway.refunds r
          JOIN gateway.trades t USING (trade_id) WHERE r.status = 'SUCCEEDED' GROUP BY t.budget_account
        )
        SELECT budget.owner_id AS campaign_id, coalesce(bal.posted, 0) AS balance,
               pool.net_funding - coalesce(spent.amount, 0) + coalesce(returned.amount, 0) AS expected
        FROM budget JOIN pool USING (id) LEFT JOIN bal ON bal.account_id = budget.id
        LEFT JOIN spent ON spent.budget_account = budget.id LEFT JOIN returned ON returned.budget_account = budget.id
        WHERE coalesce(bal.posted, 0) <> pool.net_funding - coalesce(spent.amount, 0) + coalesce(returned.amount, 0)
        """), "campaign budget differs from its funding and discounts")
    return out


# --- trades, refunds and clearing ------------------------------------------------------------------------------


async def paid_once(conn: asyncpg.Connection) -> list[str]:
    """Every paid trade (TRADE_SUCCESS, or closed after being refunded in full) has exactly one wallet batch whose
    legs are its paid part and its discount, and exactly one clearing entry for its amount; no payment legs or
    clearing entries exist for a trade that was not paid."""
    out = _rows(await conn.fetch(
        f"""
        WITH legs AS (
          SELECT batch_id, count(*) AS n,
                 coalesce(sum(amount) FILTER (WHERE code = {CODE_PAYMENT}), 0) AS paid,
                 coalesce(sum(amount) FILTER (WHERE code = {CODE_SUBSIDY}), 0) AS discount
          FROM wallet.transfers WHERE code IN ({CODE_PAYMENT}, {CODE_SUBSIDY}) GROUP BY batch_id
        )
        SELECT t.trade_id, t.status, t.amount, t.paid, t.discount, legs.n AS legs, legs.paid AS legs_paid,
               legs.discount AS legs_discount
        FROM gateway.trades t LEFT JOIN legs ON legs.batch_id = t.trade_id
        WHERE t.paid_at IS NOT NULL
          AND (legs.batch_id IS NULL OR legs.paid <> t.paid OR legs.discount <> t.discount
               OR t.paid + t.discount <> t.amount)
        """), "paid trade without exactly its wallet batch")
    out += _rows(await conn.fetch(
        f"""
        SELECT x.batch_id, x.reference, x.id FROM wallet.transfers x
        LEFT JOIN gateway.trades t ON t.trade_id = x.batch_id
        WHERE x.code IN ({CODE_PAYMENT}, {CODE_SUBSIDY})
          AND (t.trade_id IS NULL OR t.paid_at IS NULL OR x.reference <> x.batch_id)
        """), "payment legs outside the paid trade's own batch")
    out += _rows(await conn.fetch(
        """
        SELECT t.trade_id, t.amount, count(c.entry_id) AS entries, coalesce(sum(c.gross), 0) AS gross
        FROM gateway.trades t
        LEFT JOIN settlement.clearing_entries c ON c.kind = 'trade' AND c.trade_id = t.trade_id
        WHERE t.paid_at IS NOT NULL GROUP BY t.trade_id, t.amount
        HAVING count(c.entry_id) <> 1 OR coalesce(sum(c.gross), 0) <> t.amount
        """), "paid trade without exactly one clearing entry")
    out += _rows(await conn.fetch(
        """
        SELECT c.entry_id, c.trade_id FROM settlement.clearing_entries c
        LEFT JOIN gateway.trades t ON t.trade_id = c.trade_id
        WHERE c.kind = 'trade' AND (t.trade_id IS NULL OR t.paid_at IS NULL)
        """), "clearing entry of a trade that was not paid")
    return out


async def refunds_once(conn: asyncpg.Connection) -> list[str]:
    """Each succeeded refund has one wallet batch (its paid part and discount part) and one clearing entry;
    a failed refund moved nothing; a trade's refunded amount is the sum of its succeeded refunds."""
    out = _rows(await conn.fetch(
        f"""
        WITH legs AS (
          SELECT batch_id, coalesce(sum(amount) FILTER (WHERE code = {CODE_REFUND}), 0) AS paid_part,
                 coalesce(sum(amount) FILTER (WHERE code = {CODE_SUBSIDY_RETURN}), 0) AS discount_part
          FROM wallet.transfers WHERE code IN ({CODE_REFUND}, {CODE_SUBSIDY_RETURN}) GROUP BY batch_id
        ), cleared AS (
          SELECT refund_id, count(*) AS n, sum(gross) AS gross FROM settlement.clearing_entries
          WHERE kind = 'refund' GROUP BY refund_id
        )
        SELECT r.refund_id, r.status, r.amount, r.paid_part, r.discount_part, legs.paid_part AS legs_paid,
               legs.discount_part AS legs_discount, cleared.n AS entries, cleared.gross
        FROM gateway.refunds r LEFT JOIN legs ON legs.batch_id = r.refund_id
        LEFT JOIN cleared ON cleared.refund_id = r.refund_id
        WHERE (r.status = 'SUCCEEDED' AND (legs.batch_id IS NULL OR legs.paid_part <> r.paid_part
                                           OR legs.discount_part <> r.discount_part
                                           OR cleared.n IS DISTINCT FROM 1 OR cleared.gross <> r.amount))
           OR (r.status = 'FAILED' AND (legs.batch_id IS NOT NULL OR cleared.n IS NOT NULL))
        """), "refund without exactly its wallet batch and clearing entry")
    out += _rows(await conn.fetch(
        f"""
        SELECT x.batch_id, x.id FROM wallet.transfers x LEFT JOIN gateway.refunds r ON r.refund_id = x.batch_id
        WHERE x.code IN ({CODE_REFUND}, {CODE_SUBSIDY_RETURN}) AND (r.refund_id IS NULL OR r.status <> 'SUCCEEDED')
        """), "refund legs of no succeeded refund")
    out += _rows(await conn.fetch(
        """
        SELECT t.trade_id, t.refunded, coalesce(sum(r.amount) FILTER (WHERE r.status = 'SUCCEEDED'), 0) AS succeeded
        FROM gateway.trades t LEFT JOIN gateway.refunds r USING (trade_id) GROUP BY t.trade_id, t.refunded
        HAVING t.refunded <> coalesce(sum(r.amount) FILTER (WHERE r.status = 'SUCCEEDED'), 0)
        """), "trade's refunded amount differs from its succeeded refunds")
    return out


async def closed_trades_settled(conn: asyncpg.Connection) -> list[str]:
    """A closed trade moved no money (never paid: no wallet legs, no clearing, coupon not redeemed) or was fully
    reversed (paid, then refunded in full)."""
    out = _rows(await conn.fetch(
        """
        SELECT t.trade_id, t.close_reason, count(x.id) AS legs, count(c.entry_id) AS entries
        FROM gateway.trades t
        LEFT JOIN wallet.transfers x ON x.batch_id = t.trade_id
        LEFT JOIN settlement.clearing_entries c ON c.trade_id = t.trade_id
        WHERE t.status = 'TRADE_CLOSED' AND t.paid_at IS NULL
        GROUP BY t.trade_id, t.close_reason HAVING count(x.id) > 0 OR count(c.entry_id) > 0
        """), "unpaid closed trade moved money")
    out += _rows(await conn.fetch(
        """
        SELECT t.trade_id, t.amount, t.refunded FROM gateway.trades t
        WHERE t.status = 'TRADE_CLOSED' AND t.paid_at IS NOT NULL AND t.refunded <> t.amount
        """), "paid trade closed without being refunded in full")
    out += _rows(await conn.fetch(
        """
        SELECT t.trade_id, r.status FROM gateway.trades t JOIN promotions.reservations r USING (trade_id)
        WHERE t.status = 'TRADE_CLOSED' AND t.paid_at IS NULL AND r.status <> 'RELEASED'
        """), "unpaid closed trade kept its coupon")
    return out


async def nothing_left_mid_way(conn: asyncpg.Connection) -> list[str]:
    """No trade is left unpaid past its expiry or with its saga mid-way; no refund, top-up or coupon hold is left
    pending past its time."""
    out = _rows(await conn.fetch(
        """
        SELECT trade_id, status, step, expires_at FROM gateway.trades
        WHERE (status = 'WAIT_BUYER_PAY' AND expires_at < now() - interval '30 seconds')
           OR step IN ('COUPON_RESERVED', 'FUNDS_POSTED')
           OR (step = 'CREATED' AND consumer_id IS NOT NULL AND status = 'WAIT_BUYER_PAY'
               AND updated_at < now() - interval '60 seconds')
           OR (status = 'TRADE_SUCCESS' AND step <> 'DONE')
        """), "trade left non-terminal")
    out += _rows(await conn.fetch(
        "SELECT refund_id, status, updated_at FROM gateway.refunds WHERE status IN ('PENDING', 'FUNDS_RETURNED')"),
        "refund left mid-way")
    out += _rows(await conn.fetch(
        f"SELECT request_id, updated_at FROM wallet.topups WHERE state = {TOPUP_PENDING}"
        " AND updated_at < now() - interval '60 seconds'"), "top-up left pending")
    out += _rows(await conn.fetch(
        "SELECT trade_id, coupon_id, expires_at FROM promotions.reservations"
        " WHERE status = 'RESERVED' AND expires_at < now() - interval '60 seconds'"),
        "coupon hold left past its expiry")
    return out


# --- coupons and campaigns -------------------------------------------------------------------------------------


async def coupons_consistent(conn: asyncpg.Connection) -> list[str]:
    """No coupon is both redeemed and released: a redeemed coupon has exactly one confirmed hold, for the trade it
    names; a confirmed hold is a paid trade with that coupon and discount; a released hold's trade took no discount
    from it."""
    out = _rows(await conn.fetch(
        """
        SELECT c.id, c.status, c.trade_id, count(r.trade_id) FILTER (WHERE r.status = 'CONFIRMED') AS confirmed,
               bool_or(r.status = 'CONFIRMED' AND r.trade_id = c.trade_id) AS names_it
        FROM promotions.coupons c LEFT JOIN promotions.reservations r ON r.coupon_id = c.id
        GROUP BY c.id, c.status, c.trade_id
        HAVING (c.status = 'REDEEMED' AND (count(r.trade_id) FILTER (WHERE r.status = 'CONFIRMED') <> 1
                                           OR NOT coalesce(bool_or(r.status = 'CONFIRMED' AND r.trade_id = c.trade_id),
                                                           false)))
            OR (c.status <> 'REDEEMED' AND count(r.trade_id) FILTER (WHERE r.status = 'CONFIRMED') > 0)
        """), "coupon redeemed other than once")
    out += _rows(await conn.fetch(
        """
        SELECT r.trade_id, r.coupon_id, r.status, r.discount, t.status AS trade_status, t.coupon_id AS trade_coupon,
               t.discount AS trade_discount
        FROM promotions.reservations r LEFT JOIN gateway.trades t USING (trade_id)
        WHERE (r.status = 'CONFIRMED' AND (t.paid_at IS NULL OR t.coupon_id <> r.coupon_id OR t.discount <> r.discount))
           OR (r.status = 'RELEASED' AND t.paid_at IS NOT NULL AND t.coupon_id = r.coupon_id AND t.discount > 0)
        """), "coupon hold disagrees with its trade")
    out += _rows(await conn.fetch(
        """
        SELECT t.trade_id, t.coupon_id, t.discount, r.status FROM gateway.trades t
        LEFT JOIN promotions.reservations r USING (trade_id)
        WHERE t.paid_at IS NOT NULL AND t.coupon_id <> '' AND r.status IS DISTINCT FROM 'CONFIRMED'
        """), "paid trade's coupon not redeemed")
    return out


async def campaigns_within_budget(conn: asyncpg.Connection) -> list[str]:
    """No campaign issued over its budget or envelope count, nor beyond its per-consumer limit; the discounts it
    paid for (net of refunds) stay within its budget."""
    out = _rows(await conn.fetch(
        """
        SELECT k.id, k.budget, k.count, coalesce(sum(c.value), 0) AS issued, count(c.id) AS coupons,
               (SELECT count(*) FROM promotions.envelopes e WHERE e.campaign_id = k.id AND e.state = 'CLAIMED')
                 AS claimed
        FROM promotions.campaigns k LEFT JOIN promotions.coupons c ON c.campaign_id = k.id
        GROUP BY k.id, k.budget, k.count
        HAVING coalesce(sum(c.value), 0) > k.budget OR count(c.id) > k.count
            OR count(c.id) <> (SELECT count(*) FROM promotions.envelopes e
                               WHERE e.campaign_id = k.id AND e.state = 'CLAIMED')
        """), "campaign issued over its budget")
    out += _rows(await conn.fetch(
        """
        SELECT c.campaign_id, c.consumer_id, count(*) AS coupons, k.per_consumer_limit
        FROM promotions.coupons c JOIN promotions.campaigns k ON k.id = c.campaign_id
        GROUP BY c.campaign_id, c.consumer_id, k.per_consumer_limit HAVING count(*) > k.per_consumer_limit
        """), "consumer got more envelopes than the limit")
    out += _rows(await conn.fetch(
        """
        WITH spent AS (
          SELECT t.campaign_id, sum(t.discount) AS discount FROM gateway.trades t
          WHERE t.paid_at IS NOT NULL AND t.discount > 0 GROUP BY t.campaign_id
        ), back AS (
          SELECT t.campaign_id, sum(r.discount_part) AS discount FROM gateway.refunds r
          JOIN gateway.trades t USING (trade_id) WHERE r.status = 'SUCCEEDED' GROUP BY t.campaign_id
        )
        SELECT k.id, k.budget, spent.discount AS spent, coalesce(back.discount, 0) AS returned
        FROM promotions.campaigns k JOIN spent ON spent.campaign_id = k.id LEFT JOIN back ON back.campaign_id = k.id
        WHERE spent.discount - coalesce(back.discount, 0) > k.budget
        """), "campaign paid more discount than its budget")
    return out


# --- events -------------------------------------------------------------------------------------------------


async def events_delivered(conn: asyncpg.Connection) -> list[str]:
    """Every outbox is drained, and settlement consumed each gateway trade and refund event exactly once
    (inbox row committed with its effect)."""
    out: list[str] = []
    for schema in ("gateway", "wallet", "promotions", "merchant", "settlement"):
        left = await conn.fetchval(f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL")
        if left:
            out.append(f"{schema} outbox has {left} unpublished events")
    out += _rows(await conn.fetch(
        """
        SELECT o.event_id, o.subject FROM gateway.outbox o
        WHERE o.subject IN ('gateway.trade.succeeded', 'gateway.refund.succeeded', 'gateway.trade.closed')
          AND NOT EXISTS (SELECT 1 FROM settlement.inbox i WHERE i.event_id = o.event_id)
        """), "gateway event settlement never consumed")
    return out


CHECKS: dict[str, Check] = {
    "ledger balanced (debits == credits)": ledger_balanced,
    "money conserved (top-ups in == held)": money_conserved,
    "wallets match the gateway's trades": wallets_match_trades,
    "every paid trade: one wallet batch, one clearing entry": paid_once,
    "every refund: one wallet batch, one clearing entry": refunds_once,
    "closed trades moved no money or were fully reversed": closed_trades_settled,
    "nothing left non-terminal past its timeout": nothing_left_mid_way,
    "no coupon both redeemed and released": coupons_consistent,
    "no campaign over its budget": campaigns_within_budget,
    "events drained and consumed once": events_delivered,
}


# --- what the clients saw --------------------------------------------------------------------------------------


def _consumer_of(scope: str) -> str:
    return scope.partition(":")[2]


async def answers_have_effects(conn: asyncpg.Connection, journal: Journal) -> list[str]:
    """Every request that got a 2xx has its effect in the database, as the answer described it."""
    out: list[str] = []
    trades = {r["trade_id"]: r for r in await conn.fetch(
        "SELECT trade_id, status, paid_at, merchant_id, out_trade_no, amount FROM gateway.trades")}
    refunds = {r["refund_id"]: r["status"] for r in await conn.fetch("SELECT refund_id, status FROM gateway.refunds")}
    topups = {r["request_id"]: r["state"] for r in await conn.fetch("SELECT request_id, state FROM wallet.topups")}
    coupons = {r["id"]: r["consumer_id"] for r in await conn.fetch("SELECT id, consumer_id FROM promotions.coupons")}
    codes = {r["code"] for r in await conn.fetch("SELECT code FROM gateway.payment_codes")}
    for call in journal.calls:
        answer = call.first_2xx
        if answer is None:
            continue
        body = answer.json()
        where = f"{call.op} {call.path} key {call.key}"
        if call.op == "top_up":
            state = topups.get(f"{_consumer_of(call.scope)}:{call.key}")
            expected = {"SUCCEEDED": 2, "FAILED": 3}.get(body["state"])
            if state is None or (expected is not None and state != expected):
                out.append(f"{where}: answered {body['state']}, the wallet has {state}")
        elif call.op == "grab" and body["status"] == "GRANTED":
            if coupons.get(body["coupon"]["coupon_id"]) != _consumer_of(call.scope):
                out.append(f"{where}: coupon {body['coupon']['coupon_id']} granted but not held by the consumer")
        elif call.op in ("pay", "pay_code", "precreate", "cancel", "close"):
            trade = trades.get(body["trade_id"])
            if trade is None:
                out.append(f"{where}: answered trade {body['trade_id']}, which does not exist")
            elif body.get("status") == "TRADE_SUCCESS" and trade["paid_at"] is None:
                out.append(f"{where}: answered {body['trade_id']} TRADE_SUCCESS, it is {trade['status']} and unpaid")
            elif body.get("status") == "TRADE_CLOSED" and trade["status"] != "TRADE_CLOSED":
                out.append(f"{where}: answered {body['trade_id']} TRADE_CLOSED, it is {trade['status']}")
        elif call.op == "refund":
            refund = body.get("refund", body)
            status = refunds.get(refund["refund_id"])
            if status is None or (refund.get("status") == "SUCCEEDED" and status != "SUCCEEDED"):
                out.append(f"{where}: answered refund {refund['refund_id']} {refund.get('status')}, db has {status}")
        elif call.op == "payment_code" and body["payment_code"] not in codes:
            out.append(f"{where}: payment code answered but not stored")
    return out


def retries_got_first_answer(journal: Journal) -> list[str]:
    """Every retry or re-send of an idempotency key after its first 2xx got that same answer, byte for byte."""
    out: list[str] = []
    first: dict[tuple[str, str], Answer] = {}
    for call in journal.calls:
        for answer in call.answers:
            if not (200 <= answer.status < 300):
                continue
            ident = (call.scope, call.key)
            earlier = first.setdefault(ident, answer)
            if (earlier.status, earlier.body) != (answer.status, answer.body):
                out.append(f"{call.op} key {call.key}: first {earlier.status} {earlier.body[:160]!r}, "
                           f"later {answer.status} {answer.body[:160]!r}")
    for call in journal.calls:
        earlier = first.get((call.scope, call.key))
        if earlier is None:
            continue
        for answer in call.answers:
            if answer.at > earlier.at and 400 <= answer.status < 500 and answer.status not in (409, 429):
                out.append(f"{call.op} key {call.key}: answered {earlier.status} first, later {answer.status} "
                           f"{answer.body[:160]!r}")
    return out


async def stored_answers_match(conn: asyncpg.Connection, journal: Journal) -> list[str]:
    """The answer the gateway keeps for each key is the first 2xx its client got."""
    stored = {(r["scope"], r["idem_key"]): (r["response_status"], bytes(r["response_body"] or b""))
              for r in await conn.fetch(
                  "SELECT scope, idem_key, response_status, response_body FROM gateway.idempotency_keys")}
    out: list[str] = []
    for call in journal.calls:
        answer = call.first_2xx
        if call.method != "POST" or answer is None or call.duplicate_of is not None:
            continue
        kept = stored.get((call.scope, call.key))
        if kept is None or kept != (answer.status, answer.body):
            out.append(f"{call.op} key {call.key}: client got {answer.status}, gateway keeps {kept and kept[0]}")
    return out


@dataclass
class Outcome:
    checked: int
    violations: dict[str, list[str]]

    @property
    def ok(self) -> bool:
        return not any(self.violations.values())


async def check_all(conn: asyncpg.Connection, journal: Journal | None = None) -> Outcome:
    violations: dict[str, list[str]] = {}
    for name, check in CHECKS.items():
        violations[name] = await check(conn)
    if journal is not None:
        violations["every 2xx has its effect"] = await answers_have_effects(conn, journal)
        violations["every retry got the first answer"] = retries_got_first_answer(journal)
        violations["the kept answer is the one the client got"] = await stored_answers_match(conn, journal)
        violations["reads never went back"] = list(journal.read_violations)
    return Outcome(len(violations), violations)
