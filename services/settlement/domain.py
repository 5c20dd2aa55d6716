"""Settlement rules, pure: fees, mall commission, refunds, batch totals, carry forward, business days,
ledger legs of a batch and the three-way reconciliation. No I/O here; store.py mirrors the batch and
reconciliation rules in set-based SQL, and the tests hold both to the same answers.

All amounts are integer fen. Rates are basis points (1 bps = 1/10000).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..kit.errors import InvalidArgument

SHANGHAI = ZoneInfo("Asia/Shanghai")
BPS = 10_000
MAX_FEN = 2**63 - 1
MAX_RATE_BPS = BPS
SETTLEMENT_CURRENCY = "CNY"


# --- money ----------------------------------------------------------------------------------------------


def div_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for numerator >= 0 and denominator > 0."""
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class Rates:
    """The rates applied to one trade, recorded on its clearing entry."""

    fee_rate_bps: int
    commission_bps: int = 0
    min_fee: int = 0
    mcc: str = ""


@dataclass(frozen=True)
class TradeCharges:
    """What one trade owes: fee and mall commission; net is the merchant's share. gross = fee + commission + net.

    rounding_e4 is (exact - rounded) of fee and commission together, in 1/10000 fen: the remainder booked.
    """

    fee: int
    commission: int
    net: int
    rounding_e4: int


def trade_charges(gross: int, rates: Rates) -> TradeCharges:
    """Fee = rate of gross rounded half up, at least the minimum fee, never above gross; commission = mall
    rate of gross rounded half up, never above what the fee leaves. The merchant keeps the rest."""
    exact_fee_e4 = gross * rates.fee_rate_bps
    fee = div_half_up(exact_fee_e4, BPS)
    fee_rounding = exact_fee_e4 - fee * BPS
    if fee < rates.min_fee:
        # The minimum is a rule, not a rounding: nothing remains to book.
        fee, fee_rounding = rates.min_fee, 0
    if fee > gross:
        fee, fee_rounding = gross, 0
    exact_commission_e4 = gross * rates.commission_bps
    commission = div_half_up(exact_commission_e4, BPS)
    commission_rounding = exact_commission_e4 - commission * BPS
    if commission > gross - fee:
        commission, commission_rounding = gross - fee, 0
    return TradeCharges(fee, commission, gross - fee - commission, fee_rounding + commission_rounding)


@dataclass(frozen=True)
class RefundReturns:
    """What a refund gives back to the merchant: the refunded amount less the fee and commission returned."""

    fee_returned: int
    commission_returned: int
    net: int  # signed effect on the merchant: -(amount - fee_returned - commission_returned)


def refund_returns(
    trade_gross: int, trade_fee: int, trade_commission: int, refunded_before: int, amount: int
) -> RefundReturns:
    """Fee and commission come back in proportion to the refunded amount.

    Computed on the cumulative refunded amount (round(fee * refunded_after / gross) minus the same before),
    so several partial refunds never lose or invent a fen and a full refund returns the fee exactly.
    """
    after = refunded_before + amount
    fee_back = div_half_up(trade_fee * after, trade_gross) - div_half_up(trade_fee * refunded_before, trade_gross)
    commission_back = div_half_up(trade_commission * after, trade_gross) - div_half_up(
        trade_commission * refunded_before, trade_gross
    )
    return RefundReturns(fee_back, commission_back, -(amount - fee_back - commission_back))


