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

# A coupon with the campaign terms that decide where and how much it takes off.
COUPON_SELECT = """
SELECT k.*, c.name AS campaign_name, c.discount_kind, c.percent_off, c.min_spend, c.target_kind,
       c.target_mall_id, c.target_merchant_ids, c.target_mccs, c.budget_account_id
FROM coupons k JOIN campaigns c ON c.id = k.campaign_id
"""


# --- campaigns ----------------------------------------------------------------------------------------


async def insert_campaign(
    conn: asyncpg.Connection, campaign_id: str, request_id: str, request_hash: str, draft: CampaignDraft,
    amounts: Sequence[int],
) -> bool:
    """Insert a FUNDING campaign and its envelopes; False when the request id was already used."""
    created = await conn.fetchval(
        """
        INSERT INTO campaigns (
          id, request_id, request_hash, name, status, currency, budget, count, split, min_amount, max_amount,
          seed, starts_at, ends_at, per_consumer_limit, target_kind, target_mall_id, target_merchant_ids,
          target_mccs, discount_kind, percent_off, min_spend, validity_days)
        VALUES ($1, $2, $3, $4, 'FUNDING', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                $19, $20, $21, $22)
        ON CONFLICT (request_id) DO NOTHING
        RETURNING true
        """,
        campaign_id, request_id, request_hash, draft.name, draft.currency, draft.budget, draft.count,
        draft.split.value, draft.min_amount, draft.max_amount, draft.seed, draft.starts_at, draft.ends_at,
        draft.per_consumer_limit, draft.targeting.kind.value, draft.targeting.mall_id,
        list(draft.targeting.merchant_ids), list(draft.targeting.mccs), draft.discount_kind.value,
        draft.percent_off, draft.min_spend, draft.validity_days,
    )
    if not created:
        return False
    await conn.execute(
        """
        INSERT INTO envelopes (campaign_id, seq, amount)
        SELECT $1, seq::int, amount FROM unnest($2::bigint[]) WITH ORDINALITY AS s(amount, seq)
        """,
        campaign_id, list(amounts),
    )
    return True


