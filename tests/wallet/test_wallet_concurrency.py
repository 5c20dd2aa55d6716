"""Randomized concurrent ledger traffic: transfers, saga batches, holds, posts, voids, retries of the same ids.

Afterwards the books must hold: the sum of all balances is unchanged (0), no account that forbids it is
negative, every transfer id was applied at most once (balances equal a replay of the stored transfers),
and debits equal credits.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict

import grpc

from services.gen.scanpay.wallet.v1 import wallet_pb2 as pb
from services.kit.ids import new_id

from .conftest import cny, open_account

TASKS = 16
OPS_PER_TASK = 40
EXPECTED_FAILURES = {grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ALREADY_EXISTS}


class Traffic:
    def __init__(self, wallet, consumers, merchants, budgets, clearing, marketing, seed: int) -> None:
        self.wallet = wallet
        self.consumers, self.merchants, self.budgets = consumers, merchants, budgets
        self.clearing, self.marketing = clearing, marketing
        self.rng = random.Random(seed)
        self.sent: list[tuple[str, object]] = []
        self.holds: list[str] = []
        self.first_answer: dict[str, object] = {}

    def transfer(self, debit: str, credit: str, amount: int, pending: bool = False) -> pb.TransferInput:
        timeout = self.rng.choice([0, 0, 1]) if pending else 0
        return pb.TransferInput(id=new_id("t"), debit_account_id=debit, credit_account_id=credit, amount=cny(amount),
                                pending=pending, timeout_seconds=timeout)

    def next_request(self) -> tuple[str, object]:
        rng = self.rng
        roll = rng.random()
        consumer, merchant = rng.choice(self.consumers), rng.choice(self.merchants)
        if roll < 0.15 and self.sent:
            return rng.choice(self.sent)  # a retry of an earlier request, byte for byte
        if roll < 0.40:
            ts = [self.transfer(consumer, merchant, rng.randint(1, 400))]
            return "batch", pb.CreateTransfersRequest(batch_id=new_id("bat"), transfers=ts)
        if roll < 0.55:
            ts = [self.transfer(consumer, merchant, rng.randint(1, 300)),
                  self.transfer(rng.choice(self.budgets), merchant, rng.randint(1, 100))]
            return "batch", pb.CreateTransfersRequest(batch_id=new_id("trd"), transfers=ts)
        if roll < 0.70:
            ts = [self.transfer(consumer, merchant, rng.randint(1, 300), pending=True)]
            return "batch", pb.CreateTransfersRequest(batch_id=new_id("bat"), transfers=ts)
        if roll < 0.80 and self.holds:
            amount = cny(rng.randint(1, 300)) if rng.random() < 0.5 else None
            request = pb.PostPendingRequest(transfer_id=new_id("post"), pending_id=rng.choice(self.holds))
            if amount is not None:
                request.amount.CopyFrom(amount)
            return "post", request
        if roll < 0.88 and self.holds:
            return "void", pb.VoidPendingRequest(transfer_id=new_id("void"), pending_id=rng.choice(self.holds))
        if roll < 0.94:
            ts = [self.transfer(merchant, consumer, rng.randint(1, 200))]  # a refund
            return "batch", pb.CreateTransfersRequest(batch_id=new_id("rfd"), transfers=ts)
        ts = [self.transfer(self.clearing, consumer, rng.randint(1, 500))]  # a top-up
        return "batch", pb.CreateTransfersRequest(batch_id=new_id("top"), transfers=ts)

    async def send(self, kind: str, request) -> object:
        call = {"batch": self.wallet.CreateTransfers, "post": self.wallet.PostPending,
                "void": self.wallet.VoidPending}[kind]
        try:
            return await call(request)
        except grpc.aio.AioRpcError as exc:
            assert exc.code() in EXPECTED_FAILURES | {grpc.StatusCode.INVALID_ARGUMENT}, exc.details()
            return exc.code()

    async def run(self) -> None:
        for _ in range(OPS_PER_TASK):
            kind, request = self.next_request()
            answer = await self.send(kind, request)
            key = request.SerializeToString()
            if isinstance(answer, pb.CreateTransfersResponse):
                self.holds += [t.id for t in answer.transfers if t.type == pb.TRANSFER_TYPE_PENDING]
                answer = [t.id for t in answer.transfers]
            elif isinstance(answer, pb.Transfer):
                answer = answer.id
            if key in self.first_answer and not isinstance(self.first_answer[key], grpc.StatusCode):
                # A request that succeeded once returns the same result on every retry.
                assert answer == self.first_answer[key], (kind, request)
            self.first_answer.setdefault(key, answer)
            self.sent.append((kind, request))


async def test_random_concurrent_traffic_keeps_the_books(wallet, wallet_pool):
    clearing = await open_account(wallet, pb.ACCOUNT_KIND_BANK_CLEARING, new_id("bank"))
    marketing = await open_account(wallet, pb.ACCOUNT_KIND_PLATFORM_MARKETING, new_id("pool"))
    consumers = [(await open_account(wallet, pb.ACCOUNT_KIND_CONSUMER_WALLET)).id for _ in range(8)]
    merchants = [(await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)).id for _ in range(3)]
    budgets = [(await open_account(wallet, pb.ACCOUNT_KIND_PROMOTIONS_BUDGET)).id for _ in range(2)]
    seed = [pb.TransferInput(id=new_id("seed"), debit_account_id=clearing.id, credit_account_id=c,
                             amount=cny(1000)) for c in consumers]
    seed += [pb.TransferInput(id=new_id("seed"), debit_account_id=marketing.id, credit_account_id=b,
                              amount=cny(2000)) for b in budgets]
    await wallet.CreateTransfers(pb.CreateTransfersRequest(batch_id=new_id("seed"), transfers=seed))
    accounts = [clearing.id, marketing.id, *consumers, *merchants, *budgets]

    traffic = [Traffic(wallet, consumers, merchants, budgets, clearing.id, marketing.id, seed=i) for i in range(TASKS)]
    # Tasks also retry each other's requests: share the history.
    shared: list[tuple[str, object]] = []
    answers: dict[str, object] = {}
    for t in traffic:
        t.sent, t.first_answer = shared, answers
    await asyncio.gather(*[t.run() for t in traffic])

    # One snapshot for balances and transfers: the expiry worker may void holds meanwhile.
    async with wallet_pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        balances, transfers = await snapshot(conn, accounts)
    check_books(balances, transfers, accounts, [*consumers, *merchants, *budgets])


async def snapshot(conn, accounts):
    balances = {r["account_id"]: r for r in await conn.fetch(
        """SELECT account_id, sum(posted)::bigint AS posted, sum(pending_debits)::bigint AS held,
                  sum(pending_credits)::bigint AS incoming FROM balances
           WHERE account_id = ANY($1::text[]) GROUP BY account_id""", accounts)}
    transfers = await conn.fetch(
        "SELECT * FROM transfers WHERE debit_account_id = ANY($1::text[]) OR credit_account_id = ANY($1::text[])",
        accounts)
    return balances, transfers


def check_books(balances, transfers, accounts, forbidding) -> None:
    assert sum(b["posted"] for b in balances.values()) == 0
    assert all(balances[a]["posted"] - balances[a]["held"] >= 0 for a in forbidding)
    assert len({t["id"] for t in transfers}) == len(transfers)
    replayed_posted: dict[str, int] = defaultdict(int)
    replayed_held: dict[str, int] = defaultdict(int)
    debits = credits = 0
    for t in transfers:
        if t["type"] in (1, 3):  # single phase, post of a hold: money moved
            replayed_posted[t["debit_account_id"]] -= t["amount"]
            replayed_posted[t["credit_account_id"]] += t["amount"]
            debits += t["amount"]
            credits += t["amount"]
        if t["type"] == 2 and t["state"] == 2:
            replayed_held[t["debit_account_id"]] += t["amount"]
        if t["type"] == 2 and t["state"] == 1:
            finisher = next(x for x in transfers if x["id"] == t["finished_by"])
            assert finisher["amount"] == t["posted_amount"] <= t["amount"]
    assert debits == credits
    for account in accounts:
        assert balances[account]["posted"] == replayed_posted[account], account
        assert balances[account]["held"] == replayed_held[account], account
    assert sum(b["held"] for b in balances.values()) == sum(b["incoming"] for b in balances.values())
    finishers = [t["pending_id"] for t in transfers if t["pending_id"] is not None]
    assert len(finishers) == len(set(finishers)), "a hold was posted or voided twice"
    moved = sum(1 for t in transfers if t["type"] in (1, 3))
    assert moved > TASKS * OPS_PER_TASK // 4, "too little traffic succeeded to prove anything"
