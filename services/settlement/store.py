"""SQL of the settlement schema. Batches and reconciliation are set-based (one statement over the day's
entries), never a loop over rows in Python."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from ..kit.ids import new_id
from . import domain

# Clearing takes this lock shared, a settlement run exclusive: an entry either lands before a day is
# frozen (and is in its batch) or after (and goes to the next open day, flagged late).
RUN_LOCK = "SELECT pg_advisory_xact_lock(hashtext('settlement:run'))"
CLEAR_LOCK = "SELECT pg_advisory_xact_lock_shared(hashtext('settlement:run'))"


# --- clearing ------------------------------------------------------------------------------------------------


async def min_fee_for(conn: asyncpg.Connection, mcc: str) -> int:
    return await conn.fetchval(
        """
        SELECT coalesce((SELECT min_fee FROM fee_rules WHERE mcc = $1),
                        (SELECT min_fee FROM fee_rules WHERE mcc = '*'), 0)
        """,
        mcc,
    )


async def remember_merchant(conn: asyncpg.Connection, merchant_id: str, mcc: str, fee_rate_bps: int) -> None:
    await conn.execute(
        """
        INSERT INTO merchants (merchant_id, mcc, fee_rate_bps) VALUES ($1, $2, $3)
        ON CONFLICT (merchant_id) DO UPDATE SET mcc = $2, fee_rate_bps = $3, refreshed_at = now()
        """,
        merchant_id, mcc, fee_rate_bps,
    )


async def trade_cleared(conn: asyncpg.Connection, trade_id: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM clearing_entries WHERE kind = 'trade' AND trade_id = $1 LIMIT 1",
                                    trade_id))


async def trade_entry(conn: asyncpg.Connection, trade_id: str) -> dict[str, Any] | None:
    """The trade's entry, locked so refunds of one trade queue, and how much refunds have taken so far (read
    after the lock, so a refund committed meanwhile is counted)."""
    trade = await conn.fetchrow(
        "SELECT * FROM clearing_entries WHERE kind = 'trade' AND trade_id = $1 ORDER BY cleared_at LIMIT 1 FOR UPDATE",
        trade_id,
    )
    if trade is None:
        return None
    refunded = await conn.fetchval(
        "SELECT coalesce(sum(gross), 0)::bigint FROM clearing_entries WHERE kind = 'refund' AND trade_id = $1",
        trade_id,
    )
    return {**dict(trade), "refunded": refunded}


async def refund_cleared(conn: asyncpg.Connection, refund_id: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT true FROM clearing_entries WHERE kind = 'refund' AND refund_id = $1 LIMIT 1", refund_id))


async def insert_entry(conn: asyncpg.Connection, values: dict[str, Any]) -> asyncpg.Record:
    """Insert one clearing entry into the batch of its business day, or, when that day or a later one is already
    settled, into the day after the last settled one (late). Days settle in order, so every day after the last
    settled one is open. Takes the clearing lock so a settlement run cannot freeze the day meanwhile."""
    await conn.execute(CLEAR_LOCK)
    return await conn.fetchrow(
        """
        WITH target AS (
          SELECT greatest($16::date, (SELECT max(business_date) + 1 FROM settlement_days)) AS batch_date
        )
        INSERT INTO clearing_entries (
          entry_id, kind, trade_id, refund_id, event_id, merchant_id, store_id, mall_id, currency, gross, paid,
          discount, fee, commission, net, business_date, batch_date, late, fee_rate_bps, min_fee,
          commission_bps, mcc, rounding_e4, wallet_batch_id, occurred_at)
        SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, target.batch_date,
               target.batch_date <> $16, $17, $18, $19, $20, $21, $22, $23
        FROM target
        RETURNING entry_id, batch_date, late
        """,
        new_id("clr"), values["kind"], values["trade_id"], values.get("refund_id", ""), values["event_id"],
        values["merchant_id"], values["store_id"], values["mall_id"], values["currency"], values["gross"],
        values["paid"], values["discount"], values["fee"], values["commission"], values["net"],
        values["business_date"], values["fee_rate_bps"], values["min_fee"], values["commission_bps"],
        values["mcc"], values.get("rounding_e4", 0), values.get("wallet_batch_id", ""), values["occurred_at"],
    )


async def record_closure(conn: asyncpg.Connection, values: dict[str, Any]) -> None:
    await conn.execute(
        """
        INSERT INTO trade_closures (trade_id, merchant_id, store_id, mall_id, reason, refunded, closed_at, event_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (trade_id) DO NOTHING
        """,
        values["trade_id"], values["merchant_id"], values["store_id"], values["mall_id"], values["reason"],
        values["refunded"], values["closed_at"], values["event_id"],
    )


# --- days and batches ------------------------------------------------------------------------------------------


async def day_status(conn: asyncpg.Connection, day: date) -> str | None:
    return await conn.fetchval("SELECT status FROM settlement_days WHERE business_date = $1", day)


async def earliest_open_day_before(conn: asyncpg.Connection, day: date) -> date | None:
    """The first day before `day` that has entries but no settlement yet. Entries only ever go to days after the
    last settled one (insert_entry), so only those are searched: an index range scan, not the whole history."""
    return await conn.fetchval(
        """
        SELECT min(batch_date) FROM clearing_entries
        WHERE batch_date < $1
          AND batch_date > coalesce((SELECT max(business_date) FROM settlement_days), '-infinity'::date)
        """,
        day,
    )


async def compute_day(conn: asyncpg.Connection, day: date) -> int:
    """Freeze `day`: one batch per merchant from its entries (one pass, grouping sets for the mall lines), the
    carry-in from the merchant's previous batch, and a pending payout for each positive payout. Returns the
    number of batches. Runs under RUN_LOCK in the caller's transaction."""
    await conn.execute(
        """
        CREATE TEMP TABLE day_totals ON COMMIT DROP AS
        SELECT merchant_id, mall_id, grouping(mall_id) AS all_malls, min(currency) AS currency,
               count(*) FILTER (WHERE kind = 'trade')::int AS trade_count,
               count(*) FILTER (WHERE kind = 'refund')::int AS refund_count,
               count(*) FILTER (WHERE late)::int AS late_count,
               coalesce(sum(gross) FILTER (WHERE kind = 'trade'), 0)::bigint AS gross,
               coalesce(sum(gross) FILTER (WHERE kind = 'refund'), 0)::bigint AS refunds,
               sum(CASE WHEN kind = 'trade' THEN discount ELSE -discount END)::bigint AS discounts,
               sum(CASE WHEN kind = 'trade' THEN fee ELSE -fee END)::bigint AS fees,
               sum(CASE WHEN kind = 'trade' THEN commission ELSE -commission END)::bigint AS commission,
               sum(net)::bigint AS net,
               sum(rounding_e4)::bigint AS rounding_e4
        FROM clearing_entries WHERE batch_date = $1
        GROUP BY GROUPING SETS ((merchant_id), (merchant_id, mall_id))
        """,
        day,
    )
    totals = await conn.fetchrow(
        "SELECT count(*)::int AS batches, coalesce(sum(trade_count + refund_count), 0)::int AS entries,"
        " coalesce(sum(late_count), 0)::int AS late FROM day_totals WHERE all_malls = 1"
    )
    await conn.execute(
        "INSERT INTO settlement_days (business_date, status, entry_count, late_count) VALUES ($1, 'computed', $2, $3)",
        day, totals["entries"], totals["late"],
    )
    await conn.execute(
        """
        WITH carry AS (
          SELECT DISTINCT ON (b.merchant_id) b.merchant_id, b.carry_out
          FROM batches b JOIN day_totals t ON t.merchant_id = b.merchant_id AND t.all_malls = 1
          WHERE b.business_date < $1
          ORDER BY b.merchant_id, b.business_date DESC
        ), merged AS (
          SELECT t.*, coalesce(c.carry_out, 0) AS carry_in, t.net + coalesce(c.carry_out, 0) AS payable
          FROM day_totals t LEFT JOIN carry c USING (merchant_id) WHERE t.all_malls = 1
        )
        INSERT INTO batches (batch_id, merchant_id, business_date, currency, status, trade_count, refund_count,
                             late_count, gross, refunds, discounts, fees, commission, net, carry_in, payout,
                             carry_out, rounding_e4)
        SELECT 'stl_' || to_char($1::date, 'YYYYMMDD') || '_' || merchant_id, merchant_id, $1, currency, 'computed',
               trade_count, refund_count, late_count, gross, refunds, discounts, fees, commission, net, carry_in,
               greatest(payable, 0), least(payable, 0), rounding_e4
        FROM merged
        """,
        day,
    )
    await conn.execute(
        """
        INSERT INTO batch_malls (batch_id, mall_id, commission)
        SELECT 'stl_' || to_char($1::date, 'YYYYMMDD') || '_' || merchant_id, mall_id, commission
        FROM day_totals WHERE all_malls = 0 AND mall_id <> '' AND commission <> 0
        """,
        day,
    )
    await conn.execute(
        """
        INSERT INTO payouts (payout_id, batch_id, merchant_id, business_date, currency, amount, bank_name, status)
        SELECT 'pay_' || b.batch_id || '_1', b.batch_id, b.merchant_id, b.business_date, b.currency, b.payout,
               coalesce(m.bank_name, ''), 'pending'
        FROM batches b LEFT JOIN merchants m USING (merchant_id)
        WHERE b.business_date = $1 AND b.payout > 0
        """,
        day,
    )
    return totals["batches"]


BATCH_COLUMNS = """
    b.*, coalesce((SELECT jsonb_object_agg(m.mall_id, m.commission) FROM batch_malls m
                   WHERE m.batch_id = b.batch_id), '{}'::jsonb)::text AS malls
"""


async def batches_to_post(conn: asyncpg.Connection, day: date) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {BATCH_COLUMNS} FROM batches b WHERE b.business_date = $1 AND b.status = 'computed'"
        " ORDER BY b.merchant_id",
        day,
    )