# --- clearing entries and batches -------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One clearing entry as batches see it. For a refund, gross is the refunded amount (positive), fee and
    commission what it returned, discount the discount part given back to the campaign."""

    kind: str  # "trade" | "refund"
    merchant_id: str
    gross: int
    discount: int
    fee: int
    commission: int
    net: int
    mall_id: str = ""
    rounding_e4: int = 0
    late: bool = False


def signed(entry: Entry, amount: int) -> int:
    return amount if entry.kind == "trade" else -amount


@dataclass(frozen=True)
class Settlement:
    """Payable = net + carry_in; the payout is what is positive of it, the rest carries forward."""

    payable: int
    payout: int
    carry_out: int


def settle(net: int, carry_in: int) -> Settlement:
    payable = net + carry_in
    return Settlement(payable, max(payable, 0), min(payable, 0))


@dataclass
class BatchTotals:
    merchant_id: str
    trade_count: int = 0
    refund_count: int = 0
    late_count: int = 0
    gross: int = 0
    refunds: int = 0
    discounts: int = 0
    fees: int = 0
    commission: int = 0
    net: int = 0
    rounding_e4: int = 0
    malls: dict[str, int] = field(default_factory=dict)


def batch_totals(entries: Iterable[Entry]) -> dict[str, BatchTotals]:
    """Per merchant totals of one day's entries (the reference for store.compute_batches' SQL)."""
    out: dict[str, BatchTotals] = {}
    for e in entries:
        t = out.setdefault(e.merchant_id, BatchTotals(e.merchant_id))
        if e.kind == "trade":
            t.trade_count += 1
            t.gross += e.gross
        else:
            t.refund_count += 1
            t.refunds += e.gross
        t.late_count += e.late
        t.discounts += signed(e, e.discount)
        t.fees += signed(e, e.fee)
        t.commission += signed(e, e.commission)
        t.net += e.net
        t.rounding_e4 += e.rounding_e4
        if e.mall_id:
            t.malls[e.mall_id] = t.malls.get(e.mall_id, 0) + signed(e, e.commission)
    return out


# --- ledger legs -------------------------------------------------------------------------------------------

RECEIVABLE = "merchant_receivable"
PAYABLE = "merchant_payable"
FEE_REVENUE = "fee_revenue"
MALL_COMMISSION = "mall_commission_payable"
CARRY_ADVANCE = "carry_advance"
PAYOUT_BANK = "payout_bank"


@dataclass(frozen=True)
class Leg:
    """One ledger transfer of a batch between named accounts (owner is the mall for mall legs)."""

    name: str
    debit: str
    credit: str
    amount: int
    owner: str = ""


def batch_legs(fees: int, malls: dict[str, int], payout: int, carry_in: int, carry_out: int) -> list[Leg]:
    """The transfers that post a batch, credits to the receivable first so it never dips below zero.

    The receivable gives up exactly the day's gross - refunds: fees and commission (or takes back what
    refunds returned), the payout, and for a negative payable the platform advances the shortfall
    (carry_advance), which the merchant's next batch repays before its payout.
    """
    credits: list[Leg] = []
    debits: list[Leg] = []
    if fees < 0:
        credits.append(Leg("fee", FEE_REVENUE, RECEIVABLE, -fees))
    elif fees > 0:
        debits.append(Leg("fee", RECEIVABLE, FEE_REVENUE, fees))
    for mall_id, amount in sorted(malls.items()):
        if amount < 0:
            credits.append(Leg(f"mall:{mall_id}", MALL_COMMISSION, RECEIVABLE, -amount, mall_id))
        elif amount > 0:
            debits.append(Leg(f"mall:{mall_id}", RECEIVABLE, MALL_COMMISSION, amount, mall_id))
    if carry_out < 0:
        credits.append(Leg("carry_advance", CARRY_ADVANCE, RECEIVABLE, -carry_out))
    if carry_in < 0:
        debits.insert(0, Leg("carry_repay", RECEIVABLE, CARRY_ADVANCE, -carry_in))
    if payout > 0:
        debits.append(Leg("payout", RECEIVABLE, PAYABLE, payout))
    return credits + debits


def draws_on_platform(legs: Sequence[Leg]) -> bool:
    """True when a batch takes money out of the platform's fee revenue or a mall's commission account."""
    return any(leg.debit in (FEE_REVENUE, MALL_COMMISSION) for leg in legs)


def payout_paid_leg(amount: int, bank_name: str) -> Leg:
    """The bank paid the merchant: the money leaves the merchant payable for the bank's clearing account."""
    return Leg("paid", PAYABLE, PAYOUT_BANK, amount, bank_name)


# --- business days -------------------------------------------------------------------------------------------


