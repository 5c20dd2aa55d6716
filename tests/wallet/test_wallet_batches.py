"""CreateTransferBatches: many independent all-or-nothing batches in one call, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import random

import grpc
import pytest

from services.gen.scanpay.events.v1 import envelope_pb2
from services.gen.scanpay.wallet.v1 import events_pb2
from services.gen.scanpay.wallet.v1 import wallet_pb2 as pb
from services.kit.grpc import error_detail
from services.kit.ids import new_id
from services.wallet.domain import MAX_BATCHES

from .conftest import ADMIN, available, cny, funded_consumer, open_account, posted


def single(debit: str, credit: str, amount: int, tid: str | None = None, **kw: object) -> pb.TransferInput:
    return pb.TransferInput(id=tid or new_id("trf"), debit_account_id=debit, credit_account_id=credit,
                            amount=cny(amount), **kw)


def batch(*transfers: pb.TransferInput, batch_id: str | None = None) -> pb.CreateTransfersRequest:
    return pb.CreateTransfersRequest(batch_id=new_id("bat") if batch_id is None else batch_id,
                                     transfers=list(transfers))


async def send(wallet, *batches: pb.CreateTransfersRequest) -> list[pb.BatchOutcome]:
    reply = await wallet.CreateTransferBatches(pb.CreateTransferBatchesRequest(batches=list(batches)))
    assert [o.batch_id for o in reply.outcomes] == [b.batch_id for b in batches]
    return list(reply.outcomes)


def assert_error(outcome: pb.BatchOutcome, code: grpc.StatusCode, field: str, reason: str) -> None:
    assert outcome.WhichOneof("outcome") == "error", outcome
    assert (outcome.error.code, outcome.error.detail.field, outcome.error.detail.reason) == (
        code.value[0], field, reason), outcome.error


async def test_each_batch_applies_or_fails_on_its_own(wallet, wallet_pool):
    consumer, clearing = await funded_consumer(wallet, 1_000)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    other = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    paid = batch(single(consumer.id, merchant.id, 300), single(consumer.id, other.id, 200))
    # Linked: the second leg overdraws after the first batch took 500, so neither leg of this batch applies.
    short = batch(single(consumer.id, merchant.id, 100), single(consumer.id, other.id, 450))
    unknown = batch(single(consumer.id, "acc_missing", 10))
    zero = batch(single(consumer.id, merchant.id, 0))
    held = batch(single(consumer.id, merchant.id, 250, pending=True))

    outcomes = await send(wallet, paid, short, unknown, zero, held)

    assert outcomes[0].WhichOneof("outcome") == "applied" and not outcomes[0].applied.replayed
    assert [t.id for t in outcomes[0].applied.transfers] == [t.id for t in paid.transfers]
    assert_error(outcomes[1], grpc.StatusCode.FAILED_PRECONDITION, "transfers[1].amount.amount", "INSUFFICIENT_FUNDS")
    assert_error(outcomes[2], grpc.StatusCode.NOT_FOUND, "transfers[0].credit_account_id", "ACCOUNT_NOT_FOUND")
    assert_error(outcomes[3], grpc.StatusCode.INVALID_ARGUMENT, "transfers[0].amount.amount", "FIELD_INVALID")
    assert outcomes[4].applied.transfers[0].state == pb.TRANSFER_STATE_PENDING
    assert await posted(wallet, consumer.id) == 500
    assert await available(wallet, consumer.id) == 250
    assert await posted(wallet, merchant.id) == 300 and await posted(wallet, other.id) == 200
    assert await posted(wallet, clearing.id) == -1_000
    stored = await wallet_pool.fetch("SELECT batch_id FROM transfers WHERE batch_id = ANY($1::text[])",
                                     [b.batch_id for b in (short, unknown, zero)])
    assert stored == []
    # Events only for the applied single-phase transfers (a hold's event comes when it is posted or voided).
    events = await wallet_pool.fetch("SELECT payload FROM outbox WHERE subject = 'wallet.transfer.posted'")
    ids = set()
    for row in events:
        message = events_pb2.TransferPosted()
        envelope_pb2.Envelope.FromString(row["payload"]).data.Unpack(message)
        ids.add(message.transfer.id)
    every_id = {t.id for b in (paid, short, unknown, zero, held) for t in b.transfers}
    assert ids & every_id == {t.id for t in paid.transfers}


async def test_a_repeated_call_replays_and_a_changed_body_is_refused_per_batch(wallet):
    consumer, _ = await funded_consumer(wallet, 1_000)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    first = batch(single(consumer.id, merchant.id, 100))
    second = batch(single(consumer.id, merchant.id, 200))
    applied = await send(wallet, first, second)

    changed = batch(single(consumer.id, merchant.id, 999, tid=second.transfers[0].id), batch_id=second.batch_id)
    fresh = batch(single(consumer.id, merchant.id, 50))
    again = await send(wallet, first, changed, fresh)

    assert again[0].applied.replayed and again[0].applied.transfers == applied[0].applied.transfers
    assert_error(again[1], grpc.StatusCode.ALREADY_EXISTS, "transfers[0].amount.amount", "TRANSFER_ID_REUSED")
    assert not again[2].applied.replayed
    assert await posted(wallet, merchant.id) == 350
    # A single CreateTransfers of a batch applied by CreateTransferBatches replays it too.
    single_call = await wallet.CreateTransfers(first)
    assert single_call.replayed and single_call.transfers == applied[0].applied.transfers


async def test_a_frozen_debit_account_fails_only_its_batch(wallet):
    frozen, _ = await funded_consumer(wallet, 500)
    free, _ = await funded_consumer(wallet, 500)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    await wallet.FreezeAccount(pb.FreezeAccountRequest(account_id=frozen.id, reason="risk"), metadata=ADMIN)
    outcomes = await send(wallet, batch(single(frozen.id, merchant.id, 100)), batch(single(free.id, merchant.id, 100)))
    assert_error(outcomes[0], grpc.StatusCode.FAILED_PRECONDITION, "transfers[0].debit_account_id", "ACCOUNT_FROZEN")
    assert outcomes[1].WhichOneof("outcome") == "applied"
    assert await posted(wallet, frozen.id) == 500 and await posted(wallet, merchant.id) == 100


@pytest.mark.parametrize("batches, field", [
    ([], "batches"),
    ([batch(single("acc_a", "acc_b", 1)) for _ in range(MAX_BATCHES + 1)], "batches"),
    ([batch(single("acc_a", "acc_b", 1), batch_id="bat_twice"),
      batch(single("acc_a", "acc_b", 2), batch_id="bat_twice")], "batches[1].batch_id"),
    ([batch(single("acc_a", "acc_b", 1), batch_id="")], "batches[0].batch_id"),
])
async def test_a_malformed_request_fails_whole_and_writes_nothing(wallet, wallet_pool, batches, field):
    before = await wallet_pool.fetchval("SELECT count(*) FROM transfers")
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await wallet.CreateTransferBatches(pb.CreateTransferBatchesRequest(batches=batches))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_detail(info.value).field == field
    assert await wallet_pool.fetchval("SELECT count(*) FROM transfers") == before


async def test_concurrent_batch_calls_conserve_money_and_apply_each_id_once(wallet, wallet_pool):
    """Overlapping calls (the same consumers and merchants in many calls, retries of whole calls, single
    CreateTransfers beside them) end with the books exact and no batch applied twice."""
    consumers = [(await funded_consumer(wallet, 15_000))[0].id for _ in range(6)]
    merchants = [(await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)).id for _ in range(3)]
    accounts = consumers + merchants
    total_before = sum([await posted(wallet, a) for a in accounts])
    rng = random.Random(11)
    sent: dict[str, pb.CreateTransfersRequest] = {}

    def random_batch() -> pb.CreateTransfersRequest:
        legs = [single(rng.choice(consumers), rng.choice(merchants), rng.randint(1, 400))
                for _ in range(rng.randint(1, 3))]
        made = batch(*legs)
        sent[made.batch_id] = made
        return made

    calls = [[random_batch() for _ in range(rng.randint(1, 12))] for _ in range(40)]
    calls += [list(c) for c in rng.sample(calls, 10)]  # whole calls retried, concurrently with the first try

    async def run(batches: list[pb.CreateTransfersRequest]) -> list[pb.BatchOutcome]:
        if len(batches) == 1:  # some go through the single-batch API beside the batch calls
            try:
                reply = await wallet.CreateTransfers(batches[0])
                return [pb.BatchOutcome(batch_id=reply.batch_id, applied=reply)]
            except grpc.aio.AioRpcError as exc:
                assert exc.code() == grpc.StatusCode.FAILED_PRECONDITION, exc.details()
                return []
        return await send(wallet, *batches)

    results = await asyncio.gather(*[run(c) for c in calls])

    for outcome in (o for r in results for o in r):
        if outcome.WhichOneof("outcome") == "error":
            assert outcome.error.detail.reason == "INSUFFICIENT_FUNDS", outcome.error
    stored = await wallet_pool.fetch(
        "SELECT batch_id, count(*) AS n, sum(amount) AS amount FROM transfers WHERE batch_id = ANY($1::text[]) "
        "GROUP BY batch_id", list(sent))
    for row in stored:  # applied batches are whole and applied once
        request = sent[row["batch_id"]]
        assert row["n"] == len(request.transfers)
        assert row["amount"] == sum(t.amount.amount for t in request.transfers)
    moved = sum(row["amount"] for row in stored)
    balances = {a: await posted(wallet, a) for a in accounts}
    assert sum(balances[m] for m in merchants) == moved
    assert sum(balances.values()) == total_before
    assert all(balances[c] >= 0 for c in consumers)
    assert len(stored) > len(sent) // 3  # most batches applied: the test exercised the happy path too


async def test_a_hot_merchant_takes_one_slot_per_call_and_many_across_connections(wallet, wallet_pool):
    """One call with many payments to a hot merchant locks one of its slots; concurrent calls (on different
    pool connections) spread over the slots instead of queueing on one."""
    consumers = [(await funded_consumer(wallet, 10_000))[0].id for _ in range(8)]
    hot = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    one_call = [batch(single(c, hot.id, 10)) for c in consumers]
    await send(wallet, *one_call)
    slots = await wallet_pool.fetch("SELECT DISTINCT credit_slot FROM transfers WHERE batch_id = ANY($1::text[])",
                                    [b.batch_id for b in one_call])
    assert len(slots) == 1

    concurrent = [batch(single(consumers[i % len(consumers)], hot.id, 1)) for i in range(64)]
    await asyncio.gather(*[wallet.CreateTransfers(b) for b in concurrent])
    spread = await wallet_pool.fetchval(
        "SELECT count(DISTINCT credit_slot) FROM transfers WHERE batch_id = ANY($1::text[])",
        [b.batch_id for b in concurrent])
    assert spread >= 4
    assert await posted(wallet, hot.id) == 8 * 10 + 64