async def mark_posted(conn: asyncpg.Connection, batch_ids: Sequence[str]) -> list[asyncpg.Record]:
    """The batches of `batch_ids` still computed, now posted (a rerun finds them posted and returns none)."""
    return await conn.fetch(
        "UPDATE batches SET status = 'posted', posted_at = now()"
        " WHERE batch_id = ANY($1::text[]) AND status = 'computed' RETURNING *",
        list(batch_ids),
    )


async def mark_day_posted(conn: asyncpg.Connection, day: date) -> None:
    await conn.execute(
        """
        UPDATE settlement_days SET status = 'posted', posted_at = now()
        WHERE business_date = $1 AND status = 'computed'
          AND NOT EXISTS (SELECT 1 FROM batches WHERE business_date = $1 AND status = 'computed')
        """,
        day,
    )


async def day_summary(conn: asyncpg.Connection, day: date) -> asyncpg.Record:
    return await conn.fetchrow(
        """
        SELECT count(*)::int AS batch_count, count(*) FILTER (WHERE status = 'posted')::int AS posted_count,
               coalesce(sum(trade_count + refund_count), 0)::int AS entry_count,
               coalesce(sum(late_count), 0)::int AS late_count,
               coalesce(sum(gross), 0)::bigint AS gross, coalesce(sum(fees), 0)::bigint AS fees,
               coalesce(sum(commission), 0)::bigint AS commission, coalesce(sum(payout), 0)::bigint AS payout,
               count(*) FILTER (WHERE payout > 0)::int AS payout_count
        FROM batches WHERE business_date = $1
        """,
        day,
    )