def business_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a business day, in UTC."""
    start = datetime.combine(day, time.min, SHANGHAI)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def today_in_shanghai(now: datetime | None = None) -> date:
    return business_date(now or datetime.now(UTC))


def parse_date(raw: str, field_name: str = "business_date") -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidArgument(f"{field_name}: {raw!r} is not a date (YYYY-MM-DD)", field=field_name) from None


def parse_closed_day(raw: str, now: datetime | None = None, field_name: str = "business_date",
                     same_day: bool = False) -> date:
    """A business day that is over (T+1): today and later days are refused. `same_day` (a local/demo setting)
    also admits today: the day freezes when it is settled and later events go to the next day, flagged late."""
    day = parse_date(raw, field_name)
    today = today_in_shanghai(now)
    if day > today or (day == today and not same_day):
        raise InvalidArgument(
            f"{field_name}: {day} is not over yet in Asia/Shanghai (today is {today}); days settle T+1",
            field=field_name, reason="DAY_NOT_OVER",
        )
    return day


def batch_id(merchant_id: str, day: date) -> str:
    return f"stl_{day:%Y%m%d}_{merchant_id}"


# --- reconciliation -------------------------------------------------------------------------------------------

MISSING_IN_GATEWAY = "MISSING_IN_GATEWAY"
MISSING_IN_LEDGER = "MISSING_IN_LEDGER"
MISSING_IN_CLEARING = "MISSING_IN_CLEARING"
AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
DUPLICATE_CLEARING = "DUPLICATE_CLEARING"
SIDES = ("gateway", "ledger", "clearing")


@dataclass(frozen=True)
class Record:
    """What one side says about a trade (subject_kind "trade") or a refund ("refund")."""

    subject_kind: str
    subject_id: str
    trade_id: str
    merchant_id: str
    amount: int


@dataclass(frozen=True)
class Finding:
    subject_kind: str
    subject_id: str
    trade_id: str
    merchant_id: str
    kind: str
    reason: str
    gateway_amount: int | None
    ledger_amount: int | None
    clearing_amount: int | None


@dataclass(frozen=True)
class Reconciliation:
    counts: dict[str, int]
    matched: int
    findings: list[Finding]

    def count(self, kind: str) -> int:
        return sum(1 for f in self.findings if f.kind == kind)


def reconcile(gateway: Sequence[Record], ledger: Sequence[Record], clearing: Sequence[Record]) -> Reconciliation:
    """Three-way match by (subject kind, id). The ledger may hold several transfers for one trade (paid part
    and discount), so its amounts add up; the gateway and clearing must hold one record each.

    A subject absent from a side is missing there; more than one clearing entry is a duplicate; otherwise
    all present amounts must agree. A subject is matched when on all three sides with one amount.
    """
    sides: dict[str, dict[tuple[str, str], list[Record]]] = {s: defaultdict(list) for s in SIDES}
    for name, records in zip(SIDES, (gateway, ledger, clearing), strict=True):
        for r in records:
            sides[name][(r.subject_kind, r.subject_id)].append(r)
    keys = sorted(set().union(*(s.keys() for s in sides.values())))
    findings: list[Finding] = []
    matched = 0
    for key in keys:
        found = _findings_for(key, {name: sides[name].get(key, []) for name in SIDES})
        findings.extend(found)
        matched += not found
    counts = {name: len(sides[name]) for name in SIDES}
    return Reconciliation(counts, matched, findings)


def _findings_for(key: tuple[str, str], present: dict[str, list[Record]]) -> list[Finding]:
    amounts = {name: (sum(r.amount for r in rs) if rs else None) for name, rs in present.items()}
    records = [r for rs in present.values() for r in rs]
    # The sides agree on these unless something is badly wrong; the smallest non-empty one names the finding.
    trade_id = min((r.trade_id for r in records if r.trade_id), default="")
    merchant_id = min((r.merchant_id for r in records if r.merchant_id), default="")

    def finding(kind: str, reason: str) -> Finding:
        return Finding(key[0], key[1], trade_id, merchant_id, kind, reason,
                       amounts["gateway"], amounts["ledger"], amounts["clearing"])

    out = [
        finding(f"MISSING_IN_{name.upper()}", f"{key[0]} {key[1]} not in {name}: {_describe(amounts)}")
        for name in SIDES if amounts[name] is None
    ]
    clearing_count = len(present["clearing"])
    if clearing_count > 1:
        out.append(finding(DUPLICATE_CLEARING, f"{clearing_count} clearing entries for {key[0]} {key[1]}"))
    elif not out and len({a for a in amounts.values()}) > 1:
        out.append(finding(AMOUNT_MISMATCH, f"amounts differ: {_describe(amounts)}"))
    return out


def _describe(amounts: dict[str, int | None]) -> str:
    return ", ".join(f"{name} {amount}" for name, amount in amounts.items() if amount is not None)
