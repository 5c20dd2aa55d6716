"""The chaos run's clients: each shopper loops over top-ups, grabs, payments by every way in (store QR, order QR
precreated by the POS or the partner's gRPC, the POS scanning a payment code), refunds, cancels, closes,
deliberate re-sends of earlier requests with the same Idempotency-Key, and reads that check what they see."""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc

from services.gen.scanpay.gateway.v1 import gateway_pb2 as gw
from services.kit.http import GRPC_TO_HTTP

from .client import Answer, Call, Caller, Journal, Rest
from .world import DECLINED_CARD, TIMEOUT_CARD, Shop, Shopper, World, cny, partner_metadata

STATUS_RANK = {"WAIT_BUYER_PAY": 0, "TRADE_SUCCESS": 1, "TRADE_CLOSED": 2, "TRADE_FINISHED": 2}
# Relative weights of the operations a shopper picks from.
MIX = {"top_up": 6, "grab": 6, "pay_store": 14, "pay_order": 8, "pay_code": 8, "refund": 7, "cancel": 3,
       "close": 3, "duplicate": 8, "read": 37}


@dataclass
class Paid:
    trade_id: str
    shop: Shop
    amount: int
    refunded: int = 0


@dataclass
class Seen:
    """What one shopper's loop has seen of its trades (reads must never go back in the state machine)."""

    trades: dict[str, str] = field(default_factory=dict)
    paid: list[Paid] = field(default_factory=list)
    calls: list[tuple[Call, Caller]] = field(default_factory=list)