async def get_batch(conn: asyncpg.Connection, batch_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {BATCH_COLUMNS} FROM batches b WHERE b.batch_id = $1", batch_id)


async def list_batches(
    conn: asyncpg.Connection, merchant_id: str, first: date, last: date, after: tuple[date, str] | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""
        SELECT {BATCH_COLUMNS} FROM batches b
        WHERE b.business_date BETWEEN $2 AND $3 AND ($1 = '' OR b.merchant_id = $1)
          AND ($4::date IS NULL OR (b.business_date, b.merchant_id) > ($4::date, $5::text))
        ORDER BY b.business_date, b.merchant_id LIMIT $6
        """,
        merchant_id, first, last, after[0] if after else None, after[1] if after else "", limit,
    )


async def merchant_known(conn: asyncpg.Connection, merchant_id: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM merchants WHERE merchant_id = $1)"
        " OR EXISTS (SELECT 1 FROM batches WHERE merchant_id = $1)", merchant_id))


async def mall_known(conn: asyncpg.Connection, mall_id: str) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM clearing_entries WHERE mall_id = $1)", mall_id))


# --- statements -------------------------------------------------------------------------------------------------


async def statement_entries(conn: asyncpg.Connection, merchant_id: str, day: date) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT * FROM clearing_entries WHERE batch_date = $1 AND merchant_id = $2
        ORDER BY occurred_at, kind DESC, entry_id
        """,
        day, merchant_id,
    )


async def batch_of(conn: asyncpg.Connection, merchant_id: str, day: date) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM batches WHERE merchant_id = $1 AND business_date = $2",
                               merchant_id, day)