async def campaign_by_request(conn: asyncpg.Connection, request_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(CAMPAIGN_SELECT + " WHERE c.request_id = $1", request_id)


async def get_campaign(conn: asyncpg.Connection, campaign_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(CAMPAIGN_SELECT + " WHERE c.id = $1", campaign_id)


async def lock_campaign(conn: asyncpg.Connection, campaign_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM campaigns WHERE id = $1 FOR UPDATE", campaign_id)


async def mark_funded(conn: asyncpg.Connection, campaign_id: str, budget_account_id: str) -> None:
    await conn.execute(
        """
        UPDATE campaigns SET status = 'ACTIVE', budget_account_id = $2, funded_at = now()
        WHERE id = $1 AND status = 'FUNDING'
        """,
        campaign_id, budget_account_id,
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


async def outstanding_value(conn: asyncpg.Connection, campaign_id: str) -> int:
    """What the budget still owes: the value of coupons that can still be spent."""
    return int(
        await conn.fetchval(
            """
            SELECT coalesce(sum(value), 0) FROM coupons
            WHERE campaign_id = $1 AND (status = 'RESERVED' OR (status = 'ISSUED' AND expires_at > now()))
            """,
            campaign_id,
        )
    )


async def mark_ended(conn: asyncpg.Connection, campaign_id: str, reason: str, returned_amount: int) -> datetime:
    return await conn.fetchval(
        """
        UPDATE campaigns SET status = 'ENDED', ended_at = now(), end_reason = $2, returned_amount = $3::bigint,
               return_posted_at = CASE WHEN $3::bigint = 0 THEN now() END
        WHERE id = $1 RETURNING ended_at
        """,
        campaign_id, reason, returned_amount,
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


async def fix_settled_amount(conn: asyncpg.Connection, campaign_id: str, amount: int) -> None:
    await conn.execute(
        "UPDATE campaigns SET settled_amount = $2 WHERE id = $1 AND settled_amount IS NULL", campaign_id, amount
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

# One statement: replay check, window check, the per-consumer counter (its row lock serialises one
# consumer's grabs and its WHERE enforces the limit on the latest committed count), the claim of one
# envelope that nobody else holds (SKIP LOCKED) and the coupon insert. A counted grab that found no
# envelope is rolled back by the caller, so the counter only ever counts coupons.
GRAB_SQL = """
WITH camp AS (
  SELECT c.id, c.name, c.status, c.currency, c.starts_at, c.ends_at, c.per_consumer_limit, c.validity_days,
         c.discount_kind, c.percent_off, c.min_spend, c.target_kind, c.target_mall_id, c.target_merchant_ids,
         c.target_mccs, c.budget_account_id, now() AS at
  FROM campaigns c WHERE c.id = $1
),
existing AS (
  SELECT id FROM coupons WHERE campaign_id = $1 AND consumer_id = $2 AND grab_request_id = $3
),
open AS (
  SELECT * FROM camp
  WHERE status IN ('ACTIVE', 'EXHAUSTED') AND at >= starts_at AND at < ends_at
    AND NOT EXISTS (SELECT 1 FROM existing)
),
counter AS (
  INSERT INTO consumer_grabs AS g (campaign_id, consumer_id, grabbed)
  SELECT $1, $2, 1 FROM open
  ON CONFLICT (campaign_id, consumer_id) DO UPDATE SET grabbed = g.grabbed + 1
  WHERE g.grabbed < (SELECT per_consumer_limit FROM campaigns WHERE id = $1)
  RETURNING grabbed
),
envelope AS (
  UPDATE envelopes SET state = 'CLAIMED', coupon_id = $4
  WHERE campaign_id = $1 AND EXISTS (SELECT 1 FROM counter) AND seq = (
    SELECT seq FROM envelopes WHERE campaign_id = $1 AND state = 'AVAILABLE'
    ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING amount
),
coupon AS (
  INSERT INTO coupons (id, campaign_id, consumer_id, grab_request_id, value, currency, status, issued_at,
                       expires_at, updated_at)
  SELECT $4, $1, $2, $3, envelope.amount, camp.currency, 'ISSUED', camp.at,
         camp.at + make_interval(days => camp.validity_days), camp.at
  FROM envelope, camp
  RETURNING *
)
SELECT camp.status AS campaign_status, camp.starts_at, camp.ends_at, camp.at,
       (SELECT id FROM existing) AS existing_id, EXISTS (SELECT 1 FROM counter) AS counted,
       coupon.id, coupon.campaign_id, coupon.consumer_id, coupon.value, coupon.currency, coupon.status,
       coupon.trade_id, coupon.issued_at, coupon.expires_at,
       camp.name AS campaign_name, camp.discount_kind, camp.percent_off, camp.min_spend, camp.target_kind,
       camp.target_mall_id, camp.target_merchant_ids, camp.target_mccs, camp.budget_account_id
FROM camp LEFT JOIN coupon ON true
"""


async def try_grab(
    conn: asyncpg.Connection, campaign_id: str, consumer_id: str, request_id: str, coupon_id: str
) -> asyncpg.Record | None:
    """Run the grab statement; None when the campaign does not exist."""
    return await conn.fetchrow(GRAB_SQL, campaign_id, consumer_id, request_id, coupon_id)


async def grabbed_coupon(
    conn: asyncpg.Connection, campaign_id: str, consumer_id: str, request_id: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        COUPON_SELECT + " WHERE k.campaign_id = $1 AND k.consumer_id = $2 AND k.grab_request_id = $3",
        campaign_id, consumer_id, request_id,
    )


async def closed_campaign_grab(
    conn: asyncpg.Connection, campaign_id: str, consumer_id: str, request_id: str
) -> asyncpg.Record:
    """For a campaign that has no envelope to give: its status and window, and this request's coupon if any."""
    return await conn.fetchrow(
        f"""
        SELECT c.status AS campaign_status, c.ends_at, now() AS at, replay.*
        FROM campaigns c
        LEFT JOIN ({COUPON_SELECT} WHERE k.campaign_id = $1 AND k.consumer_id = $2 AND k.grab_request_id = $3)
          AS replay ON true
        WHERE c.id = $1
        """,
        campaign_id, consumer_id, request_id,
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