class Workload:
    def __init__(self, world: World, rest: Rest, journal: Journal, seed: int) -> None:
        self.world = world
        self.rest = rest
        self.journal = journal
        self.rng = random.Random(seed)
        self.ops: dict[str, int] = {name: 0 for name in MIX}

    async def run(self, done: Callable[[], bool]) -> None:
        """Every shopper loops until `done()` says the run has had enough."""
        await asyncio.gather(*(self._loop(s, done) for s in self.world.shoppers))

    async def _loop(self, shopper: Shopper, done: Callable[[], bool]) -> None:
        seen = Seen()
        names, weights = list(MIX), list(MIX.values())
        while not done():
            name = self.rng.choices(names, weights)[0]
            self.ops[name] += 1
            await getattr(self, name)(shopper, seen)

    # --- helpers ---------------------------------------------------------------------------------------

    async def _post(self, seen: Seen, op: str, who: Caller, path: str, payload: Any) -> Call:
        call = await self.rest.post(op, who, path, payload)
        seen.calls.append((call, who))
        return call

    def _observe(self, seen: Seen, trade: Any, where: str) -> None:
        """A trade's status as a client saw it; it may only move forward."""
        if not isinstance(trade, dict) or "trade_id" not in trade:
            return
        before = seen.trades.get(trade["trade_id"])
        status = trade["status"]
        if before is not None and STATUS_RANK[status] < STATUS_RANK[before]:
            self.journal.read_violations.append(f"{where}: trade {trade['trade_id']} went {before} -> {status}")
        if before is None or STATUS_RANK[status] >= STATUS_RANK[before]:
            seen.trades[trade["trade_id"]] = status

    def _paid(self, seen: Seen, trade: Any, shop: Shop) -> None:
        self._observe(seen, trade, "payment answer")
        if isinstance(trade, dict) and trade.get("status") == "TRADE_SUCCESS":
            seen.paid.append(Paid(trade["trade_id"], shop, trade["amount"]))

    def _amount(self) -> int:
        return self.rng.choice([self.rng.randint(1, 99), self.rng.randint(100, 3_000), self.rng.randint(3_000, 12_000)])

    def _out_no(self) -> str:
        return "c" + secrets.token_hex(10)

    # --- operations ------------------------------------------------------------------------------------

    async def top_up(self, s: Shopper, seen: Seen) -> None:
        card = s.card_id
        if s.spare_cards and self.rng.random() < 0.3:
            card = s.spare_cards[self.rng.choice([TIMEOUT_CARD, DECLINED_CARD])]
        await self._post(seen, "top_up", s.who, "/v1/me/topups",
                         {"card_id": card, "amount": self.rng.randint(2_000, 30_000)})

    async def grab(self, s: Shopper, seen: Seen) -> None:
        campaign = self.rng.choice(self.world.campaigns)
        await self._post(seen, "grab", s.who, f"/v1/red-envelopes/{campaign}/grab", {})

    async def pay_store(self, s: Shopper, seen: Seen) -> None:
        shop = self.rng.choice(self.world.shops)
        payload: dict[str, Any] = {"qr_payload": shop.qr, "amount": self._amount()}
        if self.rng.random() < 0.1:
            payload["pay_from_card"] = {"card_id": s.card_id}
        call = await self._post(seen, "pay", s.who, "/v1/payments", payload)
        if call.final is not None and call.final.status == 201:
            self._paid(seen, call.final.json(), shop)

    async def _precreate(self, seen: Seen, shop: Shop, amount: int) -> dict[str, Any] | None:
        """An order QR made by the POS over REST, or by the partner over its gRPC API (half the time)."""
        if shop.by_partner and self.rng.random() < 0.5:
            request = gw.PrecreateRequest(merchant_id=shop.merchant_id, store_id=shop.store_id,
                                          out_trade_no=self._out_no(), amount=cny(amount), timeout_seconds=60)
            reply = await self._grpc(seen, "precreate", "Precreate", request, request.out_trade_no)
            return {"trade_id": reply.trade.trade_id, "qr_payload": reply.qr_payload} if reply else None
        call = await self._post(seen, "precreate", shop.pos, "/v1/merchant/orders", {
            "store_id": shop.store_id, "out_trade_no": self._out_no(), "amount": amount, "timeout_seconds": 60})
        answer = call.final
        return answer.json() if answer is not None and answer.status == 201 else None

    async def pay_order(self, s: Shopper, seen: Seen) -> None:
        shop = self.rng.choice(self.world.shops)
        order = await self._precreate(seen, shop, self._amount())
        if order is None:
            return
        call = await self._post(seen, "pay", s.who, "/v1/payments", {"qr_payload": order["qr_payload"]})
        if call.final is not None and call.final.status == 201:
            self._paid(seen, call.final.json(), shop)

    async def pay_code(self, s: Shopper, seen: Seen) -> None:
        code = await self._post(seen, "payment_code", s.who, "/v1/payment-codes", {})
        if code.final is None or code.final.status != 201:
            return
        shop = self.rng.choice(self.world.shops)
        call = await self._post(seen, "pay_code", shop.pos, "/v1/merchant/trades/pay-by-code", {
            "store_id": shop.store_id, "out_trade_no": self._out_no(), "amount": self._amount(),
            "payment_code": code.final.json()["payment_code"]})
        if call.final is not None and call.final.status == 201:
            self._paid(seen, call.final.json(), shop)

    async def refund(self, s: Shopper, seen: Seen) -> None:
        open_ = [p for p in seen.paid if p.refunded < p.amount]
        if not open_:
            return await self.read(s, seen)
        paid = self.rng.choice(open_)
        left = paid.amount - paid.refunded
        amount = left if left == 1 or self.rng.random() < 0.4 else self.rng.randint(1, left - 1)
        out_no = self._out_no()
        if paid.shop.by_partner and self.rng.random() < 0.5:
            request = gw.RefundRequest(trade=gw.TradeRef(merchant_id=paid.shop.merchant_id, trade_id=paid.trade_id),
                                       out_refund_no=out_no, amount=cny(amount), reason="chaos")
            if await self._grpc(seen, "refund", "Refund", request, out_no) is not None:
                paid.refunded += amount
            return
        call = await self._post(seen, "refund", paid.shop.pos, f"/v1/merchant/trades/{paid.trade_id}/refunds",
                                {"out_refund_no": out_no, "amount": amount, "reason": "chaos"})
        if call.final is not None and call.final.status == 201:
            paid.refunded += amount
            self._observe(seen, call.final.json()["trade"], "refund answer")

    async def cancel(self, s: Shopper, seen: Seen) -> None:
        fresh = [p for p in seen.paid if p.refunded == 0]
        if not fresh:
            return await self.read(s, seen)
        paid = self.rng.choice(fresh)
        call = await self._post(seen, "cancel", paid.shop.pos, f"/v1/merchant/trades/{paid.trade_id}/cancel", {})
        if call.final is not None and call.final.status == 200:
            self._observe(seen, call.final.json(), "cancel answer")
            if call.final.json()["status"] == "TRADE_CLOSED":
                paid.refunded = paid.amount

    async def close(self, s: Shopper, seen: Seen) -> None:
        shop = self.rng.choice(self.world.shops)
        order = await self._precreate(seen, shop, self._amount())
        if order is None:
            return
        call = await self._post(seen, "close", shop.pos, f"/v1/merchant/trades/{order['trade_id']}/close", {})
        if call.final is not None and call.final.status == 200:
            self._observe(seen, call.final.json(), "close answer")

    async def duplicate(self, s: Shopper, seen: Seen) -> None:
        """Send an earlier request again, same key and body, as a client that never saw the answer would."""
        earlier = [(c, who) for c, who in seen.calls if c.method == "POST"]
        if not earlier:
            return await self.read(s, seen)
        first, who = self.rng.choice(earlier)
        again = Call(first.op, first.scope, first.key, first.method, first.path, first.body, duplicate_of=first)
        self.journal.calls.append(again)
        await self.rest.drive(again, who)

    async def read(self, s: Shopper, seen: Seen) -> None:
        if seen.trades and self.rng.random() < 0.6:
            trade_id = self.rng.choice(list(seen.trades))
            answer = await self.rest.get(s.who, f"/v1/payments/{trade_id}")
            if answer is not None and answer.status == 200:
                self._observe(seen, answer.json(), "trade read")
            elif answer is not None and answer.status != 404:
                self.journal.read_violations.append(f"trade read {trade_id}: {answer.status} {answer.body[:200]!r}")
            return
        answer = await self.rest.get(s.who, "/v1/me/wallet")
        if answer is not None and answer.status == 200:
            wallet = answer.json()
            if wallet["posted"] < 0 or wallet["available"] < 0:
                self.journal.read_violations.append(f"wallet of {s.consumer_id} read negative: {wallet}")

    # --- the partner's gRPC API --------------------------------------------------------------------------

    async def _grpc(self, seen: Seen, op: str, method: str, request: Any, key: str) -> Any:
        """A PartnerService call retried with the same out_trade_no / out_refund_no until a definite answer;
        the journal keeps the id it answered with (retries must name the same trade or refund)."""
        call = Call(op, f"grpc:{self.world.partner_id}", key, "GRPC", method, request.SerializeToString())
        self.journal.calls.append(call)
        deadline = time.monotonic() + self.rest.retry_for
        while True:
            self.journal.requests += 1
            try:
                reply = await getattr(self.world.partner_stub, method)(
                    request, metadata=partner_metadata(self.world.partner_key, method, request), timeout=20)
            except grpc.aio.AioRpcError as exc:
                status = GRPC_TO_HTTP.get(exc.code(), 500)
                call.answers.append(Answer(0 if status >= 500 else status, exc.code().name.encode(), time.monotonic()))
                if status < 500 or time.monotonic() > deadline:
                    return None
                await asyncio.sleep(0.5)
                continue
            ids = {"trade_id": reply.trade.trade_id} if op == "precreate" else {
                "refund_id": reply.refund.refund_id, "trade_id": reply.trade.trade_id}
            call.answers.append(Answer(200, json.dumps(ids).encode(), time.monotonic()))
            return reply
