"""SQL of the promotions schema. Each function runs on the connection it is given, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from .domain import CampaignDraft

# Campaign columns plus the figures derived from envelopes, reservations and refunds.
CAMPAIGN_SELECT = """
SELECT c.*,
       (SELECT count(*) FROM envelopes e WHERE e.campaign_id = c.id AND e.state = 'CLAIMED')::int AS issued_count,
       (SELECT coalesce(sum(e.amount), 0) FROM envelopes e
         WHERE e.campaign_id = c.id AND e.state = 'CLAIMED')::bigint AS issued_amount,
       (SELECT coalesce(sum(r.discount), 0) FROM reservations r
         WHERE r.campaign_id = c.id AND r.status = 'CONFIRMED')::bigint AS redeemed_amount,
       (SELECT coalesce(sum(d.discount_returned), 0) FROM discount_returns d
         WHERE d.campaign_id = c.id)::bigint AS refunded_discount
FROM campaigns c
"""

# A coupon (with the sub-budget account it draws on) and the campaign terms that decide where and how much
# it takes off.
COUPON_SELECT = """
SELECT k.*, c.name AS campaign_name, c.discount_kind, c.percent_off, c.min_spend, c.target_kind,
       c.target_mall_id, c.target_merchant_ids, c.target_mccs
FROM coupons k JOIN campaigns c ON c.id = k.campaign_id
"""


# --- campaigns ----------------------------------------------------------------------------------------


async def insert_campaign(
    conn: asyncpg.Connection, campaign_id: str, request_id: str, request_hash: str, draft: CampaignDraft,
    amounts: Sequence[int], sub_budgets: Sequence[tuple[str, int]],
) -> bool:
    """Insert a FUNDING campaign, its envelopes and its sub-budgets ((wallet owner id, amount) each, in order
    of k); False when the request id was already used."""
    created = await conn.fetchval(
        """
        INSERT INTO campaigns (
          id, request_id, request_hash, name, status, currency, budget, count, split, min_amount, max_amount,
          seed, starts_at, ends_at, per_consumer_limit, target_kind, target_mall_id, target_merchant_ids,
          target_mccs, discount_kind, percent_off, min_spend, validity_days, sub_budgets)
        VALUES ($1, $2, $3, $4, 'FUNDING', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                $19, $20, $21, $22, $23)
        ON CONFLICT (request_id) DO NOTHING
        RETURNING true
        """,
        campaign_id, request_id, request_hash, draft.name, draft.currency, draft.budget, draft.count,
        draft.split.value, draft.min_amount, draft.max_amount, draft.seed, draft.starts_at, draft.ends_at,
        draft.per_consumer_limit, draft.targeting.kind.value, draft.targeting.mall_id,
        list(draft.targeting.merchant_ids), list(draft.targeting.mccs), draft.discount_kind.value,
        draft.percent_off, draft.min_spend, draft.validity_days, len(sub_budgets),
    )
    if not created:
        return False
    await conn.execute(
        """
        WITH envelopes AS (
          INSERT INTO envelopes (campaign_id, seq, amount)
          SELECT $1, seq::int, amount FROM unnest($2::bigint[]) WITH ORDINALITY AS s(amount, seq)
        )
        INSERT INTO budget_accounts (campaign_id, k, owner_id, funded_amount)
        SELECT $1, (k - 1)::int, owner_id, amount
        FROM unnest($3::text[], $4::bigint[]) WITH ORDINALITY AS b(owner_id, amount, k)
        """,
        campaign_id, list(amounts), [owner for owner, _ in sub_budgets], [amount for _, amount in sub_budgets],
    )
    return True


async def campaign_by_request(conn: asyncpg.Connection, request_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(CAMPAIGN_SELECT + " WHERE c.request_id = $1", request_id)


async def get_campaign(conn: asyncpg.Connection, campaign_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(CAMPAIGN_SELECT + " WHERE c.id = $1", campaign_id)


async def lock_campaign(conn: asyncpg.Connection, campaign_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM campaigns WHERE id = $1 FOR UPDATE", campaign_id)


async def budget_accounts(conn: asyncpg.Connection, campaign_id: str) -> list[asyncpg.Record]:
    """The campaign's sub-budgets in order of k."""
    return await conn.fetch("SELECT * FROM budget_accounts WHERE campaign_id = $1 ORDER BY k", campaign_id)


