"""Every ledger rule through the gRPC API, on real PostgreSQL: accounts, transfers, holds, bad input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from services.gen.scanpay.events.v1 import envelope_pb2
from services.gen.scanpay.wallet.v1 import events_pb2
from services.gen.scanpay.wallet.v1 import wallet_pb2 as pb
from services.kit.grpc import error_detail
from services.kit.ids import new_id

from .conftest import ADMIN, available, cny, funded_consumer, open_account, posted, transfer

INT64_MAX = 2**63 - 1


async def expect_error(call, code: grpc.StatusCode, field: str, reason: str | None = None):
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    assert info.value.code() == code, info.value.details()
    detail = error_detail(info.value)
    assert detail is not None and detail.field == field, (detail, info.value.details())
    if reason:
        assert detail.reason == reason
    return detail


def single(tid: str, debit: str, credit: str, amount: int, **kw) -> pb.TransferInput:
    return pb.TransferInput(id=tid, debit_account_id=debit, credit_account_id=credit, amount=cny(amount), **kw)


def batch(batch_id: str, *transfers: pb.TransferInput) -> pb.CreateTransfersRequest:
    return pb.CreateTransfersRequest(batch_id=batch_id, transfers=list(transfers))


# --- accounts -------------------------------------------------------------------------------------------


async def test_open_account_is_idempotent_per_kind_owner_currency(wallet):
    owner = new_id("csm")
    first = await open_account(wallet, pb.ACCOUNT_KIND_CONSUMER_WALLET, owner)
    again = await open_account(wallet, pb.ACCOUNT_KIND_CONSUMER_WALLET, owner)
    other_currency = await open_account(wallet, pb.ACCOUNT_KIND_CONSUMER_WALLET, owner, "USD")
    assert first.id == again.id and first.id.startswith("acc_")
    assert other_currency.id != first.id
    found = await wallet.FindAccount(pb.FindAccountRequest(kind=pb.ACCOUNT_KIND_CONSUMER_WALLET, owner_id=owner,
                                                           currency="CNY"))
    assert found.id == first.id and not found.allow_negative and found.balance.posted.amount == 0
    got = await wallet.GetAccount(pb.GetAccountRequest(account_id=first.id))
    assert got.owner_id == owner and got.kind == pb.ACCOUNT_KIND_CONSUMER_WALLET


async def test_account_kinds_decide_negative_balance_and_slots(wallet):
    clearing = await open_account(wallet, pb.ACCOUNT_KIND_BANK_CLEARING)
    marketing = await open_account(wallet, pb.ACCOUNT_KIND_PLATFORM_MARKETING)
    budget = await open_account(wallet, pb.ACCOUNT_KIND_PROMOTIONS_BUDGET)
    receivable = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    assert clearing.allow_negative and marketing.allow_negative
    assert not budget.allow_negative and not receivable.allow_negative
    assert receivable.slots > 1 and budget.slots == 1


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.OpenAccountRequest(owner_id="x", currency="CNY"), "kind"),
        (pb.OpenAccountRequest(kind=pb.ACCOUNT_KIND_CONSUMER_WALLET, currency="CNY"), "owner_id"),
        (pb.OpenAccountRequest(kind=pb.ACCOUNT_KIND_CONSUMER_WALLET, owner_id="x", currency="cny"), "currency"),
        (pb.OpenAccountRequest(kind=99, owner_id="x", currency="CNY"), "kind"),
    ],
)
async def test_open_account_rejects_bad_input(wallet, request_, field):
    await expect_error(wallet.OpenAccount(request_), grpc.StatusCode.INVALID_ARGUMENT, field)


async def test_unknown_account_is_not_found(wallet):
    await expect_error(wallet.GetBalance(pb.GetBalanceRequest(account_id="acc_nope")), grpc.StatusCode.NOT_FOUND,
                       "account_id")
    await expect_error(
        wallet.FindAccount(pb.FindAccountRequest(kind=pb.ACCOUNT_KIND_FEE_REVENUE, owner_id=new_id("x"),
                                                 currency="CNY")),
        grpc.StatusCode.NOT_FOUND, "owner_id",
    )


# --- transfers and bad input ------------------------------------------------------------------------------


async def test_single_phase_transfer_moves_money_and_balances_sum_to_zero(wallet):
    consumer, clearing = await funded_consumer(wallet, 0)
    before = await posted(wallet, clearing.id)
    await transfer(wallet, clearing.id, consumer.id, 1234)
    assert await posted(wallet, consumer.id) == 1234
    assert await posted(wallet, clearing.id) == before - 1234
    balance = await wallet.GetBalance(pb.GetBalanceRequest(account_id=consumer.id))
    assert (balance.posted.amount, balance.pending.amount, balance.available.amount) == (1234, 0, 1234)


async def test_bad_transfers_are_refused_naming_the_field_and_move_nothing(wallet):
    consumer, _clearing = await funded_consumer(wallet, 500)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    usd = await open_account(wallet, pb.ACCOUNT_KIND_CONSUMER_WALLET, currency="USD")
    ok = single(new_id("t"), consumer.id, merchant.id, 10)
    cases = [
        (single(new_id("t"), consumer.id, merchant.id, 0), grpc.StatusCode.INVALID_ARGUMENT, "transfers[1].amount.amount"),
        (single(new_id("t"), consumer.id, merchant.id, -5), grpc.StatusCode.INVALID_ARGUMENT, "transfers[1].amount.amount"),
        (pb.TransferInput(id=new_id("t"), debit_account_id=consumer.id, credit_account_id=merchant.id),
         grpc.StatusCode.INVALID_ARGUMENT, "transfers[1].amount"),
        (single(new_id("t"), consumer.id, consumer.id, 5), grpc.StatusCode.INVALID_ARGUMENT,
         "transfers[1].credit_account_id"),
        (single(new_id("t"), consumer.id, usd.id, 5), grpc.StatusCode.INVALID_ARGUMENT, "transfers[1].amount.currency"),
        (single(new_id("t"), "acc_missing", merchant.id, 5), grpc.StatusCode.NOT_FOUND, "transfers[1].debit_account_id"),
        (single(new_id("t"), consumer.id, "acc_missing", 5), grpc.StatusCode.NOT_FOUND, "transfers[1].credit_account_id"),
        (single(new_id("t"), consumer.id, merchant.id, 501), grpc.StatusCode.FAILED_PRECONDITION,
         "transfers[1].amount.amount"),
        (single(ok.id, consumer.id, merchant.id, 5), grpc.StatusCode.INVALID_ARGUMENT, "transfers[1].id"),
        (single("", consumer.id, merchant.id, 5), grpc.StatusCode.INVALID_ARGUMENT, "transfers[1].id"),
        (single(new_id("t"), consumer.id, merchant.id, 5, timeout_seconds=5), grpc.StatusCode.INVALID_ARGUMENT,
         "transfers[1].timeout_seconds"),
    ]
    for bad, code, field in cases:
        # A valid first transfer in the same batch proves all-or-nothing: it must not apply either.
        await expect_error(wallet.CreateTransfers(batch(new_id("bat"), ok, bad)), code, field)
    assert await posted(wallet, consumer.id) == 500
    assert await posted(wallet, merchant.id) == 0
    await expect_error(wallet.CreateTransfers(batch("", ok)), grpc.StatusCode.INVALID_ARGUMENT, "batch_id")
    await expect_error(wallet.CreateTransfers(batch(new_id("bat"))), grpc.StatusCode.INVALID_ARGUMENT, "transfers")


async def test_insufficient_funds_reason(wallet):
    consumer, _ = await funded_consumer(wallet, 100)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    await expect_error(transfer(wallet, consumer.id, merchant.id, 101), grpc.StatusCode.FAILED_PRECONDITION,
                       "transfers[0].amount.amount", "INSUFFICIENT_FUNDS")
    await transfer(wallet, consumer.id, merchant.id, 100)
    assert await available(wallet, consumer.id) == 0


async def test_a_balance_beyond_int64_is_refused(wallet):
    clearing = await open_account(wallet, pb.ACCOUNT_KIND_BANK_CLEARING, new_id("bank"))
    marketing = await open_account(wallet, pb.ACCOUNT_KIND_PLATFORM_MARKETING, new_id("pool"))
    await transfer(wallet, clearing.id, marketing.id, INT64_MAX)
    await expect_error(transfer(wallet, clearing.id, marketing.id, 1), grpc.StatusCode.FAILED_PRECONDITION,
                       "amount.amount", "BALANCE_OVERFLOW")
    assert await posted(wallet, marketing.id) == INT64_MAX


async def test_saga_batch_pays_merchant_from_consumer_and_budget_all_or_nothing(wallet):
    consumer, _ = await funded_consumer(wallet, 800)
    marketing = await open_account(wallet, pb.ACCOUNT_KIND_PLATFORM_MARKETING)
    budget = await open_account(wallet, pb.ACCOUNT_KIND_PROMOTIONS_BUDGET)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    await transfer(wallet, marketing.id, budget.id, 200)
    trade = new_id("trd")
    paid = single(f"{trade}:paid", consumer.id, merchant.id, 800, reference=trade, code=1)
    discount = single(f"{trade}:discount", budget.id, merchant.id, 201, reference=trade, code=2)
    await expect_error(wallet.CreateTransfers(batch(trade, paid, discount)), grpc.StatusCode.FAILED_PRECONDITION,
                       "transfers[1].amount.amount", "INSUFFICIENT_FUNDS")
    assert await posted(wallet, consumer.id) == 800
    discount = single(f"{trade}:discount", budget.id, merchant.id, 200, reference=trade, code=2)
    result = await wallet.CreateTransfers(batch(trade, paid, discount))
    assert [t.id for t in result.transfers] == [paid.id, discount.id] and not result.replayed
    assert await posted(wallet, merchant.id) == 1000
    assert (await wallet.GetBatch(pb.GetBatchRequest(batch_id=trade))).transfers[1].reference == trade
    await expect_error(wallet.GetBatch(pb.GetBatchRequest(batch_id=new_id("trd"))), grpc.StatusCode.NOT_FOUND,
                       "batch_id")


async def test_same_batch_replays_and_another_body_is_already_exists(wallet):
    consumer, _ = await funded_consumer(wallet, 1000)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    bid = new_id("bat")
    t = single(new_id("t"), consumer.id, merchant.id, 300, reference="r1", metadata={"k": "v"})
    first = await wallet.CreateTransfers(batch(bid, t))
    again = await wallet.CreateTransfers(batch(bid, t))
    assert again.replayed and again.transfers[0].created_at == first.transfers[0].created_at
    assert await posted(wallet, consumer.id) == 700
    changed = single(t.id, consumer.id, merchant.id, 301, reference="r1", metadata={"k": "v"})
    await expect_error(wallet.CreateTransfers(batch(bid, changed)), grpc.StatusCode.ALREADY_EXISTS,
                       "transfers[0].amount.amount")
    other_ref = single(t.id, consumer.id, merchant.id, 300, reference="r2", metadata={"k": "v"})
    await expect_error(wallet.CreateTransfers(batch(bid, other_ref)), grpc.StatusCode.ALREADY_EXISTS,
                       "transfers[0].reference")
    await expect_error(wallet.CreateTransfers(batch(new_id("bat"), t)), grpc.StatusCode.ALREADY_EXISTS,
                       "transfers[0].id", "TRANSFER_ID_REUSED")
    extra = single(new_id("t"), consumer.id, merchant.id, 1)
    await expect_error(wallet.CreateTransfers(batch(bid, t, extra)), grpc.StatusCode.ALREADY_EXISTS, "transfers")
    assert await posted(wallet, consumer.id) == 700


async def test_concurrent_retries_of_one_batch_apply_once(wallet):
    consumer, _ = await funded_consumer(wallet, 1000)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    request = batch(new_id("bat"), single(new_id("t"), consumer.id, merchant.id, 100))
    results = await asyncio.gather(*[wallet.CreateTransfers(request) for _ in range(8)])
    assert sum(not r.replayed for r in results) == 1
    assert await posted(wallet, consumer.id) == 900


# --- frozen accounts -----------------------------------------------------------------------------------------


async def test_frozen_account_takes_credits_but_no_debits(wallet, wallet_pool):
    consumer, clearing = await funded_consumer(wallet, 500)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    await expect_error(wallet.FreezeAccount(pb.FreezeAccountRequest(account_id=consumer.id, reason="risk")),
                       grpc.StatusCode.PERMISSION_DENIED, "")
    frozen = await wallet.FreezeAccount(pb.FreezeAccountRequest(account_id=consumer.id, reason="risk"),
                                        metadata=ADMIN)
    assert frozen.frozen and frozen.frozen_reason == "risk"
    await expect_error(transfer(wallet, consumer.id, merchant.id, 10), grpc.StatusCode.FAILED_PRECONDITION,
                       "transfers[0].debit_account_id", "ACCOUNT_FROZEN")
    await transfer(wallet, clearing.id, consumer.id, 5)
    assert await posted(wallet, consumer.id) == 505
    events = await wallet_pool.fetch("SELECT payload FROM outbox WHERE subject = 'wallet.account.frozen'")
    frozen_ids = set()
    for row in events:
        envelope = envelope_pb2.Envelope.FromString(row["payload"])
        message = events_pb2.AccountFrozen()
        envelope.data.Unpack(message)
        frozen_ids.add(message.account_id)
    assert consumer.id in frozen_ids
    await wallet.UnfreezeAccount(pb.UnfreezeAccountRequest(account_id=consumer.id), metadata=ADMIN)
    await transfer(wallet, consumer.id, merchant.id, 10)
    assert await posted(wallet, consumer.id) == 495


# --- two-phase -------------------------------------------------------------------------------------------------


async def hold(wallet, debit: str, credit: str, amount: int, timeout: int = 0) -> pb.Transfer:
    t = single(new_id("hold"), debit, credit, amount, pending=True, timeout_seconds=timeout)
    return (await wallet.CreateTransfers(batch(new_id("bat"), t))).transfers[0]


async def test_hold_then_partial_post_releases_the_rest_exactly_once(wallet):
    consumer, _ = await funded_consumer(wallet, 1000)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    pending = await hold(wallet, consumer.id, merchant.id, 600)
    assert pending.state == pb.TRANSFER_STATE_PENDING
    balance = await wallet.GetBalance(pb.GetBalanceRequest(account_id=consumer.id))
    assert (balance.posted.amount, balance.pending.amount, balance.available.amount) == (1000, 600, 400)
    await expect_error(transfer(wallet, consumer.id, merchant.id, 401), grpc.StatusCode.FAILED_PRECONDITION,
                       "transfers[0].amount.amount")
    incoming = await wallet.GetBalance(pb.GetBalanceRequest(account_id=merchant.id))
    assert incoming.pending_credits.amount == 600 and incoming.available.amount == 0

    await expect_error(
        wallet.PostPending(pb.PostPendingRequest(transfer_id=new_id("post"), pending_id=pending.id, amount=cny(601))),
        grpc.StatusCode.INVALID_ARGUMENT, "amount.amount", "EXCEEDS_PENDING",
    )
    post = pb.PostPendingRequest(transfer_id=new_id("post"), pending_id=pending.id, amount=cny(450))
    posted_transfer = await wallet.PostPending(post)
    assert posted_transfer.type == pb.TRANSFER_TYPE_POST_PENDING and posted_transfer.amount.amount == 450
    assert (await wallet.PostPending(post)).id == posted_transfer.id  # a retry replays
    assert await posted(wallet, consumer.id) == 550 and await available(wallet, consumer.id) == 550
    assert await posted(wallet, merchant.id) == 450
    assert (await wallet.GetBalance(pb.GetBalanceRequest(account_id=merchant.id))).pending_credits.amount == 0
    stored = await wallet.GetTransfer(pb.GetTransferRequest(transfer_id=pending.id))
    assert stored.state == pb.TRANSFER_STATE_POSTED and stored.posted_amount.amount == 450
    assert stored.finished_by == post.transfer_id

    await expect_error(wallet.PostPending(pb.PostPendingRequest(transfer_id=new_id("post"), pending_id=pending.id)),
                       grpc.StatusCode.FAILED_PRECONDITION, "pending_id", "PENDING_ALREADY_POSTED")
    await expect_error(wallet.VoidPending(pb.VoidPendingRequest(transfer_id=new_id("void"), pending_id=pending.id)),
                       grpc.StatusCode.FAILED_PRECONDITION, "pending_id", "PENDING_ALREADY_POSTED")
    await expect_error(
        wallet.PostPending(pb.PostPendingRequest(transfer_id=post.transfer_id, pending_id=pending.id, amount=cny(1))),
        grpc.StatusCode.ALREADY_EXISTS, "amount.amount",
    )
    assert await posted(wallet, consumer.id) == 550


async def test_void_releases_the_hold_and_a_voided_hold_cannot_be_posted(wallet):
    consumer, _ = await funded_consumer(wallet, 300)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    pending = await hold(wallet, consumer.id, merchant.id, 300)
    void = pb.VoidPendingRequest(transfer_id=new_id("void"), pending_id=pending.id)
    voided = await wallet.VoidPending(void)
    assert voided.type == pb.TRANSFER_TYPE_VOID_PENDING and voided.state == pb.TRANSFER_STATE_VOIDED
    assert (await wallet.VoidPending(void)).id == voided.id
    assert await available(wallet, consumer.id) == 300
    await expect_error(wallet.PostPending(pb.PostPendingRequest(transfer_id=new_id("post"), pending_id=pending.id)),
                       grpc.StatusCode.FAILED_PRECONDITION, "pending_id", "PENDING_VOIDED")
    await expect_error(wallet.PostPending(pb.PostPendingRequest(transfer_id=void.transfer_id, pending_id=pending.id)),
                       grpc.StatusCode.ALREADY_EXISTS, "transfer_id")
    await expect_error(wallet.PostPending(pb.PostPendingRequest(transfer_id=new_id("post"), pending_id="nope")),
                       grpc.StatusCode.NOT_FOUND, "pending_id")
    assert await posted(wallet, merchant.id) == 0


async def test_frozen_debit_account_cannot_post_its_hold_but_can_void_it(wallet):
    consumer, _ = await funded_consumer(wallet, 300)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    pending = await hold(wallet, consumer.id, merchant.id, 100)
    await wallet.FreezeAccount(pb.FreezeAccountRequest(account_id=consumer.id, reason="x"), metadata=ADMIN)
    await expect_error(wallet.PostPending(pb.PostPendingRequest(transfer_id=new_id("post"), pending_id=pending.id)),
                       grpc.StatusCode.FAILED_PRECONDITION, "pending_id", "ACCOUNT_FROZEN")
    await wallet.VoidPending(pb.VoidPendingRequest(transfer_id=new_id("void"), pending_id=pending.id))
    assert await available(wallet, consumer.id) == 300


async def test_concurrent_posts_and_voids_of_one_hold_finish_it_once(wallet):
    consumer, _ = await funded_consumer(wallet, 1000)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    pending = await hold(wallet, consumer.id, merchant.id, 400)
    calls = [wallet.PostPending(pb.PostPendingRequest(transfer_id=new_id("post"), pending_id=pending.id))
             for _ in range(4)]
    calls += [wallet.VoidPending(pb.VoidPendingRequest(transfer_id=new_id("void"), pending_id=pending.id))
              for _ in range(4)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert sum(isinstance(r, pb.Transfer) for r in results) == 1
    assert all(r.code() == grpc.StatusCode.FAILED_PRECONDITION for r in results if not isinstance(r, pb.Transfer))
    total = await posted(wallet, consumer.id) + await posted(wallet, merchant.id)
    assert total == 1000 and await available(wallet, consumer.id) in (600, 1000)


async def test_expired_hold_cannot_be_posted_and_the_worker_voids_it(wallet, wallet_pool):
    consumer, _ = await funded_consumer(wallet, 500)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    pending = await hold(wallet, consumer.id, merchant.id, 200, timeout=1)
    assert pending.expires_at.seconds > 0
    # Checked at post time, even before the worker runs: push expiry into the past directly.
    await wallet_pool.execute("UPDATE transfers SET expires_at = now() - interval '1 second' WHERE id = $1",
                              pending.id)
    await expect_error(wallet.PostPending(pb.PostPendingRequest(transfer_id=new_id("post"), pending_id=pending.id)),
                       grpc.StatusCode.FAILED_PRECONDITION, "pending_id", "PENDING_EXPIRED")
    for _ in range(50):
        stored = await wallet.GetTransfer(pb.GetTransferRequest(transfer_id=pending.id))
        if stored.state == pb.TRANSFER_STATE_EXPIRED:
            break
        await asyncio.sleep(0.1)
    assert stored.state == pb.TRANSFER_STATE_EXPIRED
    assert await available(wallet, consumer.id) == 500
    voided = await wallet_pool.fetch("SELECT payload FROM outbox WHERE subject = 'wallet.transfer.voided'")
    messages = []
    for row in voided:
        message = events_pb2.TransferVoided()
        envelope_pb2.Envelope.FromString(row["payload"]).data.Unpack(message)
        messages.append(message)
    assert any(m.pending_id == pending.id and m.expired for m in messages)


# --- hot accounts ------------------------------------------------------------------------------------------------


async def test_hot_receivable_takes_concurrent_credits_and_settlement_debits_the_sum(wallet):
    consumers = [(await funded_consumer(wallet, 100))[0] for _ in range(10)]
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    payable = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_PAYABLE, merchant.owner_id)
    await asyncio.gather(*[transfer(wallet, c.id, merchant.id, 7) for c in consumers for _ in range(5)])
    assert await posted(wallet, merchant.id) == 350
    await expect_error(transfer(wallet, merchant.id, payable.id, 351), grpc.StatusCode.FAILED_PRECONDITION,
                       "transfers[0].amount.amount", "INSUFFICIENT_FUNDS")
    await transfer(wallet, merchant.id, payable.id, 350)
    assert await posted(wallet, merchant.id) == 0 and await posted(wallet, payable.id) == 350


# --- statements, export, events --------------------------------------------------------------------------------


def ts(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)
    return out


async def test_entries_paginate_newest_first_and_export_covers_the_range(wallet):
    started = datetime.now(UTC) - timedelta(seconds=1)
    consumer, _ = await funded_consumer(wallet, 1000)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    made = [(await transfer(wallet, consumer.id, merchant.id, i + 1, reference=f"trd-{i}")).transfers[0].id
            for i in range(5)]
    seen, token = [], ""
    while True:
        page = await wallet.ListEntries(pb.ListEntriesRequest(account_id=merchant.id, page={"page_size": 2,
                                                                                            "page_token": token}))
        seen += [e.transfer_id for e in page.entries]
        assert all(e.direction == pb.ENTRY_DIRECTION_CREDIT and e.counterparty_account_id == consumer.id
                   for e in page.entries)
        token = page.page.next_page_token
        if not token:
            break
    assert seen == list(reversed(made))
    debits = await wallet.ListEntries(pb.ListEntriesRequest(account_id=consumer.id))
    assert [e.direction for e in debits.entries][:5] == [pb.ENTRY_DIRECTION_DEBIT] * 5
    nothing = await wallet.ListEntries(pb.ListEntriesRequest(account_id=merchant.id, to=ts(started)))
    assert list(nothing.entries) == []

    exported, token = [], ""
    while True:
        page = await wallet.ExportLedger(pb.ExportLedgerRequest(
            **{"from": ts(started)}, to=ts(datetime.now(UTC) + timedelta(seconds=1)),
            page={"page_size": 3, "page_token": token}))
        exported += list(page.transfers)
        token = page.page.next_page_token
        if not token:
            break
    assert [t.id for t in exported if t.id in made] == made
    assert {t.reference for t in exported if t.id in made} == {f"trd-{i}" for i in range(5)}
    await expect_error(wallet.ExportLedger(pb.ExportLedgerRequest(to=ts(started))), grpc.StatusCode.INVALID_ARGUMENT,
                       "from")
    await expect_error(wallet.ListEntries(pb.ListEntriesRequest(account_id=merchant.id, page={"page_token": "%%"})),
                       grpc.StatusCode.INVALID_ARGUMENT, "page.page_token")


async def test_posted_transfers_reach_jetstream_through_the_outbox(wallet, bus):
    consumer, _ = await funded_consumer(wallet, 100)
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    made = (await transfer(wallet, consumer.id, merchant.id, 42, reference="trd-events")).transfers[0]
    subscription = await bus.js.subscribe("wallet.transfer.posted", ordered_consumer=True)
    try:
        deadline = asyncio.get_running_loop().time() + 15
        while True:
            msg = await subscription.next_msg(timeout=max(0.1, deadline - asyncio.get_running_loop().time()))
            message = events_pb2.TransferPosted()
            envelope_pb2.Envelope.FromString(msg.data).data.Unpack(message)
            if message.transfer.id == made.id:
                break
    finally:
        await subscription.unsubscribe()
    assert message.transfer.amount.amount == 42 and message.transfer.credit_account_id == merchant.id
    assert msg.headers["Nats-Msg-Id"].startswith("evt_")
