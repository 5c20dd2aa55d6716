"""Statement and payout files as CSV, pure: rows in, bytes out. Amounts are yuan with two decimals,
formatted from integer fen (never through a float). Refund lines are negative, so every amount column of
the lines adds up to the summary line."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from . import domain

MERCHANT_COLUMNS = (
    "line_type", "trade_id", "refund_id", "store_id", "mall_id", "occurred_at", "business_date", "late",
    "gross", "paid", "discount", "fee_rate_bps", "fee", "commission_bps", "commission", "net",
)
MALL_COLUMNS = (
    "line_type", "merchant_id", "store_id", "trade_id", "refund_id", "occurred_at", "business_date", "late",
    "gross", "commission_bps", "commission",
)
PAYOUT_COLUMNS = ("payout_id", "batch_id", "merchant_id", "business_date", "bank_name", "currency", "amount",
                  "attempt")


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def fen(text: str) -> int:
    """The inverse of yuan()."""
    sign = -1 if text.startswith("-") else 1
    whole, _, cents = text.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int(cents or 0))


def _signed(entry: Mapping[str, Any], column: str) -> int:
    return entry[column] if entry["kind"] == "trade" else -entry[column]


def _local_time(entry: Mapping[str, Any]) -> str:
    return entry["occurred_at"].astimezone(domain.SHANGHAI).isoformat(timespec="seconds")


def _write(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode()


def merchant_statement(entries: Sequence[Mapping[str, Any]], batch: Mapping[str, Any] | None, day: date) -> bytes:
    """One line per trade and refund of the day's batch, a summary line with their sums, then the carry-in,
    payout and carry-out of the batch (in the net column)."""
    rows: list[list[Any]] = []
    sums = {k: 0 for k in ("gross", "paid", "discount", "fee", "commission", "net")}
    for e in entries:
        values = {k: (e["net"] if k == "net" else _signed(e, k)) for k in sums}
        for k, v in values.items():
            sums[k] += v
        rows.append([e["kind"], e["trade_id"], e["refund_id"], e["store_id"], e["mall_id"], _local_time(e),
                     e["business_date"].isoformat(), "yes" if e["late"] else "no", yuan(values["gross"]),
                     yuan(values["paid"]), yuan(values["discount"]), e["fee_rate_bps"], yuan(values["fee"]),
                     e["commission_bps"], yuan(values["commission"]), yuan(values["net"])])
    blank = [""] * 6
    rows.append(["summary", f"{len(entries)} lines", "", "", "", "", day.isoformat(), "",
                 yuan(sums["gross"]), yuan(sums["paid"]), yuan(sums["discount"]), "", yuan(sums["fee"]), "",
                 yuan(sums["commission"]), yuan(sums["net"])])
    if batch is not None:
        for name in ("carry_in", "payout", "carry_out"):
            rows.append([name, batch["batch_id"], *blank[:4], day.isoformat(), *[""] * 8, yuan(batch[name])])
    return _write(MERCHANT_COLUMNS, rows)


def mall_statement(entries: Sequence[Mapping[str, Any]], day: date) -> bytes:
    rows: list[list[Any]] = []
    gross = commission = 0
    for e in entries:
        g, c = _signed(e, "gross"), _signed(e, "commission")
        gross += g
        commission += c
        rows.append([e["kind"], e["merchant_id"], e["store_id"], e["trade_id"], e["refund_id"], _local_time(e),
                     e["business_date"].isoformat(), "yes" if e["late"] else "no", yuan(g), e["commission_bps"],
                     yuan(c)])
    rows.append(["summary", f"{len(entries)} lines", "", "", "", "", day.isoformat(), "", yuan(gross), "",
                 yuan(commission)])
    return _write(MALL_COLUMNS, rows)


def payout_file(payouts: Sequence[Mapping[str, Any]]) -> bytes:
    return _write(PAYOUT_COLUMNS, [
        [p["payout_id"], p["batch_id"], p["merchant_id"], p["business_date"].isoformat(), p["bank_name"],
         p["currency"], yuan(p["amount"]), p["attempt"]]
        for p in payouts
    ])


def parse(csv_bytes: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_bytes.decode())))