async def mark_funded(conn: asyncpg.Connection, campaign_id: str, account_ids: Sequence[str]) -> None:
    """Record the opened account of every sub-budget (k in order) and activate the campaign; the campaign's own
    budget_account_id is sub-budget 0's."""
    await conn.execute(
        """
        WITH accounts AS (
          UPDATE budget_accounts b SET account_id = a.account_id
          FROM unnest($2::text[]) WITH ORDINALITY AS a(account_id, k)
          WHERE b.campaign_id = $1 AND b.k = a.k - 1
        )
        UPDATE campaigns SET status = 'ACTIVE', budget_account_id = $2[1], funded_at = now()
        WHERE id = $1 AND status = 'FUNDING'
        """,
        campaign_id, list(account_ids),
    )


async def list_active_campaigns(
    conn: asyncpg.Connection, mall_id: str, merchant_id: str, mcc: str, after_id: str, limit: int
) -> list[asyncpg.Record]:
    """Funded campaigns whose window has not closed and that apply to the place given (all when none)."""
    return await conn.fetch(
        CAMPAIGN_SELECT
        + """
        WHERE c.status IN ('ACTIVE', 'EXHAUSTED') AND c.ends_at > now() AND c.id > $4
          AND (($1 = '' AND $2 = '' AND $3 = '')
               OR c.target_kind = 'EVERYONE'
               OR (c.target_kind = 'MALL' AND $1 <> '' AND c.target_mall_id = $1)
               OR (c.target_kind = 'MERCHANTS' AND $2 = ANY (c.target_merchant_ids))
               OR (c.target_kind = 'MCC' AND $3 = ANY (c.target_mccs)))
        ORDER BY c.id LIMIT $5
        """,
        mall_id, merchant_id, mcc, after_id, limit,
    )


async def withdraw_envelopes(conn: asyncpg.Connection, campaign_id: str) -> int:
    """Take every unclaimed envelope out of reach of grabs; returns how many."""
    result = await conn.execute(
        "UPDATE envelopes SET state = 'WITHDRAWN' WHERE campaign_id = $1 AND state = 'AVAILABLE'", campaign_id
    )
    return int(result.split()[-1])


async def outstanding_by_account(conn: asyncpg.Connection, campaign_id: str) -> dict[str, int]:
    """What each sub-budget still owes: the value of its coupons that can still be spent."""
    rows = await conn.fetch(
        """
        SELECT budget_account_id, sum(value)::bigint AS owed FROM coupons
        WHERE campaign_id = $1 AND (status = 'RESERVED' OR (status = 'ISSUED' AND expires_at > now()))
        GROUP BY budget_account_id
        """,
        campaign_id,
    )
    return {r["budget_account_id"]: r["owed"] for r in rows}


async def mark_ended(
    conn: asyncpg.Connection, campaign_id: str, reason: str, returned: Sequence[int]
) -> datetime:
    """End the campaign, fixing what each sub-budget (k in order) gives back and their total."""
    return await conn.fetchval(
        """
        WITH parts AS (
          UPDATE budget_accounts b SET returned_amount = r.amount
          FROM unnest($3::bigint[]) WITH ORDINALITY AS r(amount, k)
          WHERE b.campaign_id = $1 AND b.k = r.k - 1
        )
        UPDATE campaigns SET status = 'ENDED', ended_at = now(), end_reason = $2,
               returned_amount = (SELECT coalesce(sum(a), 0) FROM unnest($3::bigint[]) AS a),
               return_posted_at = CASE WHEN (SELECT coalesce(sum(a), 0) FROM unnest($3::bigint[]) AS a) = 0
                                       THEN now() END
        WHERE id = $1 RETURNING ended_at
        """,
        campaign_id, reason, list(returned),
    )


