"""Money math of settlement: fees, commission, refunds, batch totals, carry forward, ledger legs, days and the
pure three-way reconciliation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.kit.config import ConfigError
from services.kit.errors import InvalidArgument
from services.settlement import domain, runs
from services.settlement.domain import Entry, Rates, Record

rates_st = st.builds(
    Rates,
    fee_rate_bps=st.integers(0, 1000),
    commission_bps=st.integers(0, 3000),
    min_fee=st.sampled_from([0, 0, 1, 10, 100]),
)
gross_st = st.integers(1, 10**10)


def half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


@given(gross_st, rates_st)
def test_trade_parts_add_up_to_gross(gross: int, rates: Rates) -> None:
    c = domain.trade_charges(gross, rates)
    assert c.fee + c.commission + c.net == gross
    assert 0 <= c.fee <= gross and 0 <= c.commission and c.net >= 0


@given(gross_st, st.integers(0, 1000))
def test_fee_is_rate_of_gross_rounded_half_up_and_remainder_booked(gross: int, bps: int) -> None:
    c = domain.trade_charges(gross, Rates(bps))
    exact = Fraction(gross * bps, 10_000)
    assert c.fee == half_up(exact)
    assert Fraction(c.fee) + Fraction(c.rounding_e4, 10_000) == exact
    assert abs(c.rounding_e4) <= 5_000


def test_half_up_rounding_and_minimum_fee() -> None:
    assert domain.trade_charges(250, Rates(20)).fee == 1  # 0.5 fen rounds up
    assert domain.trade_charges(249, Rates(20)).fee == 0  # 0.498 rounds down
    assert domain.trade_charges(1000, Rates(60, min_fee=10)).fee == 10
    assert domain.trade_charges(5, Rates(60, min_fee=10)).fee == 5  # never above the trade
    mall = domain.trade_charges(100_000, Rates(60, commission_bps=300))
    assert (mall.fee, mall.commission, mall.net) == (600, 3000, 96_400)


trade_with_refunds_st = st.tuples(gross_st, rates_st, st.lists(st.integers(1, 10**10), max_size=5)).map(
    lambda t: (t[0], t[1], _clip_refunds(t[0], t[2]))
)


def _clip_refunds(gross: int, asks: list[int]) -> list[int]:
    out, left = [], gross
    for ask in asks:
        amount = min(ask, left)
        if amount <= 0:
            break
        out.append(amount)
        left -= amount
    return out


def entries_for(trade_id: str, gross: int, rates: Rates, refunds: list[int], merchant: str = "mch_a",
                mall: str = "") -> list[Entry]:
    if not mall:  # a street store owes no commission
        rates = replace(rates, commission_bps=0)
    c = domain.trade_charges(gross, rates)
    discount = gross // 3
    out = [Entry("trade", merchant, gross, discount, c.fee, c.commission, c.net, mall, c.rounding_e4)]
    before = 0
    for amount in refunds:
        r = domain.refund_returns(gross, c.fee, c.commission, before, amount)
        out.append(Entry("refund", merchant, amount, 0, r.fee_returned, r.commission_returned, r.net, mall))
        before += amount
    return out


@given(trade_with_refunds_st)
def test_refunds_return_fee_in_proportion_and_full_refund_returns_all(case: tuple[int, Rates, list[int]]) -> None:
    gross, rates, refunds = case
    c = domain.trade_charges(gross, rates)
    entries = entries_for("t", gross, rates, refunds, mall="mal_1")
    returned_fee = sum(e.fee for e in entries[1:])
    returned_commission = sum(e.commission for e in entries[1:])
    refunded = sum(refunds)
    assert returned_fee == half_up(Fraction(c.fee * refunded, gross))
    assert returned_commission == half_up(Fraction(c.commission * refunded, gross))
    if refunded == gross:
        assert (returned_fee, returned_commission) == (c.fee, c.commission)
        assert sum(e.net for e in entries) == 0


@settings(max_examples=200)
@given(st.lists(st.tuples(trade_with_refunds_st, st.sampled_from(["mch_a", "mch_b"]),
                          st.sampled_from(["", "mal_1", "mal_2"])), max_size=12))
def test_batch_parts_add_up_to_the_gross_to_the_fen(trades: list) -> None:
    entries = [e for i, ((g, r, refunds), m, mall) in enumerate(trades)
               for e in entries_for(f"t{i}", g, r, refunds, m, mall)]
    for merchant, t in domain.batch_totals(entries).items():
        mine = [e for e in entries if e.merchant_id == merchant]
        assert t.gross == sum(e.gross for e in mine if e.kind == "trade")
        assert t.refunds + t.fees + t.commission + t.net == t.gross
        assert t.net == sum(e.net for e in mine)
        assert sum(t.malls.values()) == sum(domain.signed(e, e.commission) for e in mine if e.mall_id)
        assert t.commission == sum(t.malls.values())


@given(st.lists(st.integers(-10**6, 10**6), min_size=1, max_size=10))
def test_carry_forward_pays_out_every_fen_over_days(nets: list[int]) -> None:
    carry, paid = 0, 0
    for net in nets:
        s = domain.settle(net, carry)
        assert s.payout >= 0 and s.carry_out <= 0 and s.payout + s.carry_out == net + carry
        paid += s.payout
        carry = s.carry_out
    assert paid + carry == sum(nets)


@given(st.integers(-10**6, 10**6), st.dictionaries(st.sampled_from(["mal_1", "mal_2"]), st.integers(-10**5, 10**5)),
       st.integers(-10**6, 10**6), st.integers(-10**6, 0))
def test_legs_sweep_exactly_gross_minus_refunds_and_credit_first(fees: int, malls: dict[str, int], net: int,
                                                                  carry_in: int) -> None:
    s = domain.settle(net, carry_in)
    legs = domain.batch_legs(fees, malls, s.payout, carry_in, s.carry_out)
    change = sum(leg.amount if leg.credit == domain.RECEIVABLE else -leg.amount for leg in legs)
    intake = net + fees + sum(malls.values())  # gross - refunds
    assert change == -intake
    assert all(leg.amount > 0 for leg in legs)
    kinds = [leg.credit == domain.RECEIVABLE for leg in legs]
    assert kinds == sorted(kinds, reverse=True)  # every credit to the receivable before any debit
    # Posted in the second round exactly when the batch gives fees or commission back (runs.Settler.post).
    assert domain.draws_on_platform(legs) == (fees < 0 or any(amount < 0 for amount in malls.values()))


def test_business_day_is_shanghai_and_t_plus_one() -> None:
    late_utc = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 March in Shanghai
    assert domain.business_date(late_utc) == date(2026, 3, 2)
    start, end = domain.day_bounds(date(2026, 3, 2))
    assert start == datetime(2026, 3, 1, 16, 0, tzinfo=UTC) and (end - start).days == 1
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert domain.parse_closed_day("2026-03-01", now) == date(2026, 3, 1)
    for bad in ("2026-03-02", "2026-04-01", "yesterday", "2026-02-30", ""):
        with pytest.raises(InvalidArgument) as err:
            domain.parse_closed_day(bad, now)
        assert err.value.field == "business_date"


def rec(kind: str, sid: str, amount: int, merchant: str = "mch_a") -> Record:
    return Record(kind, sid, sid, merchant, amount)


def test_reconcile_finds_missing_duplicates_and_one_fen_mismatch() -> None:
    gateway = [rec("trade", t, 1000) for t in ("t1", "t2", "t3", "t4", "t5")]
    ledger = [rec("trade", "t1", 600), rec("trade", "t1", 400), rec("trade", "t2", 1000), rec("trade", "t4", 1000),
              rec("trade", "t5", 1000), rec("trade", "t9", 50)]
    clearing = [rec("trade", "t1", 1000), rec("trade", "t2", 999), rec("trade", "t3", 1000),
                rec("trade", "t4", 1000), rec("trade", "t4", 1000)]
    result = domain.reconcile(gateway, ledger, clearing)
    got = {(f.subject_id, f.kind) for f in result.findings}
    assert got == {("t2", "AMOUNT_MISMATCH"), ("t3", "MISSING_IN_LEDGER"), ("t4", "DUPLICATE_CLEARING"),
                   ("t5", "MISSING_IN_CLEARING"), ("t9", "MISSING_IN_GATEWAY"), ("t9", "MISSING_IN_CLEARING")}
    assert result.matched == 1  # t1: the ledger's paid part and discount add up to the gross
    mismatch = next(f for f in result.findings if f.kind == "AMOUNT_MISMATCH")
    assert (mismatch.gateway_amount, mismatch.ledger_amount, mismatch.clearing_amount) == (1000, 1000, 999)
    assert "clearing 999" in mismatch.reason
    assert result.counts == {"gateway": 5, "ledger": 5, "clearing": 4}


subject_st = st.sampled_from(["t1", "t2", "t3", "t4"])
side_st = st.lists(st.builds(lambda s, a: rec("trade", s, a), subject_st, st.sampled_from([999, 1000])), max_size=6)


@given(side_st, side_st, side_st)
def test_reconcile_accounts_for_every_subject(gateway: list, ledger: list, clearing: list) -> None:
    result = domain.reconcile(gateway, ledger, clearing)
    subjects = {r.subject_id for r in gateway + ledger + clearing}
    flagged = {f.subject_id for f in result.findings}
    assert result.matched + len(flagged) == len(subjects)
    for s in subjects - flagged:
        amounts = [sum(r.amount for r in side if r.subject_id == s) for side in (gateway, ledger, clearing)]
        assert len(set(amounts)) == 1 and sum(r.subject_id == s for r in clearing) == 1


def test_daily_run_time_is_read_from_the_environment() -> None:
    assert runs.auto_run_time("02:00") == time(2, 0)
    assert runs.auto_run_time("off") is None
    with pytest.raises(ConfigError):
        runs.auto_run_time("25:00")


def test_payout_file_names_keep_the_bank_name() -> None:
    assert runs.safe_name("中国工商银行") == "中国工商银行"
    assert runs.safe_name("Bank of China / Shanghai") == "Bank_of_China_Shanghai"
    assert runs.safe_name("../..") == "UNKNOWN"


def test_today_is_refused_unless_same_day_settlement_is_switched_on() -> None:
    from datetime import UTC, datetime

    import pytest

    from services.kit.errors import InvalidArgument
    from services.settlement import domain as settlement_domain

    noon_shanghai = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)
    with pytest.raises(InvalidArgument, match="not over yet"):
        settlement_domain.parse_closed_day("2026-11-11", now=noon_shanghai)
    assert str(settlement_domain.parse_closed_day("2026-11-11", now=noon_shanghai, same_day=True)) == "2026-11-11"
    with pytest.raises(InvalidArgument, match="not over yet"):
        settlement_domain.parse_closed_day("2026-11-12", now=noon_shanghai, same_day=True)
    assert str(settlement_domain.parse_closed_day("2026-11-10", now=noon_shanghai)) == "2026-11-10"