async def mall_statement_entries(conn: asyncpg.Connection, mall_id: str, day: date) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT * FROM clearing_entries WHERE batch_date = $1 AND mall_id = $2
        ORDER BY occurred_at, kind DESC, entry_id
        """,
        day, mall_id,
    )


# --- payouts ------------------------------------------------------------------------------------------------------


async def merchants_without_bank(conn: asyncpg.Connection) -> list[str]:
    return [r["merchant_id"] for r in await conn.fetch(
        "SELECT DISTINCT merchant_id FROM payouts WHERE status = 'pending' AND bank_name = ''")]


async def set_bank(conn: asyncpg.Connection, banks: dict[str, str]) -> None:
    await conn.execute(
        """
        WITH b AS (SELECT * FROM unnest($1::text[], $2::text[]) AS x(merchant_id, bank_name))
        UPDATE payouts p SET bank_name = b.bank_name, updated_at = now()
        FROM b WHERE p.merchant_id = b.merchant_id AND p.status = 'pending'
        """,
        list(banks), list(banks.values()),
    )
    await conn.execute(
        """
        UPDATE merchants m SET bank_name = x.bank_name
        FROM unnest($1::text[], $2::text[]) AS x(merchant_id, bank_name) WHERE m.merchant_id = x.merchant_id
        """,
        list(banks), list(banks.values()),
    )


async def pending_payouts(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM payouts WHERE status = 'pending' ORDER BY bank_name, payout_id FOR UPDATE")


async def mark_sent(conn: asyncpg.Connection, files: dict[str, str]) -> list[asyncpg.Record]:
    """files: payout id -> file name."""
    return await conn.fetch(
        """
        UPDATE payouts p SET status = 'sent', file_name = x.file_name, updated_at = now()
        FROM unnest($1::text[], $2::text[]) AS x(payout_id, file_name)
        WHERE p.payout_id = x.payout_id AND p.status = 'pending'
        RETURNING p.*
        """,
        list(files), list(files.values()),
    )


async def payout_for_update(conn: asyncpg.Connection, payout_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM payouts WHERE payout_id = $1 FOR UPDATE", payout_id)


async def mark_paid(conn: asyncpg.Connection, payout_id: str) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE payouts SET status = 'paid', updated_at = now() WHERE payout_id = $1 RETURNING *", payout_id)


async def fail_and_requeue(conn: asyncpg.Connection, payout_id: str, reason: str
                           ) -> tuple[asyncpg.Record, asyncpg.Record]:
    requeued = await conn.fetchrow(
        """
        INSERT INTO payouts (payout_id, batch_id, merchant_id, business_date, currency, amount, bank_name, status,
                             attempt)
        SELECT 'pay_' || batch_id || '_' || (attempt + 1), batch_id, merchant_id, business_date, currency, amount,
               bank_name, 'pending', attempt + 1
        FROM payouts WHERE payout_id = $1
        RETURNING *
        """,
        payout_id,
    )
    failed = await conn.fetchrow(
        """
        UPDATE payouts SET status = 'failed', failure_reason = $2, requeued_payout_id = $3, updated_at = now()
        WHERE payout_id = $1 RETURNING *
        """,
        payout_id, reason, requeued["payout_id"],
    )
    return failed, requeued


async def list_payouts(
    conn: asyncpg.Connection, day: date | None, status: str, merchant_id: str, after: str, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT * FROM payouts
        WHERE ($1::date IS NULL OR business_date = $1) AND ($2 = '' OR status = $2) AND ($3 = '' OR merchant_id = $3)
          AND payout_id > $4
        ORDER BY payout_id LIMIT $5
        """,
        day, status, merchant_id, after, limit,
    )