async def mark_return_posted(conn: asyncpg.Connection, campaign_id: str) -> None:
    await conn.execute(
        "UPDATE campaigns SET return_posted_at = now() WHERE id = $1 AND return_posted_at IS NULL", campaign_id
    )


async def campaigns_needing_money(conn: asyncpg.Connection, older_than_seconds: float) -> list[asyncpg.Record]:
    """FUNDING campaigns whose creation was interrupted, and ended ones whose return is not yet posted."""
    return await conn.fetch(
        """
        SELECT * FROM campaigns
        WHERE (status = 'FUNDING' OR (status = 'ENDED' AND return_posted_at IS NULL))
          AND created_at < now() - make_interval(secs => $1)
        ORDER BY created_at LIMIT 50
        """,
        older_than_seconds,
    )


async def campaigns_to_settle(conn: asyncpg.Connection) -> list[str]:
    """Ended campaigns whose return is posted and that no coupon can draw on any more."""
    rows = await conn.fetch(
        """
        SELECT c.id FROM campaigns c
        WHERE c.status = 'ENDED' AND c.settled_at IS NULL AND c.return_posted_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM coupons k WHERE k.campaign_id = c.id AND k.status IN ('ISSUED', 'RESERVED'))
        ORDER BY c.ended_at LIMIT 50
        """
    )
    return [r["id"] for r in rows]


async def fix_settled_amounts(conn: asyncpg.Connection, campaign_id: str, amounts: Sequence[int]) -> None:
    """Fix what each sub-budget (k in order) gives back at settlement, and their total, once."""
    await conn.execute(
        """
        WITH parts AS (
          UPDATE budget_accounts b SET settled_amount = s.amount
          FROM unnest($2::bigint[]) WITH ORDINALITY AS s(amount, k)
          WHERE b.campaign_id = $1 AND b.k = s.k - 1 AND b.settled_amount IS NULL
        )
        UPDATE campaigns SET settled_amount = (SELECT coalesce(sum(a), 0) FROM unnest($2::bigint[]) AS a)
        WHERE id = $1 AND settled_amount IS NULL
        """,
        campaign_id, list(amounts),
    )


async def mark_settled(conn: asyncpg.Connection, campaign_id: str) -> None:
    await conn.execute("UPDATE campaigns SET settled_at = now() WHERE id = $1 AND settled_at IS NULL", campaign_id)


async def campaigns_past_window(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        """
        SELECT id FROM campaigns WHERE status IN ('ACTIVE', 'EXHAUSTED') AND ends_at <= now()
        ORDER BY ends_at LIMIT 50
        """
    )
    return [r["id"] for r in rows]


async def mark_exhausted(conn: asyncpg.Connection, campaign_id: str | None = None) -> list[asyncpg.Record]:
    """ACTIVE campaigns with no envelope left become EXHAUSTED (once); returns them with their totals."""
    return await conn.fetch(
        """
        WITH done AS (
          SELECT c.id FROM campaigns c
          WHERE c.status = 'ACTIVE' AND ($1::text IS NULL OR c.id = $1)
            AND NOT EXISTS (SELECT 1 FROM envelopes e WHERE e.campaign_id = c.id AND e.state = 'AVAILABLE')
          LIMIT 50
          FOR UPDATE SKIP LOCKED
        )
        UPDATE campaigns c SET status = 'EXHAUSTED', exhausted_at = now()
        FROM done WHERE c.id = done.id
        RETURNING c.id, c.currency, c.exhausted_at, c.count AS issued_count, c.budget AS issued_amount
        """,
        campaign_id,
    )


# --- grabs --------------------------------------------------------------------------------------------

# The immutable terms of a campaign that every grab answer repeats; grabs cache them per process.
CAMPAIGN_TERMS_SQL = """
SELECT id, name, currency, count, starts_at, ends_at, discount_kind, percent_off, min_spend, target_kind,
       target_mall_id, target_merchant_ids, target_mccs
FROM campaigns WHERE id = $1
"""

