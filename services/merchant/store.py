"""SQL of the merchant schema (asyncpg). Functions take a connection; callers own the transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from . import domain

Record = asyncpg.Record

# ---- malls --------------------------------------------------------------------------------------------


async def insert_mall(
    conn: asyncpg.Connection, mall_id: str, name: str, operator: str, city: str, bps: int
) -> Record:
    return await conn.fetchrow(
        """
        INSERT INTO malls (mall_id, name, operator_name, city, commission_bps)
        VALUES ($1, $2, $3, $4, $5) RETURNING *
        """,
        mall_id,
        name,
        operator,
        city,
        bps,
    )


async def update_mall(conn: asyncpg.Connection, mall_id: str, changes: dict[str, Any]) -> Record | None:
    return await _update(conn, "malls", "mall_id", mall_id, changes)


async def get_mall(conn: asyncpg.Connection, mall_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM malls WHERE mall_id = $1", mall_id)


async def list_malls(conn: asyncpg.Connection, after: str, limit: int, city: str) -> list[Record]:
    return await conn.fetch(
        """
        SELECT * FROM malls
        WHERE mall_id > $1 AND ($2 = '' OR city = $2)
        ORDER BY mall_id LIMIT $3
        """,
        after,
        city,
        limit,
    )


# ---- partners -----------------------------------------------------------------------------------------


async def insert_partner(conn: asyncpg.Connection, partner_id: str, name: str, webhook_url: str) -> Record:
    return await conn.fetchrow(
        "INSERT INTO partners (partner_id, name, webhook_url, status) VALUES ($1, $2, $3, 'ACTIVE') RETURNING *",
        partner_id,
        name,
        webhook_url,
    )


async def update_partner(conn: asyncpg.Connection, partner_id: str, changes: dict[str, Any]) -> Record | None:
    return await _update(conn, "partners", "partner_id", partner_id, changes)


async def get_partner(conn: asyncpg.Connection, partner_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM partners WHERE partner_id = $1", partner_id)


async def list_partners(conn: asyncpg.Connection, after: str, limit: int, status: str) -> list[Record]:
    return await conn.fetch(
        """
        SELECT * FROM partners
        WHERE partner_id > $1 AND ($2 = '' OR status = $2)
        ORDER BY partner_id LIMIT $3
        """,
        after,
        status,
        limit,
    )


# ---- merchants ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewMerchant:
    merchant_id: str
    legal_name: str
    display_name: str
    licence_id: str
    mcc: str
    fee_rate_bps: int
    partner_id: str | None
    account: domain.BankAccount | None


async def insert_merchant(conn: asyncpg.Connection, m: NewMerchant, actor: str) -> Record | None:
    """Inserts the merchant and its first status history row; None when the licence id is taken."""
    account = m.account
    return await conn.fetchrow(
        """
        WITH created AS (
          INSERT INTO merchants (merchant_id, legal_name, display_name, licence_id, mcc, fee_rate_bps, status,
                                 status_reason, partner_id, account_token, account_last4, account_name, bank_name)
          VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', 'created', $7, $8, $9, $10, $11)
          ON CONFLICT (licence_id) DO NOTHING
          RETURNING *
        ), history AS (
          INSERT INTO merchant_status_changes (merchant_id, from_status, to_status, reason, actor)
          SELECT merchant_id, NULL, 'PENDING', 'created', $12 FROM created
        )
        SELECT * FROM created
        """,
        m.merchant_id,
        m.legal_name,
        m.display_name,
        m.licence_id,
        m.mcc,
        m.fee_rate_bps,
        m.partner_id,
        account.token if account else None,
        account.last4 if account else None,
        account.account_name if account else None,
        account.bank_name if account else None,
        actor,
    )


async def lock_merchant(conn: asyncpg.Connection, merchant_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM merchants WHERE merchant_id = $1 FOR UPDATE", merchant_id)


async def get_merchant(conn: asyncpg.Connection, merchant_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM merchants WHERE merchant_id = $1", merchant_id)


async def update_merchant(
    conn: asyncpg.Connection, merchant_id: str, changes: dict[str, Any]
) -> Record | None:
    row = await _update(conn, "merchants", "merchant_id", merchant_id, changes)
    if row is not None and "mcc" in changes:
        await conn.execute(
            "UPDATE stores SET mcc = $2 WHERE merchant_id = $1 AND mcc <> $2", merchant_id, row["mcc"]
        )
    return row


def account_columns(account: domain.BankAccount) -> dict[str, Any]:
    return {
        "account_token": account.token,
        "account_last4": account.last4,
        "account_name": account.account_name,
        "bank_name": account.bank_name,
    }


async def change_merchant_status(
    conn: asyncpg.Connection, merchant_id: str, from_status: str, to_status: str, reason: str, actor: str
) -> Record:
    return await conn.fetchrow(
        """
        WITH changed AS (
          UPDATE merchants SET status = $3, status_reason = $4, update_time = now()
          WHERE merchant_id = $1 RETURNING *
        ), history AS (
          INSERT INTO merchant_status_changes (merchant_id, from_status, to_status, reason, actor)
          VALUES ($1, $2, $3, $4, $5)
        ), searchable AS (
          UPDATE stores SET merchant_active = ($3 = 'ACTIVE') WHERE merchant_id = $1
        )
        SELECT * FROM changed
        """,
        merchant_id,
        from_status,
        to_status,
        reason,
        actor,
    )


async def status_history(conn: asyncpg.Connection, merchant_id: str) -> list[Record]:
    return await conn.fetch(
        "SELECT * FROM merchant_status_changes WHERE merchant_id = $1 ORDER BY seq", merchant_id
    )


async def list_merchants(
    conn: asyncpg.Connection, after: str, limit: int, status: str, mcc: str, partner_id: str
) -> list[Record]:
    return await conn.fetch(
        """
        SELECT * FROM merchants
        WHERE merchant_id > $1
          AND ($2 = '' OR status = $2)
          AND ($3 = '' OR mcc = $3)
          AND ($4 = '' OR partner_id = $4)
        ORDER BY merchant_id LIMIT $5
        """,
        after,
        status,
        mcc,
        partner_id,
        limit,
    )


async def merchant_rates(conn: asyncpg.Connection, merchant_ids: list[str]) -> list[Record]:
    return await conn.fetch(
        """
        SELECT merchant_id, mcc, fee_rate_bps, status, partner_id
        FROM merchants WHERE merchant_id = ANY($1::text[])
        """,
        merchant_ids,
    )


async def mall_rates(conn: asyncpg.Connection, mall_ids: list[str]) -> list[Record]:
    return await conn.fetch(
        "SELECT mall_id, commission_bps FROM malls WHERE mall_id = ANY($1::text[])", mall_ids
    )


# ---- stores -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewStore:
    store_id: str
    merchant_id: str
    mall_id: str | None
    name: str
    address: str
    city: str
    lat: float
    lng: float
    periods: list[domain.OpeningPeriod]


def hours_columns(periods: list[domain.OpeningPeriod]) -> dict[str, Any]:
    """The schedule as given (jsonb, for reading back) and as minute-of-week ranges (for 'open now')."""
    return {
        "hours": json.dumps([[p.day, p.open_minute, p.close_minute] for p in periods]),
        "open_minutes": [asyncpg.Range(start, end) for start, end in domain.week_ranges(periods)],
    }


def periods_from_json(hours_json: str) -> list[domain.OpeningPeriod]:
    """The schedule of a stored `hours` column."""
    return [domain.OpeningPeriod(*item) for item in json.loads(hours_json)]


async def insert_store(conn: asyncpg.Connection, s: NewStore) -> Record:
    hours = hours_columns(s.periods)
    return await conn.fetchrow(
        """
        INSERT INTO stores (store_id, merchant_id, mall_id, name, address, city, lat, lng, hours, open_minutes,
                            status, merchant_active, mcc)
        SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::int4multirange, 'ACTIVE', m.status = 'ACTIVE', m.mcc
        FROM merchants m WHERE m.merchant_id = $2
        RETURNING *
        """,
        s.store_id,
        s.merchant_id,
        s.mall_id,
        s.name,
        s.address,
        s.city,
        s.lat,
        s.lng,
        hours["hours"],
        hours["open_minutes"],
    )


async def lock_store(conn: asyncpg.Connection, store_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM stores WHERE store_id = $1 FOR UPDATE", store_id)


async def get_store(conn: asyncpg.Connection, store_id: str) -> Record | None:
    return await conn.fetchrow("SELECT * FROM stores WHERE store_id = $1", store_id)


async def update_store(conn: asyncpg.Connection, store_id: str, changes: dict[str, Any]) -> Record | None:
    return await _update(conn, "stores", "store_id", store_id, changes)


async def stores_by_ids(conn: asyncpg.Connection, store_ids: list[str]) -> list[Record]:
    return await conn.fetch("SELECT * FROM stores WHERE store_id = ANY($1::text[])", store_ids)


async def list_stores(
    conn: asyncpg.Connection,
    after: str,
    limit: int,
    *,
    merchant_id: str,
    mall_id: str,
    city: str,
    mcc: str,
    status: str,
    partner_id: str,
) -> list[Record]:
    return await conn.fetch(
        """
        SELECT s.* FROM stores s JOIN merchants m USING (merchant_id)
        WHERE s.store_id > $1
          AND ($2 = '' OR s.merchant_id = $2)
          AND ($3 = '' OR s.mall_id = $3)
          AND ($4 = '' OR s.city = $4)
          AND ($5 = '' OR m.mcc = $5)
          AND ($6 = '' OR s.status = $6)
          AND ($7 = '' OR m.partner_id = $7)
        ORDER BY s.store_id LIMIT $8
        """,
        after,
        merchant_id,
        mall_id,
        city,
        mcc,
        status,
        partner_id,
        limit,
    )


# Two index-only passes over the searchable stores. `knn` takes the `limit` candidates nearest in plain
# degrees (the KNN order of the narrow stores_searchable_location, which is not great-circle order away from
# the equator); being real stores, their farthest true distance is an upper bound on the k-th nearest store's
# distance. `nearest` then ranks by exact distance only the stores inside the bounding box shrunk to that
# bound, a few dozen rows in a dense city instead of thousands in a 5 km box, and reads the columns a
# NearbyStore shows from the covering stores_searchable_covering (migration 0004), so only the merchant's
# display name is looked up. $11 says the box is centred on the point and may be shrunk (not when it spans
# every longitude, near a pole or the antimeridian). lat and lng are the point's coordinates, and status is
# ACTIVE by the index predicate. Only the columns a NearbyStore shows are returned: decoding `open_minutes`
# and `location` cost more than the rest together.
SEARCH_NEARBY_SQL = """
WITH knn AS (
  SELECT great_circle_m($1, $2, s.location[1], s.location[0]) AS distance_m
  FROM stores s
  WHERE s.status = 'ACTIVE' AND s.merchant_active
    AND s.location <@ box(point($3, $4), point($5, $6))
    AND s.open_minutes @> $7::int
    AND ($8 = '' OR s.mcc = $8)
  ORDER BY s.location <-> point($2, $1)
  LIMIT $10
), bound AS (
  SELECT CASE WHEN count(*) FILTER (WHERE distance_m <= $9) = $10 THEN max(distance_m) ELSE $9 END AS radius_m
  FROM knn
), shrunk AS (
  SELECT b.radius_m,
         CASE WHEN $11 THEN least(1, b.radius_m / $9 * 1.000001) ELSE 1 END AS f
  FROM bound b
), nearest AS (
  SELECT s.store_id, s.merchant_id, s.mall_id, s.name, s.address, s.city, s.location[1] AS lat,
         s.location[0] AS lng, s.hours, s.create_time, s.update_time, s.mcc, d.distance_m
  FROM stores s
  CROSS JOIN LATERAL (SELECT great_circle_m($1, $2, s.location[1], s.location[0]) AS distance_m) d
  WHERE s.status = 'ACTIVE' AND s.merchant_active
    AND s.location <@ (SELECT box(point($2 - ($2 - $3) * f, $1 - ($1 - $4) * f),
                                  point($2 + ($5 - $2) * f, $1 + ($6 - $1) * f)) FROM shrunk)
    AND s.location <@ box(point($3, $4), point($5, $6))
    AND s.open_minutes @> $7::int
    AND ($8 = '' OR s.mcc = $8)
    AND d.distance_m <= (SELECT radius_m FROM shrunk)
  ORDER BY d.distance_m, s.store_id
  LIMIT $10
)
SELECT n.store_id, n.merchant_id, n.mall_id, n.name, n.address, n.city, n.lat, n.lng, n.hours,
       'ACTIVE' AS status, n.create_time, n.update_time, n.mcc, m.display_name AS merchant_display_name,
       n.distance_m
