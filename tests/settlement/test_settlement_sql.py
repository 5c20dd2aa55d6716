"""The set-based SQL of batches and reconciliation gives the same answers as the pure rules in domain.py."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.kit.ids import new_id
from services.settlement import domain, runs, store
from services.settlement.domain import Rates, Record

pytestmark = pytest.mark.asyncio(loop_scope="session")
# Each example gets a day of its own, far from the days other settlement tests use.
_days = itertools.count()
BASE_DAY = date(2001, 1, 1)


class Rollback(Exception):
    """Raised to roll back an example's transaction after its checks passed."""


def next_day() -> date:
    return BASE_DAY + timedelta(days=next(_days))


async def insert(conn: asyncpg.Connection, day: date, kind: str, trade_id: str, merchant: str, mall: str,
                 gross: int, discount: int, fee: int, commission: int, net: int, rounding: int = 0,
                 late: bool = False, refund_id: str = "") -> None:
    await conn.execute(
        """
        INSERT INTO clearing_entries (entry_id, kind, trade_id, refund_id, event_id, merchant_id, mall_id, currency,
          gross, paid, discount, fee, commission, net, fee_rate_bps, rounding_e4, occurred_at, business_date,
          batch_date, late)
        VALUES ($1, $2, $3, $4, $5, $6, $7, 'CNY', $8, $8::bigint - $9::bigint, $9, $10, $11, $12, 60, $13, $14,
                $15, $15, $16)
        """,
        new_id("clr"), kind, trade_id, refund_id or (new_id("rfd") if kind == "refund" else ""), new_id("evt"),
        merchant, mall,
        gross, discount, fee, commission, net, rounding, datetime.now(UTC), day, late,
    )


trade_st = st.tuples(
    st.integers(1, 10**9), st.integers(0, 1000), st.integers(0, 3000), st.sampled_from(["mch_a", "mch_b", "mch_c"]),
    st.sampled_from(["", "mal_1", "mal_2"]), st.lists(st.integers(1, 10**9), max_size=3), st.booleans(),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(trade_st, min_size=1, max_size=8), st.integers(-10**6, 0))
async def test_sql_batches_equal_domain_totals(pool_for: Callable[[str], Awaitable[asyncpg.Pool]],
                                               trades: list, carry: int) -> None:
    pool = await pool_for("settlement")
    day = next_day()
    entries: list[domain.Entry] = []
    async with pool.acquire() as conn:
        with pytest.raises(Rollback):
            async with conn.transaction():
                # A previous batch of mch_a whose carry the day must take.
                prev = day - timedelta(days=20_000)
                await conn.execute("INSERT INTO settlement_days VALUES ($1, 'posted', 0, 0, now(), now())"
                                   " ON CONFLICT DO NOTHING", prev)
                await conn.execute(
                    """
                    INSERT INTO batches (batch_id, merchant_id, business_date, currency, status, trade_count,
                      refund_count, late_count, gross, refunds, discounts, fees, commission, net, carry_in, payout,
                      carry_out, rounding_e4)
                    VALUES ($1, 'mch_a', $2, 'CNY', 'posted', 0, 1, 0, 0, -$3::bigint, 0, 0, 0, $3, 0, 0, $3, 0)
                    """, domain.batch_id("mch_a", prev) + new_id("x"), prev, carry)
                for i, (gross, bps, mall_bps, merchant, mall, asks, late) in enumerate(trades):
                    rates = Rates(bps, mall_bps if mall else 0)
                    c = domain.trade_charges(gross, rates)
                    discount = gross // 4
                    entries.append(domain.Entry("trade", merchant, gross, discount, c.fee, c.commission, c.net, mall,
                                                c.rounding_e4, late))
                    await insert(conn, day, "trade", f"t{i}", merchant, mall, gross, discount, c.fee, c.commission,
                                 c.net, c.rounding_e4, late)
                    before = 0
                    for ask in asks:
                        amount = min(ask, gross - before)
                        if amount <= 0:
                            break
                        r = domain.refund_returns(gross, c.fee, c.commission, before, amount)
                        entries.append(domain.Entry("refund", merchant, amount, 0, r.fee_returned,
                                                    r.commission_returned, r.net, mall))
                        await insert(conn, day, "refund", f"t{i}", merchant, mall, amount, 0, r.fee_returned,
                                     r.commission_returned, r.net)
                        before += amount
                count = await store.compute_day(conn, day)
                expected = domain.batch_totals(entries)
                assert count == len(expected)
                for merchant, t in expected.items():
                    b = await store.batch_of(conn, merchant, day)
                    assert (b["gross"], b["refunds"], b["discounts"], b["fees"], b["commission"], b["net"]) == (
                        t.gross, t.refunds, t.discounts, t.fees, t.commission, t.net)
                    assert (b["trade_count"], b["refund_count"], b["late_count"], b["rounding_e4"]) == (
                        t.trade_count, t.refund_count, t.late_count, t.rounding_e4)
                    s = domain.settle(t.net, carry if merchant == "mch_a" else 0)
                    assert (b["carry_in"], b["payout"], b["carry_out"]) == (
                        carry if merchant == "mch_a" else 0, s.payout, s.carry_out)
                    malls = {r["mall_id"]: r["commission"] for r in await conn.fetch(
                        "SELECT * FROM batch_malls WHERE batch_id = $1", b["batch_id"])}
                    assert malls == {k: v for k, v in t.malls.items() if v}
                    payout = await conn.fetchval("SELECT amount FROM payouts WHERE batch_id = $1", b["batch_id"])
                    assert payout == (s.payout or None)
                raise Rollback


side_st = st.lists(st.tuples(st.sampled_from(["trade", "refund"]), st.sampled_from(["1", "2", "3", "4"]),
                             st.sampled_from([500, 999, 1000])), max_size=7)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(side_st, side_st, side_st)
async def test_sql_reconciliation_equals_domain(pool_for: Callable[[str], Awaitable[asyncpg.Pool]],
                                                gateway: list, ledger: list, clearing: list) -> None:
    pool = await pool_for("settlement")
    day = next_day()

    def records(side: list) -> list[Record]:
        """Refund n belongs to trade n; ids are unique to the example's day."""
        return [Record(kind, f"{day}-{kind}-{n}", f"{day}-trade-{n}", "mch_a", amount) for kind, n, amount in side]

    async with pool.acquire() as conn:
        with pytest.raises(Rollback):
            async with conn.transaction():
                for r in records(clearing):
                    await insert(conn, day, r.subject_kind, r.trade_id, "mch_a", "", r.amount, 0, 0, 0, r.amount,
                                 refund_id=r.subject_id if r.subject_kind == "refund" else "")
                await store.load_side(conn, "recon_gateway", day, records(gateway))
                await store.load_side(conn, "recon_ledger", day, records(ledger))
                result = await runs.match_and_store(conn, day)
                reference = domain.reconcile(records(gateway), records(ledger), records(clearing))
                assert sorted(result.totals.findings, key=repr) == sorted(reference.findings, key=repr)
                assert result.totals.matched == reference.matched
                assert result.totals.counts == {k: len({(r.subject_kind, r.subject_id) for r in side}) for k, side in (
                    ("gateway", records(gateway)), ("ledger", records(ledger)), ("clearing", records(clearing)))}
                assert result.fresh == len(reference.findings)
                raise Rollback