# Several grabs of one campaign in one statement (group commit), each for a different consumer; the caller
# writes their coupon.issued events in the same transaction. Per request, in order:
# 1. replay check: the coupon of this (campaign, consumer, request id), if any;
# 2. the status and window of the campaign (by the database's clock);
# 3. the claim of as many AVAILABLE envelopes as there are open requests that nobody else holds
#    (SKIP LOCKED: concurrent batches never wait for each other's envelopes);
# 4. for as many requests as envelopes were found, the per-consumer counter: `INSERT ... ON CONFLICT DO UPDATE
#    ... WHERE grabbed < limit`; its row lock serialises one consumer's grabs and its WHERE sees the latest
#    committed count. Counter rows are taken in consumer order, so concurrent batches cannot deadlock;
# 5. each counted request gets one of the claimed envelopes (rows claimed but not needed stay AVAILABLE)
#    and its coupon, which names the envelope's sub-budget account.
# Requests left without an envelope (`tried` false) are retried by the caller, so the counter only ever counts
# coupons and never has to be rolled back.
GRAB_BATCH_SQL = """
WITH req AS (
  SELECT r.consumer_id, r.request_id, r.coupon_id, r.i
  FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS r(consumer_id, request_id, coupon_id, i)
),
camp AS (
  SELECT c.status, c.starts_at, c.ends_at, c.per_consumer_limit, c.validity_days, c.currency, c.sub_budgets,
         now() AS at
  FROM campaigns c WHERE c.id = $1
),
existing AS (
  SELECT r.i, k.id, k.status, k.value, k.trade_id, k.issued_at, k.expires_at, k.budget_account_id
  FROM req r
  JOIN coupons k ON k.campaign_id = $1 AND k.consumer_id = r.consumer_id AND k.grab_request_id = r.request_id
),
open AS (
  SELECT r.*, row_number() OVER (ORDER BY r.i) AS n
  FROM req r, camp
  WHERE camp.status = 'ACTIVE' AND camp.at >= camp.starts_at AND camp.at < camp.ends_at
    AND NOT EXISTS (SELECT 1 FROM existing x WHERE x.i = r.i)
),
free AS MATERIALIZED (
  SELECT e.seq, e.amount, row_number() OVER (ORDER BY e.seq) AS n
  FROM (SELECT seq, amount FROM envelopes WHERE campaign_id = $1 AND state = 'AVAILABLE'
        ORDER BY seq LIMIT (SELECT count(*) FROM open) FOR UPDATE SKIP LOCKED) e
),
tried AS (
  SELECT * FROM open WHERE n <= (SELECT count(*) FROM free)
),
counter AS (
  INSERT INTO consumer_grabs AS g (campaign_id, consumer_id, grabbed)
  SELECT $1, t.consumer_id, 1 FROM tried t ORDER BY t.consumer_id
  ON CONFLICT (campaign_id, consumer_id) DO UPDATE SET grabbed = g.grabbed + 1
  WHERE g.grabbed < (SELECT per_consumer_limit FROM camp)
  RETURNING g.consumer_id
),
winner AS (
  SELECT t.consumer_id, t.request_id, t.coupon_id, row_number() OVER (ORDER BY t.i) AS n
  FROM tried t JOIN counter USING (consumer_id)
),
claim AS (
  UPDATE envelopes e SET state = 'CLAIMED', coupon_id = w.coupon_id
  FROM winner w JOIN free f USING (n)
  WHERE e.campaign_id = $1 AND e.seq = f.seq
  RETURNING e.coupon_id, e.seq, e.amount
),
coupon AS (
  INSERT INTO coupons (id, campaign_id, consumer_id, grab_request_id, value, currency, status, issued_at,
                       expires_at, updated_at, budget_account_id)
  SELECT w.coupon_id, $1, w.consumer_id, w.request_id, claim.amount, camp.currency, 'ISSUED', camp.at,
         camp.at + make_interval(days => camp.validity_days), camp.at, b.account_id
  FROM claim JOIN winner w USING (coupon_id) CROSS JOIN camp
  JOIN budget_accounts b ON b.campaign_id = $1 AND b.k = (claim.seq - 1) % camp.sub_budgets
  RETURNING id, value, issued_at, expires_at, budget_account_id
)
SELECT camp.status AS campaign_status, camp.starts_at, camp.ends_at, camp.at,
       x.id IS NOT NULL AS replayed, t.i IS NOT NULL AS tried,
       coalesce(x.id, k.id) AS id, coalesce(x.status, 'ISSUED') AS status, coalesce(x.value, k.value) AS value,
       x.trade_id, coalesce(x.issued_at, k.issued_at) AS issued_at,
       coalesce(x.expires_at, k.expires_at) AS expires_at,
       coalesce(x.budget_account_id, k.budget_account_id) AS budget_account_id
FROM req r
LEFT JOIN camp ON true
LEFT JOIN existing x ON x.i = r.i
LEFT JOIN tried t ON t.i = r.i
LEFT JOIN coupon k ON k.id = r.coupon_id
ORDER BY r.i
"""


