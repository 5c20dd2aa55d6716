"""Trade rules of the gateway (pure, no I/O): money, the trade state machine, refund splits, payment codes."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from ..kit.errors import FailedPrecondition, InvalidArgument

CURRENCY = "CNY"
MAX_PAYMENT_FEN = 5_000_000_00  # 5 million yuan: far above any shop payment, far below int64
INT64_MAX = 2**63 - 1
ORDER_QR_DEFAULT_SECONDS = 2 * 3600
ORDER_QR_MAX_SECONDS = 15 * 24 * 3600
STORE_QR_PAY_SECONDS = 15 * 60  # an unpaid scan-to-pay trade closes after this
REFUND_WINDOW = timedelta(days=90)
CANCEL_WINDOW = timedelta(hours=24)
PAYMENT_CODE_SECONDS = 60
PAYMENT_CODE_PREFIX = "28"
BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
_OUT_NO = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


class TradeStatus(str, Enum):
    WAIT_BUYER_PAY = "WAIT_BUYER_PAY"
    TRADE_SUCCESS = "TRADE_SUCCESS"
    TRADE_CLOSED = "TRADE_CLOSED"
    TRADE_FINISHED = "TRADE_FINISHED"


class SagaStep(str, Enum):
    """How far a payment got; the recovery worker resumes from here."""

    CREATED = "CREATED"                # trade row written, nothing asked of other services
    COUPON_RESERVED = "COUPON_RESERVED"  # coupon (maybe none) reserved for the trade
    FUNDS_POSTED = "FUNDS_POSTED"      # wallet batch posted: money moved
    DONE = "DONE"                      # coupon confirmed, trade TRADE_SUCCESS
    COMPENSATED = "COMPENSATED"        # coupon released, nothing moved, trade TRADE_CLOSED


# The only transitions a trade may take; anything else is a FAILED_PRECONDITION.
TRANSITIONS: dict[TradeStatus, frozenset[TradeStatus]] = {
    TradeStatus.WAIT_BUYER_PAY: frozenset({TradeStatus.TRADE_SUCCESS, TradeStatus.TRADE_CLOSED}),
    TradeStatus.TRADE_SUCCESS: frozenset({TradeStatus.TRADE_SUCCESS, TradeStatus.TRADE_CLOSED,
                                          TradeStatus.TRADE_FINISHED}),
    TradeStatus.TRADE_CLOSED: frozenset(),
    TradeStatus.TRADE_FINISHED: frozenset(),
}


def check_transition(current: TradeStatus, target: TradeStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise FailedPrecondition(f"trade is {current.value}; it cannot become {target.value}",
                                 reason="TRADE_STATUS_INVALID")


def after_refund(status: TradeStatus, amount: int, refunded_before: int, refund: int) -> TradeStatus:
    """Status after refunding `refund` of a trade of `amount` of which `refunded_before` went back already."""
    if status is not TradeStatus.TRADE_SUCCESS:
        raise FailedPrecondition(f"trade is {status.value}; only a paid trade can be refunded",
                                 reason="TRADE_NOT_REFUNDABLE")
    if refund > amount - refunded_before:
        raise FailedPrecondition(
            f"refund of {refund} fen exceeds what is left to refund ({amount - refunded_before} fen)",
            reason="REFUND_EXCEEDS_PAID", field="amount.amount",
        )
    target = TradeStatus.TRADE_CLOSED if refunded_before + refund == amount else TradeStatus.TRADE_SUCCESS
    check_transition(status, target)
    return target


@dataclass(frozen=True)
class RefundSplit:
    paid_part: int      # back to the consumer
    discount_part: int  # back to the campaign budget


def split_refund(amount: int, discount: int, refunded_before: int, refund: int) -> RefundSplit:
    """Split a refund between consumer and campaign in proportion to the trade's discount.

    Computed on cumulative totals (floor of the running share), so however a trade is refunded in parts,
    the discount parts add up to exactly the discount when it is refunded in full, and no fen is lost.
    """
    before = refunded_before * discount // amount
    after = (refunded_before + refund) * discount // amount
    return RefundSplit(paid_part=refund - (after - before), discount_part=after - before)


def validate_amount(value: object, field: str = "amount", limit: int = MAX_PAYMENT_FEN) -> int:
    """Integer fen, positive, within the limit; booleans and floats (fractional fen) are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{field} must be an integer number of fen", field=field)
    if value <= 0:
        raise InvalidArgument(f"{field} must be positive", field=field)
    if value > min(limit, INT64_MAX):
        raise InvalidArgument(f"{field} is above the limit of {limit} fen", field=field)
    return value


def validate_currency(value: str, field: str = "amount.currency") -> str:
    if value not in ("", CURRENCY):
        raise InvalidArgument(f"{field}: only {CURRENCY} is accepted", field=field)
    return CURRENCY


def validate_out_no(value: str, field: str) -> str:
    if not _OUT_NO.match(value or ""):
        raise InvalidArgument(f"{field} must be 1-64 letters, digits, '_' or '-'", field=field)
    return value


def order_timeout(seconds: int) -> int:
    if seconds == 0:
        return ORDER_QR_DEFAULT_SECONDS
    if not 60 <= seconds <= ORDER_QR_MAX_SECONDS:
        raise InvalidArgument("timeout_seconds must be between 60 and 1296000 (15 days)", field="timeout_seconds")
    return seconds


def can_cancel(status: TradeStatus, paid_at: datetime | None, refunded: int, now: datetime) -> bool:
    """Cancel reverses a trade whose outcome the POS does not know: unpaid, or paid today and untouched."""
    if status is TradeStatus.WAIT_BUYER_PAY:
        return True
    return (status is TradeStatus.TRADE_SUCCESS and refunded == 0 and paid_at is not None
            and now - paid_at <= CANCEL_WINDOW)


def business_day_bounds(business_date: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC-aware datetimes of a YYYY-MM-DD business day in Asia/Shanghai."""
    try:
        day = date.fromisoformat(business_date)
    except (TypeError, ValueError):
        raise InvalidArgument("business_date must be YYYY-MM-DD", field="business_date") from None
    start = datetime.combine(day, time.min, BUSINESS_TZ)
    return start, start + timedelta(days=1)


# --- payment codes ----------------------------------------------------------------------------------
# 18 digits: "28" + 10 random digits + 6 digits of HMAC(key, prefix+random). The check digits let the
# server refuse a mistyped or forged code before any lookup; the stored row binds it to one consumer,
# 60 seconds and one use.


def _check_digits(key: bytes, head: str) -> str:
    mac = hmac.new(key, head.encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(mac[:8], 'big') % 1_000_000:06d}"


def new_payment_code(key: bytes) -> str:
    head = PAYMENT_CODE_PREFIX + f"{secrets.randbelow(10**10):010d}"
    return head + _check_digits(key, head)


def payment_code_well_formed(code: str, key: bytes) -> bool:
    if not (isinstance(code, str) and len(code) == 18 and code.isdigit() and code.isascii()
            and code.startswith(PAYMENT_CODE_PREFIX)):
        return False
    return hmac.compare_digest(code[12:], _check_digits(key, code[:12]))