FROM nearest n
JOIN merchants m ON m.merchant_id = n.merchant_id
ORDER BY n.distance_m, n.store_id
"""


async def search_nearby(
    conn: asyncpg.Connection, lat: float, lng: float, radius: int, mcc: str, limit: int, minute_of_week: int
) -> list[Record]:
    """The `limit` open, searchable stores nearest to (lat, lng) within `radius` metres, by exact great-circle
    distance (great_circle_m, on location[0] = lng, location[1] = lat); see SEARCH_NEARBY_SQL."""
    box = domain.bounding_box(lat, lng, radius)
    return await conn.fetch(
        SEARCH_NEARBY_SQL,
        lat,
        lng,
        box.min_lng,
        box.min_lat,
        box.max_lng,
        box.max_lat,
        minute_of_week,
        mcc,
        float(radius),
        limit,
        box.centred,
    )


# ---- credentials --------------------------------------------------------------------------------------


async def insert_credential(
    conn: asyncpg.Connection,
    key_id: str,
    owner_kind: str,
    owner_id: str,
    salt: bytes,
    fingerprint: str,
    expire_time: datetime | None,
    rotated_from: str | None = None,
) -> Record:
    return await conn.fetchrow(
        """
        INSERT INTO credentials (key_id, owner_kind, owner_id, salt, fingerprint, expire_time, rotated_from_key_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *
        """,
        key_id,
        owner_kind,
        owner_id,
        salt,
        fingerprint,
        expire_time,
        rotated_from,
    )


# The credential with its owner's current status, in one query.
_CREDENTIAL_WITH_OWNER = """
    SELECT c.*, coalesce(m.status, p.status, '') AS owner_status
    FROM credentials c
    LEFT JOIN merchants m ON c.owner_kind = 'MERCHANT' AND m.merchant_id = c.owner_id
    LEFT JOIN partners p ON c.owner_kind = 'PARTNER' AND p.partner_id = c.owner_id
"""


async def get_credential(conn: asyncpg.Connection, key_id: str, *, lock: bool = False) -> Record | None:
    return await conn.fetchrow(
        _CREDENTIAL_WITH_OWNER + " WHERE c.key_id = $1" + (" FOR UPDATE OF c" if lock else ""), key_id
    )


async def list_credentials(
    conn: asyncpg.Connection, owner_kind: str, owner_id: str, include_inactive: bool
) -> list[Record]:
    return await conn.fetch(
        _CREDENTIAL_WITH_OWNER
        + """
        WHERE c.owner_kind = $1 AND c.owner_id = $2
          AND ($3 OR (c.revoke_time IS NULL AND (c.expire_time IS NULL OR c.expire_time > now())))
        ORDER BY c.key_id
        """,
        owner_kind,
        owner_id,
        include_inactive,
    )


async def mark_rotated(conn: asyncpg.Connection, key_id: str, new_key_id: str, expire_time: datetime) -> None:
    await conn.execute(
        "UPDATE credentials SET replaced_by_key_id = $2, expire_time = $3 WHERE key_id = $1",
        key_id,
        new_key_id,
        expire_time,
    )


async def revoke_credentials(
    conn: asyncpg.Connection, owner_kind: str, owner_id: str, key_id: str | None, reason: str
) -> list[Record]:
    """Revokes one key (key_id) or every unrevoked key of the owner (key_id None); returns those revoked."""
    return await conn.fetch(
        """
        UPDATE credentials SET revoke_time = now(), revoke_reason = $4
        WHERE owner_kind = $1 AND owner_id = $2 AND ($3::text IS NULL OR key_id = $3) AND revoke_time IS NULL
        RETURNING *
        """,
        owner_kind,
        owner_id,
        key_id,
        reason,
    )


# ---- shared -------------------------------------------------------------------------------------------

_UPDATABLE: dict[str, frozenset[str]] = {
    "malls": frozenset({"name", "operator_name", "city", "commission_bps"}),
    "partners": frozenset({"name", "webhook_url", "status"}),
    "merchants": frozenset(
        {
            "legal_name",
            "display_name",
            "mcc",
            "fee_rate_bps",
            "account_token",
            "account_last4",
            "account_name",
            "bank_name",
        }
    ),
    "stores": frozenset(
        {"name", "address", "city", "lat", "lng", "hours", "open_minutes", "status", "mall_id"}
    ),
}
_CASTS = {"hours": "::jsonb", "open_minutes": "::int4multirange"}


async def _update(
    conn: asyncpg.Connection, table: str, key: str, key_value: str, changes: dict[str, Any]
) -> Record | None:
    """UPDATE the given columns (names from a fixed allow-list, values as parameters) RETURNING the row."""
    unknown = set(changes) - _UPDATABLE[table]
    if unknown:
        raise ValueError(f"not updatable in {table}: {sorted(unknown)}")
    columns = list(changes)
    assignments = [f"{c} = ${i + 2}{_CASTS.get(c, '')}" for i, c in enumerate(columns)]
    sql = (
        f"UPDATE {table} SET {', '.join([*assignments, 'update_time = now()'])} WHERE {key} = $1 RETURNING *"
    )
    return await conn.fetchrow(sql, key_value, *[changes[c] for c in columns])