async def campaign_terms(conn: asyncpg.Connection, campaign_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(CAMPAIGN_TERMS_SQL, campaign_id)


async def grab_batch(
    conn: asyncpg.Connection, campaign_id: str, consumer_ids: Sequence[str], request_ids: Sequence[str],
    coupon_ids: Sequence[str],
) -> list[asyncpg.Record]:
    """Run the batch grab statement: one row per request, in order (consumers must all differ)."""
    return await conn.fetch(GRAB_BATCH_SQL, campaign_id, consumer_ids, request_ids, coupon_ids)


async def grabbed_coupons(
    conn: asyncpg.Connection, campaign_id: str, consumer_ids: Sequence[str], request_ids: Sequence[str]
) -> list[asyncpg.Record]:
    """The coupons these (consumer, request id) pairs were granted, if any."""
    return await conn.fetch(
        """
        SELECT k.consumer_id, k.grab_request_id, k.id, k.status, k.value, k.trade_id, k.issued_at, k.expires_at,
               k.budget_account_id
        FROM unnest($2::text[], $3::text[]) AS r(consumer_id, request_id)
        JOIN coupons k ON k.campaign_id = $1 AND k.consumer_id = r.consumer_id AND k.grab_request_id = r.request_id
        """,
        campaign_id, consumer_ids, request_ids,
    )


async def closed_campaign_grab(
    conn: asyncpg.Connection, campaign_id: str, consumer_id: str, request_id: str
) -> asyncpg.Record:
    """For a campaign that has no envelope to give: its status, and this request's coupon if any."""
    return await conn.fetchrow(
        """
        SELECT c.status AS campaign_status, k.id, k.status, k.value, k.trade_id, k.issued_at, k.expires_at,
               k.budget_account_id
        FROM campaigns c
        LEFT JOIN coupons k ON k.campaign_id = $1 AND k.consumer_id = $2 AND k.grab_request_id = $3
        WHERE c.id = $1
        """,
        campaign_id, consumer_id, request_id,
    )


async def campaign_status(conn: asyncpg.Connection, campaign_id: str) -> str:
    return await conn.fetchval("SELECT status FROM campaigns WHERE id = $1", campaign_id)


async def grab_keys(conn: asyncpg.Connection, campaign_id: str) -> list[asyncpg.Record]:
    """(consumer, request id) of every coupon of the campaign: once it is closed, the full list of replays."""
    return await conn.fetch(
        "SELECT consumer_id, grab_request_id FROM coupons WHERE campaign_id = $1", campaign_id
    )


async def has_available_envelope(conn: asyncpg.Connection, campaign_id: str) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM envelopes WHERE campaign_id = $1 AND state = 'AVAILABLE')", campaign_id
        )
    )


# --- coupons ------------------------------------------------------------------------------------------


async def get_coupon(conn: asyncpg.Connection, coupon_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        COUPON_SELECT + " WHERE k.id = $1" + (" FOR UPDATE OF k" if lock else ""), coupon_id
    )


async def list_coupons(
    conn: asyncpg.Connection, consumer_id: str, statuses: Sequence[str], after_id: str, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        COUPON_SELECT
        + """
        WHERE k.consumer_id = $1 AND (cardinality($2::text[]) = 0 OR k.status = ANY ($2::text[])) AND k.id > $3
        ORDER BY k.id LIMIT $4
        """,
        consumer_id, list(statuses), after_id, limit,
    )