# --- reconciliation ------------------------------------------------------------------------------------------------

RECON_COLUMNS = ("business_date", "subject_kind", "subject_id", "trade_id", "merchant_id", "amount")


async def load_side(conn: asyncpg.Connection, table: str, day: date, records: Sequence[domain.Record]) -> None:
    """Replace what one side (recon_gateway / recon_ledger) said about `day` with `records` (COPY)."""
    assert table in ("recon_gateway", "recon_ledger")
    await conn.execute(f"DELETE FROM {table} WHERE business_date = $1", day)
    await conn.copy_records_to_table(
        table, columns=RECON_COLUMNS,
        records=[(day, r.subject_kind, r.subject_id, r.trade_id, r.merchant_id, r.amount) for r in records],
    )


@dataclass(frozen=True)
class ReconTotals:
    counts: dict[str, int]
    matched: int
    findings: list[domain.Finding]


RECONCILE_SQL = """
WITH sides AS (
  SELECT 'gateway' AS side, subject_kind, subject_id, trade_id, merchant_id, amount
  FROM recon_gateway WHERE business_date = $1
  UNION ALL
  SELECT 'ledger', subject_kind, subject_id, trade_id, merchant_id, amount FROM recon_ledger WHERE business_date = $1
  UNION ALL
  SELECT 'clearing', kind COLLATE "C", CASE WHEN kind = 'trade' THEN trade_id ELSE refund_id END, trade_id,
         merchant_id, gross
  FROM clearing_entries WHERE business_date = $1
), joined AS (
  -- One hash aggregate over the three sides instead of full joins: a row per subject with each side's amount.
  SELECT subject_kind, subject_id,
         coalesce(min(nullif(trade_id, '')), '') AS trade_id,
         coalesce(min(nullif(merchant_id, '')), '') AS merchant_id,
         sum(amount) FILTER (WHERE side = 'gateway')::bigint AS gateway_amount,
         sum(amount) FILTER (WHERE side = 'ledger')::bigint AS ledger_amount,
         sum(amount) FILTER (WHERE side = 'clearing')::bigint AS clearing_amount,
         count(*) FILTER (WHERE side = 'clearing') AS clearing_n
  FROM sides GROUP BY subject_kind, subject_id
), flagged AS (
  SELECT * FROM joined
  WHERE gateway_amount IS NULL OR ledger_amount IS NULL OR clearing_amount IS NULL OR clearing_n > 1
     OR gateway_amount <> ledger_amount OR ledger_amount <> clearing_amount
), findings AS (
  SELECT j.*, k.kind, CASE
      WHEN k.side <> '' THEN j.subject_kind || ' ' || j.subject_id || ' not in ' || k.side || ': ' || d.described
      WHEN k.kind = 'DUPLICATE_CLEARING' THEN j.clearing_n || ' clearing entries for ' || j.subject_kind || ' '
                                              || j.subject_id
      ELSE 'amounts differ: ' || d.described END AS reason
  FROM flagged j
  CROSS JOIN LATERAL (
    SELECT 'MISSING_IN_GATEWAY' AS kind, 'gateway' AS side WHERE j.gateway_amount IS NULL
    UNION ALL SELECT 'MISSING_IN_LEDGER', 'ledger' WHERE j.ledger_amount IS NULL
    UNION ALL SELECT 'MISSING_IN_CLEARING', 'clearing' WHERE j.clearing_amount IS NULL
    UNION ALL SELECT 'DUPLICATE_CLEARING', '' WHERE j.clearing_n > 1
    UNION ALL SELECT 'AMOUNT_MISMATCH', '' WHERE j.clearing_n = 1 AND j.gateway_amount IS NOT NULL
      AND j.ledger_amount IS NOT NULL
      AND NOT (j.gateway_amount = j.ledger_amount AND j.ledger_amount = j.clearing_amount)
  ) AS k(kind, side)
  CROSS JOIN LATERAL (SELECT concat_ws(', ', 'gateway ' || j.gateway_amount, 'ledger ' || j.ledger_amount,
                                       'clearing ' || j.clearing_amount) AS described) d
), counts AS (
  SELECT count(gateway_amount)::int AS gateway_count, count(ledger_amount)::int AS ledger_count,
         count(clearing_amount)::int AS clearing_count, count(*)::int AS subjects
  FROM joined
)
SELECT counts.gateway_count, counts.ledger_count, counts.clearing_count,
       counts.subjects - (SELECT count(*) FROM flagged)::int AS matched,
       coalesce((SELECT jsonb_agg(jsonb_build_array(subject_kind, subject_id, trade_id, merchant_id, kind, reason,
                                                    gateway_amount, ledger_amount, clearing_amount)
                                  ORDER BY subject_kind, subject_id, kind) FROM findings), '[]')::text AS findings
FROM counts
"""


