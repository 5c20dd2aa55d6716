"""SQL of the gateway schema (asyncpg): consumers, sessions, codes, nonces, idempotency keys, trades, refunds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg

from ..kit.events import OutboxRow

Row = asyncpg.Record

# --- consumers and sessions ---------------------------------------------------------------------------


async def insert_consumer(conn: asyncpg.Connection, consumer_id: str, phone: str, password_hash: str,
                          wallet_account_id: str) -> bool:
    """False when the phone is taken."""
    return bool(await conn.fetchval(
        """
        INSERT INTO consumers (consumer_id, phone, password_hash, wallet_account_id) VALUES ($1, $2, $3, $4)
        ON CONFLICT (phone) DO NOTHING RETURNING true
        """, consumer_id, phone, password_hash, wallet_account_id))


async def consumer_by_phone(conn: asyncpg.Connection, phone: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM consumers WHERE phone = $1", phone)


async def consumer_by_id(conn: asyncpg.Connection, consumer_id: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM consumers WHERE consumer_id = $1", consumer_id)


async def insert_session(conn: asyncpg.Connection, session_id: str, consumer_id: str, refresh_hash: str,
                         expires_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO sessions (session_id, consumer_id, refresh_hash, expires_at) VALUES ($1, $2, $3, $4)",
        session_id, consumer_id, refresh_hash, expires_at)


async def rotate_session(conn: asyncpg.Connection, refresh_hash: str, new_hash: str,
                         expires_at: datetime) -> Row | None:
    """Swap a live refresh token for a new one (the old one stops working); None when not live."""
    return await conn.fetchrow(
        """
        UPDATE sessions SET refresh_hash = $2, expires_at = $3
        WHERE refresh_hash = $1 AND revoked_at IS NULL AND expires_at > now()
        RETURNING session_id, consumer_id
        """, refresh_hash, new_hash, expires_at)


async def revoke_session(conn: asyncpg.Connection, session_id: str, consumer_id: str) -> None:
    await conn.execute(
        "UPDATE sessions SET revoked_at = now() WHERE session_id = $1 AND consumer_id = $2 AND revoked_at IS NULL",
        session_id, consumer_id)


async def session_live(conn: asyncpg.Connection, session_id: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT true FROM sessions WHERE session_id = $1 AND revoked_at IS NULL AND expires_at > now()",
        session_id))


# --- payment codes and nonces ---------------------------------------------------------------------------


async def insert_payment_code(conn: asyncpg.Connection, code: str, consumer_id: str, seconds: int) -> datetime:
    return await conn.fetchval(
        """
        INSERT INTO payment_codes (code, consumer_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
        RETURNING expires_at
        """, code, consumer_id, seconds)


async def payment_code_refusal(conn: asyncpg.Connection | asyncpg.Pool, code: str) -> str:
    """Why insert_code_trade could not use this code: unknown | expired | used."""
    return await conn.fetchval(
        "SELECT CASE WHEN used_at IS NOT NULL THEN 'used' ELSE 'expired' END FROM payment_codes WHERE code = $1",
        code) or "unknown"


async def remember_nonce(conn: asyncpg.Connection, key_id: str, nonce: str, keep_seconds: int) -> bool:
    """False when this (key, nonce) was seen already: a replay."""
    return bool(await conn.fetchval(
        """
        INSERT INTO request_nonces (key_id, nonce, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
        ON CONFLICT DO NOTHING RETURNING true
        """, key_id, nonce, keep_seconds))


async def purge_expired(conn: asyncpg.Connection) -> None:
    await conn.execute(
        """
        WITH a AS (DELETE FROM request_nonces WHERE expires_at < now()),
             b AS (DELETE FROM idempotency_keys WHERE expires_at < now()),
             c AS (DELETE FROM payment_codes WHERE expires_at < now() - interval '1 day')
        SELECT 1
        """)


# --- idempotency keys ----------------------------------------------------------------------------------


async def claim_idempotency_key(conn: asyncpg.Connection, scope: str, key: str, request_hash: str,
                                lock_seconds: int, keep_hours: int, session_id: str = "") -> Row | None:
    """Insert the key as in-flight, or return the row already there (the caller decides what that means).

    An in-flight row whose lock ran out (its worker crashed) is taken over, so a retry is not refused for ever.
    With a `session_id` (a consumer's request) the same statement checks that the session is live and claims
    nothing when it is not: None then.
    """
    claim = await conn.fetchrow(
        """
        WITH session AS (
          SELECT $6 = '' OR EXISTS (SELECT 1 FROM sessions
                                   WHERE session_id = $6 AND revoked_at IS NULL AND expires_at > now()) AS live
        ), claimed AS (
          INSERT INTO idempotency_keys (scope, idem_key, request_hash, locked_until, expires_at)
          SELECT $1, $2, $3, now() + make_interval(secs => $4), now() + make_interval(hours => $5)
          FROM session WHERE live
          ON CONFLICT (scope, idem_key) DO UPDATE
            SET locked_until = EXCLUDED.locked_until
            WHERE idempotency_keys.response_status IS NULL AND idempotency_keys.locked_until < now()
              AND idempotency_keys.request_hash = EXCLUDED.request_hash
          RETURNING *
        )
        SELECT session.live, claimed.*, claimed.scope IS NOT NULL AS claimed FROM session LEFT JOIN claimed ON true
        """, scope, key, request_hash, lock_seconds, keep_hours, session_id)
    if not claim["live"]:
        return None
    if claim["claimed"]:
        return claim
    # A new statement: it sees a row that a concurrent request committed after this one's snapshot.
    return await conn.fetchrow("SELECT *, false AS claimed FROM idempotency_keys WHERE scope = $1 AND idem_key = $2",
                               scope, key)


async def finish_idempotency_key(conn: asyncpg.Connection, scope: str, key: str, status: int, body: bytes) -> None:
    await conn.execute(
        "UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE scope = $1 AND idem_key = $2",
        scope, key, status, body)


async def drop_idempotency_key(conn: asyncpg.Connection, scope: str, key: str) -> None:
    await conn.execute("DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND response_status IS NULL",
                       scope, key)


# --- trades --------------------------------------------------------------------------------------------


async def insert_trade(conn: asyncpg.Connection | asyncpg.Pool, t: dict[str, Any]) -> tuple[Row, bool]:
    """Insert a trade; on a repeated (consumer, request key) or (merchant, out_trade_no) return the first one."""
    row = await conn.fetchrow(
        """
        INSERT INTO trades (trade_id, merchant_id, store_id, mall_id, consumer_id, partner_id, out_trade_no,
                            request_key, subject, way, status, step, amount, card_id, notify_url, qr_payload,
                            expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'WAIT_BUYER_PAY', 'CREATED', $11, $12, $13, $14, $15)
        ON CONFLICT DO NOTHING RETURNING *
        """,
        t["trade_id"], t["merchant_id"], t["store_id"], t.get("mall_id", ""), t.get("consumer_id"),
        t.get("partner_id", ""), t.get("out_trade_no"), t.get("request_key"), t.get("subject", ""), t["way"],
        t["amount"], t.get("card_id", ""), t.get("notify_url", ""), t.get("qr_payload", ""), t["expires_at"])
    if row is not None:
        return row, True
    existing = await conn.fetchrow(
        """
        SELECT * FROM trades
        WHERE (consumer_id = $1 AND request_key = $2) OR (merchant_id = $3 AND out_trade_no = $4) LIMIT 1
        """, t.get("consumer_id"), t.get("request_key"), t["merchant_id"], t.get("out_trade_no"))
    assert existing is not None, "trade insert conflicted on a key that no row has"
    return existing, False


async def get_trade(conn: asyncpg.Connection | asyncpg.Pool, trade_id: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM trades WHERE trade_id = $1", trade_id)


async def lock_trade(conn: asyncpg.Connection, trade_id: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM trades WHERE trade_id = $1 FOR UPDATE", trade_id)


async def trade_by_out_no(conn: asyncpg.Connection | asyncpg.Pool, merchant_id: str, out_trade_no: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM trades WHERE merchant_id = $1 AND out_trade_no = $2",
                               merchant_id, out_trade_no)


async def trade_by_request_key(conn: asyncpg.Connection | asyncpg.Pool, consumer_id: str,
                               request_key: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM trades WHERE consumer_id = $1 AND request_key = $2",
                               consumer_id, request_key)


async def update_trade(conn: asyncpg.Connection | asyncpg.Pool, trade_id: str, **fields: Any) -> Row:
    """Set the named columns (names come from code, never from input) and bump updated_at."""
    names = list(fields)
    sets = ", ".join(f"{name} = ${i + 2}" for i, name in enumerate(names))
    return await conn.fetchrow(
        f"UPDATE trades SET {sets}, updated_at = now() WHERE trade_id = $1 RETURNING *",
        trade_id, *fields.values())


async def attach_consumer(conn: asyncpg.Connection | asyncpg.Pool, trade_id: str, store_id: str, consumer_id: str,
                          request_key: str | None, card_id: str, amount: int | None, now: datetime) -> Row | None:
    """Bind an unpaid order trade of this store (and amount, if given), not expired at `now` and not held by
    someone else, to the consumer who scanned it; None when any of that does not hold (the caller reads the
    trade to say which, against the same `now`)."""
    return await conn.fetchrow(
        """
        UPDATE trades SET consumer_id = $3, request_key = $4, card_id = $5, updated_at = now()
        WHERE trade_id = $1 AND store_id = $2 AND status = 'WAIT_BUYER_PAY' AND step = 'CREATED'
          AND (consumer_id IS NULL OR consumer_id = $3) AND ($6::bigint IS NULL OR amount = $6)
          AND expires_at > $7
        RETURNING *
        """, trade_id, store_id, consumer_id, request_key, card_id, amount, now)


async def insert_code_trade(conn: asyncpg.Connection | asyncpg.Pool, t: dict[str, Any], code: str) -> Row | None:
    """Insert a payment-code trade for the code's consumer and mark the code used for it, in one statement.

    The code row is locked and re-checked, so two trades never share a code; a repeated (merchant,
    out_trade_no) inserts nothing and leaves the code unused. None when nothing was inserted: the code was not
    usable or the order exists already (the caller looks which).
    """
    return await conn.fetchrow(
        """
        WITH usable AS (
          SELECT consumer_id FROM payment_codes WHERE code = $12 AND used_at IS NULL AND expires_at > now()
          FOR UPDATE
        ), inserted AS (
          INSERT INTO trades (trade_id, merchant_id, store_id, mall_id, consumer_id, partner_id, out_trade_no,
                              subject, way, status, step, amount, notify_url, expires_at)
          SELECT $1, $2, $3, $4, usable.consumer_id, $5, $6, $7, $8, 'WAIT_BUYER_PAY', 'CREATED', $9, $10, $11
          FROM usable
          ON CONFLICT DO NOTHING RETURNING *
        ), used AS (
          UPDATE payment_codes SET used_at = now(), trade_id = inserted.trade_id FROM inserted WHERE code = $12
        )
        SELECT * FROM inserted
        """,
        t["trade_id"], t["merchant_id"], t["store_id"], t.get("mall_id", ""), t.get("partner_id", ""),
        t["out_trade_no"], t.get("subject", ""), t["way"], t["amount"], t.get("notify_url", ""), t["expires_at"],
        code)


async def succeed_trade(conn: asyncpg.Connection | asyncpg.Pool, trade_id: str, paid_at: datetime,
                        event: OutboxRow, notification: dict[str, Any]) -> Row:
    """The saga's last step in one statement: TRADE_SUCCESS / DONE, its outbox event and its notification row.

    The notification goes where notification_target() says, or nowhere.
    """
    return await conn.fetchrow(
        """
        WITH done AS (
          UPDATE trades SET step = 'DONE', status = 'TRADE_SUCCESS', paid_at = $2, updated_at = now()
          WHERE trade_id = $1 RETURNING *
        ), event AS (
          INSERT INTO outbox (event_id, subject, payload, headers) SELECT $3, $4, $5, $6::jsonb FROM done
        ), notification AS (
          INSERT INTO notifications (notification_id, owner_id, merchant_id, partner_id, url, event_type, trade_id,
                                     body, status)
          SELECT $7, target.owner_id, done.merchant_id, done.partner_id, target.url, 'trade.succeeded',
                 done.trade_id, $8, 'PENDING'
          FROM done, notification_target(done.notify_url, done.partner_id, done.merchant_id, $9) AS target
          ON CONFLICT DO NOTHING
        )
        SELECT * FROM done
        """, trade_id, paid_at, event.event_id, event.subject, event.payload, event.headers,
        notification["notification_id"], notification["body"],
        notification["directory_url"])


async def trades_in_flight(conn: asyncpg.Connection | asyncpg.Pool, older_than: timedelta, limit: int) -> list[Row]:
    return await conn.fetch(
        """
        SELECT trade_id FROM trades
        WHERE (step IN ('COUPON_RESERVED', 'FUNDS_POSTED')
               OR (step = 'CREATED' AND consumer_id IS NOT NULL AND status = 'WAIT_BUYER_PAY'))
          AND updated_at < now() - $1::interval
        ORDER BY updated_at LIMIT $2
        """, older_than, limit)


async def expired_unpaid(conn: asyncpg.Connection | asyncpg.Pool, limit: int) -> list[Row]:
    return await conn.fetch(
        """
        SELECT trade_id FROM trades
        WHERE status = 'WAIT_BUYER_PAY' AND step = 'CREATED' AND expires_at < now()
        ORDER BY expires_at LIMIT $1
        """, limit)


async def finish_old_trades(conn: asyncpg.Connection, window: timedelta) -> int:
    result = await conn.execute(
        """
        UPDATE trades SET status = 'TRADE_FINISHED', finished_at = now(), updated_at = now()
        WHERE status = 'TRADE_SUCCESS' AND paid_at < now() - $1::interval
          AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.trade_id = trades.trade_id
                          AND r.status IN ('PENDING', 'FUNDS_RETURNED'))
        """, window)
    return int(result.split()[-1])


async def list_trades(conn: asyncpg.Connection | asyncpg.Pool, *, merchant_id: str | None = None,
                      consumer_id: str | None = None, status: str | None = None, after: str | None = None,
                      limit: int = 50) -> list[Row]:
    return await conn.fetch(
        """
        SELECT * FROM trades
        WHERE ($1::text IS NULL OR merchant_id = $1) AND ($2::text IS NULL OR consumer_id = $2)
          AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR trade_id < $4)
        ORDER BY trade_id DESC LIMIT $5
        """, merchant_id, consumer_id, status, after, limit)


async def trades_paid_between(conn: asyncpg.Connection | asyncpg.Pool, start: datetime, end: datetime,
                              after: str, limit: int) -> list[Row]:
    return await conn.fetch(
        """
        SELECT * FROM trades WHERE paid_at >= $1 AND paid_at < $2 AND trade_id > $3
        ORDER BY trade_id LIMIT $4
        """, start, end, after, limit)


async def refunds_succeeded_between(conn: asyncpg.Connection | asyncpg.Pool, start: datetime, end: datetime,
                                    after: str, limit: int) -> list[Row]:
    return await conn.fetch(
        """
        SELECT r.*, t.merchant_id, t.store_id, t.mall_id FROM refunds r JOIN trades t USING (trade_id)
        WHERE r.succeeded_at >= $1 AND r.succeeded_at < $2 AND r.refund_id > $3
        ORDER BY r.refund_id LIMIT $4
        """, start, end, after, limit)


# --- refunds -------------------------------------------------------------------------------------------


async def refund_by_out_no(conn: asyncpg.Connection, trade_id: str, out_refund_no: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM refunds WHERE trade_id = $1 AND out_refund_no = $2",
                               trade_id, out_refund_no)


async def insert_refund(conn: asyncpg.Connection, r: dict[str, Any]) -> Row:
    """Write the refund PENDING and reserve its amount on the trade in one statement (caller holds the lock)."""
    return await conn.fetchrow(
        """
        WITH reserve AS (
          UPDATE trades SET refunded = refunded + $4, updated_at = now() WHERE trade_id = $2
        )
        INSERT INTO refunds (refund_id, trade_id, out_refund_no, amount, paid_part, discount_part, reason, status)
        VALUES ($1, $2, $3, $4, $5, $6, $7, 'PENDING') RETURNING *
        """, r["refund_id"], r["trade_id"], r["out_refund_no"], r["amount"], r["paid_part"], r["discount_part"],
        r.get("reason", ""))


async def get_refund(conn: asyncpg.Connection | asyncpg.Pool, refund_id: str) -> Row | None:
    return await conn.fetchrow("SELECT * FROM refunds WHERE refund_id = $1", refund_id)


async def set_refund_status(conn: asyncpg.Connection, refund_id: str, status: str, failure: str = "") -> Row:
    return await conn.fetchrow(
        """
        UPDATE refunds SET status = $2, failure = $3, updated_at = now(),
               succeeded_at = CASE WHEN $2 = 'SUCCEEDED' THEN now() ELSE succeeded_at END
        WHERE refund_id = $1 RETURNING *
        """, refund_id, status, failure)


async def refunds_in_flight(conn: asyncpg.Connection | asyncpg.Pool, older_than: timedelta, limit: int) -> list[Row]:
    return await conn.fetch(
        """
        SELECT refund_id FROM refunds WHERE status IN ('PENDING', 'FUNDS_RETURNED')
          AND updated_at < now() - $1::interval ORDER BY updated_at LIMIT $2
        """, older_than, limit)


async def list_refunds(conn: asyncpg.Connection | asyncpg.Pool, trade_id: str) -> list[Row]:
    return await conn.fetch("SELECT * FROM refunds WHERE trade_id = $1 ORDER BY refund_id", trade_id)


# --- webhooks and notifications ----------------------------------------------------------------------------


async def set_webhook(conn: asyncpg.Connection | asyncpg.Pool, owner_id: str, url: str) -> None:
    await conn.execute(
        """
        INSERT INTO webhook_endpoints (owner_id, url) VALUES ($1, $2)
        ON CONFLICT (owner_id) DO UPDATE SET url = EXCLUDED.url, updated_at = now()
        """, owner_id, url)


async def webhook_of(conn: asyncpg.Connection, owner_id: str) -> str | None:
    return await conn.fetchval("SELECT url FROM webhook_endpoints WHERE owner_id = $1", owner_id)


async def insert_notification(conn: asyncpg.Connection, n: dict[str, Any]) -> None:
    """A notification row for the endpoint notification_target() picks; none when the trade has no endpoint."""
    await conn.execute(
        """
        INSERT INTO notifications (notification_id, owner_id, merchant_id, partner_id, url, event_type, trade_id,
                                   body, status)
        SELECT $1, target.owner_id, $3, $4, target.url, $5, $6, $7, 'PENDING'
        FROM notification_target($2, $4, $3, $8) AS target
        ON CONFLICT DO NOTHING
        """, n["notification_id"], n["notify_url"], n["merchant_id"], n["partner_id"], n["event_type"],
        n["trade_id"], n["body"], n["directory_url"])


async def claim_due_notifications(conn: asyncpg.Connection, limit: int, lease_seconds: int) -> list[Row]:
    """Take due notifications for delivery, pushing next_attempt_at out so another replica skips them."""
    return await conn.fetch(
        """
        UPDATE notifications n SET next_attempt_at = now() + make_interval(secs => $2)
        FROM (SELECT notification_id FROM notifications WHERE status = 'PENDING' AND next_attempt_at <= now()
              ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
        WHERE n.notification_id = due.notification_id
        RETURNING n.*
        """, limit, lease_seconds)


async def record_attempt(conn: asyncpg.Connection, notification_id: str, status_code: int, error: str,
                         duration_ms: int, delivered: bool, next_delay: float | None) -> Row:
    return await conn.fetchrow(
        """
        WITH attempt AS (
          INSERT INTO notification_attempts (notification_id, attempt, status_code, error, duration_ms)
          SELECT notification_id, attempts + 1, $2, $3, $4 FROM notifications WHERE notification_id = $1
        )
        UPDATE notifications SET attempts = attempts + 1, last_status_code = $2, last_error = $3,
               status = CASE WHEN $5 THEN 'DELIVERED' WHEN $6::float8 IS NULL THEN 'FAILED' ELSE 'PENDING' END,
               delivered_at = CASE WHEN $5 THEN now() ELSE delivered_at END,
               next_attempt_at = now() + make_interval(secs => coalesce($6::float8, 0))
        WHERE notification_id = $1 RETURNING *
        """, notification_id, status_code, error[:500], duration_ms, delivered, next_delay)


async def list_notifications(conn: asyncpg.Connection | asyncpg.Pool, merchant_id: str, trade_id: str | None,
                             limit: int, after: str | None) -> list[Row]:
    return await conn.fetch(
        """
        SELECT * FROM notifications WHERE merchant_id = $1 AND ($2::text IS NULL OR trade_id = $2)
          AND ($4::text IS NULL OR notification_id > $4)
        ORDER BY notification_id LIMIT $3
        """, merchant_id, trade_id, limit, after)


async def notification_attempts(conn: asyncpg.Connection | asyncpg.Pool, notification_id: str) -> list[Row]:
    return await conn.fetch("SELECT * FROM notification_attempts WHERE notification_id = $1 ORDER BY attempt",
                            notification_id)


async def resend_notification(conn: asyncpg.Connection | asyncpg.Pool, notification_id: str,
                              merchant_id: str) -> Row | None:
    return await conn.fetchrow(
        """
        UPDATE notifications SET status = 'PENDING', next_attempt_at = now()
        WHERE notification_id = $1 AND merchant_id = $2 RETURNING *
        """, notification_id, merchant_id)