async def usable_coupons(conn: asyncpg.Connection, consumer_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        COUPON_SELECT + " WHERE k.consumer_id = $1 AND k.status = 'ISSUED' AND k.expires_at > now()", consumer_id
    )


async def set_coupon_state(
    conn: asyncpg.Connection, coupon_id: str, status: str, trade_id: str | None
) -> asyncpg.Record:
    await conn.execute(
        "UPDATE coupons SET status = $2, trade_id = $3, updated_at = now() WHERE id = $1",
        coupon_id, status, trade_id,
    )
    row = await get_coupon(conn, coupon_id)
    assert row is not None
    return row


async def expire_due_coupons(conn: asyncpg.Connection, limit: int = 500) -> list[asyncpg.Record]:
    """ISSUED coupons past their validity become EXPIRED; returns them."""
    rows = await conn.fetch(
        """
        WITH due AS (
          SELECT id FROM coupons WHERE status = 'ISSUED' AND expires_at <= now()
          ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED
        )
        UPDATE coupons k SET status = 'EXPIRED', updated_at = now() FROM due WHERE k.id = due.id
        RETURNING k.id
        """,
        limit,
    )
    if not rows:
        return []
    return await conn.fetch(COUPON_SELECT + " WHERE k.id = ANY ($1::text[])", [r["id"] for r in rows])


# --- reservations -------------------------------------------------------------------------------------


async def get_reservation(conn: asyncpg.Connection, trade_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM reservations WHERE trade_id = $1" + (" FOR UPDATE" if lock else ""), trade_id
    )


async def insert_reservation(
    conn: asyncpg.Connection, *, trade_id: str, coupon: asyncpg.Record, amount: int, discount: int,
    store_id: str, merchant_id: str, hold_seconds: int,
) -> asyncpg.Record:
    return await conn.fetchrow(
        """
        INSERT INTO reservations (trade_id, coupon_id, campaign_id, consumer_id, status, currency, amount,
                                  discount, budget_account_id, store_id, merchant_id, expires_at)
        VALUES ($1, $2, $3, $4, 'RESERVED', $5, $6, $7, $8, $9, $10, now() + make_interval(secs => $11))
        RETURNING *
        """,
        trade_id, coupon["id"], coupon["campaign_id"], coupon["consumer_id"], coupon["currency"], amount,
        discount, coupon["budget_account_id"], store_id, merchant_id, hold_seconds,
    )


async def finish_reservation(
    conn: asyncpg.Connection, trade_id: str, status: str, release_reason: str = ""
) -> asyncpg.Record:
    return await conn.fetchrow(
        """
        UPDATE reservations SET status = $2, release_reason = $3, finished_at = now()
        WHERE trade_id = $1 RETURNING *
        """,
        trade_id, status, release_reason,
    )


async def timed_out_reservations(conn: asyncpg.Connection, limit: int = 100) -> list[str]:
    rows = await conn.fetch(
        """
        SELECT trade_id FROM reservations WHERE status = 'RESERVED' AND expires_at <= now()
        ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED
        """,
        limit,
    )
    return [r["trade_id"] for r in rows]


async def get_discount_return(conn: asyncpg.Connection, refund_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM discount_returns WHERE refund_id = $1", refund_id)


async def record_discount_return(
    conn: asyncpg.Connection, refund_id: str, reservation: asyncpg.Record, amount: int, share: int
) -> asyncpg.Record:
    """Record one refund's share and add it to the trade's running totals."""
    await conn.execute(
        """
        UPDATE reservations SET refunded_amount = refunded_amount + $2, discount_returned = discount_returned + $3
        WHERE trade_id = $1
        """,
        reservation["trade_id"], amount, share,
    )
    return await conn.fetchrow(
        """
        INSERT INTO discount_returns (refund_id, trade_id, campaign_id, currency, amount, discount_returned)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING *
        """,
        refund_id, reservation["trade_id"], reservation["campaign_id"], reservation["currency"], amount, share,
    )