async def reconcile_day(conn: asyncpg.Connection, day: date) -> ReconTotals:
    row = await conn.fetchrow(RECONCILE_SQL, day)
    findings = [domain.Finding(*item) for item in json.loads(row["findings"])]
    counts = {"gateway": row["gateway_count"], "ledger": row["ledger_count"], "clearing": row["clearing_count"]}
    return ReconTotals(counts, row["matched"], findings)


async def upsert_discrepancies(conn: asyncpg.Connection, day: date, findings: Sequence[domain.Finding]
                               ) -> list[asyncpg.Record]:
    """Store the findings; one that is already known (open or resolved) is seen again, not duplicated.
    Returns every row with `fresh` true for those found for the first time."""
    if not findings:
        return []
    columns = list(zip(*[(f.subject_kind, f.subject_id, f.trade_id, f.merchant_id, f.kind, f.reason,
                          f.gateway_amount, f.ledger_amount, f.clearing_amount) for f in findings], strict=True))
    return await conn.fetch(
        """
        INSERT INTO discrepancies (discrepancy_id, business_date, subject_kind, subject_id, trade_id, merchant_id,
                                   kind, reason, gateway_amount, ledger_amount, clearing_amount)
        SELECT 'dsc_' || md5(to_char($1::date, 'YYYYMMDD') || x.subject_kind || x.subject_id || x.kind), $1::date, x.*
        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[],
                    $9::bigint[], $10::bigint[]) AS x(subject_kind, subject_id, trade_id, merchant_id, kind, reason,
                                                      gateway_amount, ledger_amount, clearing_amount)
        ON CONFLICT (business_date, subject_kind, subject_id, kind) DO UPDATE
          SET last_seen_at = now(), reason = EXCLUDED.reason, gateway_amount = EXCLUDED.gateway_amount,
              ledger_amount = EXCLUDED.ledger_amount, clearing_amount = EXCLUDED.clearing_amount
        RETURNING *, (xmax = 0) AS fresh
        """,
        day, *[list(c) for c in columns],
    )


async def list_discrepancies(
    conn: asyncpg.Connection, day: date | None, status: str, after: str, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT * FROM discrepancies
        WHERE ($1::date IS NULL OR business_date = $1) AND ($2 = '' OR status = $2) AND discrepancy_id > $3
        ORDER BY discrepancy_id LIMIT $4
        """,
        day, status, after, limit,
    )


async def resolve_discrepancy(conn: asyncpg.Connection, discrepancy_id: str, resolution: str,
                              resolved_by: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """
        UPDATE discrepancies SET status = 'resolved', resolution = $2, resolved_by = $3, resolved_at = now()
        WHERE discrepancy_id = $1 AND status = 'open' RETURNING *
        """,
        discrepancy_id, resolution, resolved_by,
    )


async def get_discrepancy(conn: asyncpg.Connection, discrepancy_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM discrepancies WHERE discrepancy_id = $1", discrepancy_id)
