"""Bank cards and top-ups on the simulated bank, including a crash between the bank's answer and our commit."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from services.gen.scanpay.events.v1 import envelope_pb2
from services.gen.scanpay.wallet.v1 import events_pb2
from services.gen.scanpay.wallet.v1 import wallet_pb2 as pb
from services.kit.ids import new_id
from services.wallet.bank import SimulatedBank
from services.wallet.ledger import Ledger
from services.wallet.quickpay import KIND_TOP_UP, QuickPay

from .conftest import cny, funded_consumer, open_account, posted
from .test_wallet_ledger import expect_error

SUCCESS, INSUFFICIENT, DECLINED, TIMEOUT, SLOW = (
    "4111 1111 1111 1111", "4000000000009995", "4000000000000002", "4000000000000119", "4000000000000259",
)


async def bind(wallet, account_id: str, number: str = SUCCESS) -> pb.Card:
    return await wallet.BindCard(pb.BindCardRequest(account_id=account_id, card_number=number, expiry="12/39",
                                                    holder_name="Li Lei"))


async def top_up(wallet, card: pb.Card, amount: int, request_id: str | None = None) -> pb.CardTopUp:
    return await wallet.TopUp(pb.TopUpRequest(request_id=request_id or new_id("top"), card_id=card.id,
                                              account_id=card.account_id, amount=cny(amount)))


async def test_bind_card_keeps_only_token_last4_and_brand(wallet, wallet_pool):
    consumer, _ = await funded_consumer(wallet, 0)
    card = await bind(wallet, consumer.id)
    assert (card.last4, card.brand) == ("1111", pb.CARD_BRAND_VISA)
    again = await bind(wallet, consumer.id)
    assert again.id == card.id
    listed = await wallet.ListCards(pb.ListCardsRequest(account_id=consumer.id))
    assert [c.id for c in listed.cards] == [card.id]
    await top_up(wallet, card, 10)
    tables = await wallet_pool.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'wallet'")
    for table in tables:
        dump = await wallet_pool.fetchval(f"SELECT string_agg(t::text, ' ') FROM {table['table_name']} t")
        assert "4111111111111111" not in (dump or ""), table["table_name"]
    payloads = await wallet_pool.fetch("SELECT payload FROM outbox")
    assert all(b"4111111111111111" not in bytes(p["payload"]) for p in payloads)


@pytest.mark.parametrize(
    ("number", "expiry", "field"),
    [("4111111111111112", "12/39", "card_number"), ("41111", "12/39", "card_number"),
     ("4111111111111111", "01/20", "expiry"), ("4111111111111111", "13/40", "expiry")],
)
async def test_bind_card_rejects_bad_cards(wallet, number, expiry, field):
    consumer, _ = await funded_consumer(wallet, 0)
    await expect_error(wallet.BindCard(pb.BindCardRequest(account_id=consumer.id, card_number=number, expiry=expiry,
                                                          holder_name="Li Lei")),
                       grpc.StatusCode.INVALID_ARGUMENT, field)


async def test_cards_bind_only_to_consumer_wallets(wallet):
    merchant = await open_account(wallet, pb.ACCOUNT_KIND_MERCHANT_RECEIVABLE)
    await expect_error(bind(wallet, merchant.id), grpc.StatusCode.INVALID_ARGUMENT, "account_id")


async def test_top_up_credits_once_and_a_retry_returns_the_first_result(wallet, wallet_pool):
    consumer, _ = await funded_consumer(wallet, 0)
    card = await bind(wallet, consumer.id)
    request_id = new_id("top")
    first = await top_up(wallet, card, 500, request_id)
    assert first.state == pb.TOP_UP_STATE_SUCCEEDED and first.transfer_id
    again = await top_up(wallet, card, 500, request_id)
    assert again.transfer_id == first.transfer_id
    assert await posted(wallet, consumer.id) == 500
    await expect_error(top_up(wallet, card, 501, request_id), grpc.StatusCode.ALREADY_EXISTS, "amount.amount")
    succeeded = []
    for row in await wallet_pool.fetch("SELECT payload FROM outbox WHERE subject = 'wallet.topup.succeeded'"):
        message = events_pb2.TopUpFinished()
        envelope_pb2.Envelope.FromString(row["payload"]).data.Unpack(message)
        succeeded.append(message.top_up.request_id)
    assert succeeded.count(request_id) == 1


@pytest.mark.parametrize(("number", "reason"), [(INSUFFICIENT, "INSUFFICIENT_FUNDS"), (DECLINED, "DECLINED")])
async def test_refused_top_up_fails_and_moves_nothing(wallet, number, reason):
    consumer, _ = await funded_consumer(wallet, 0)
    card = await bind(wallet, consumer.id, number)
    result = await top_up(wallet, card, 500)
    assert result.state == pb.TOP_UP_STATE_FAILED and result.failure_reason == reason and not result.transfer_id
    assert await posted(wallet, consumer.id) == 0


async def test_slow_bank_still_succeeds(wallet):
    consumer, _ = await funded_consumer(wallet, 0)
    card = await bind(wallet, consumer.id, SLOW)
    assert (await top_up(wallet, card, 70)).state == pb.TOP_UP_STATE_SUCCEEDED
    assert await posted(wallet, consumer.id) == 70


async def test_bank_timeout_leaves_pending_and_recovery_books_it_once(wallet):
    consumer, _ = await funded_consumer(wallet, 0)
    card = await bind(wallet, consumer.id, TIMEOUT)
    request_id = new_id("top")
    first = await top_up(wallet, card, 300, request_id)
    assert first.state == pb.TOP_UP_STATE_PENDING and await posted(wallet, consumer.id) == 0
    for _ in range(100):
        current = await wallet.GetTopUp(pb.GetTopUpRequest(request_id=request_id))
        if current.state != pb.TOP_UP_STATE_PENDING:
            break
        await asyncio.sleep(0.1)
    assert current.state == pb.TOP_UP_STATE_SUCCEEDED
    assert (await top_up(wallet, card, 300, request_id)).state == pb.TOP_UP_STATE_SUCCEEDED
    assert await posted(wallet, consumer.id) == 300


class CrashingBank(SimulatedBank):
    """The bank charges, then our process 'dies' before it can commit the answer (or before asking)."""

    def __init__(self, pool, before_charge: bool) -> None:
        super().__init__(pool)
        self.before_charge = before_charge

    async def charge(self, request_id, token, amount, currency):
        if self.before_charge:
            raise ConnectionResetError("crashed before reaching the bank")
        await super().charge(request_id, token, amount, currency)
        raise ConnectionResetError("crashed after the bank answered")


@pytest.mark.parametrize("before_charge", [False, True])
async def test_crash_around_the_bank_call_neither_loses_nor_doubles_money(wallet, wallet_pool, before_charge):
    consumer, _ = await funded_consumer(wallet, 0)
    card = await bind(wallet, consumer.id)
    ledger = Ledger(wallet_pool)
    crashing = QuickPay(wallet_pool, ledger, CrashingBank(wallet_pool, before_charge))
    request_id = new_id("top")
    with pytest.raises(ConnectionResetError):
        await crashing.top_up(request_id, card.id, consumer.id, cny(250), True, KIND_TOP_UP)
    assert (await wallet.GetTopUp(pb.GetTopUpRequest(request_id=request_id))).state == pb.TOP_UP_STATE_PENDING
    assert await posted(wallet, consumer.id) == 0
    recovering = QuickPay(wallet_pool, ledger, SimulatedBank(wallet_pool))
    await recovering.recover(older_than_seconds=0)
    await recovering.recover(older_than_seconds=0)
    done = await wallet.GetTopUp(pb.GetTopUpRequest(request_id=request_id))
    assert done.state == pb.TOP_UP_STATE_SUCCEEDED
    assert await posted(wallet, consumer.id) == 250
    charges = await wallet_pool.fetchval("SELECT count(*) FROM sim_bank_charges WHERE request_id = $1", request_id)
    assert charges == 1


async def test_pay_from_card_charges_only_the_shortfall(wallet, wallet_pool):
    consumer, _ = await funded_consumer(wallet, 300)
    card = await bind(wallet, consumer.id)
    request = pb.TopUpRequest(request_id=new_id("pfc"), card_id=card.id, account_id=consumer.id, amount=cny(1000))
    result = await wallet.PayFromCard(request)
    assert result.state == pb.TOP_UP_STATE_SUCCEEDED and result.charged.amount == 700
    assert await posted(wallet, consumer.id) == 1000
    covered = await wallet.PayFromCard(pb.TopUpRequest(request_id=new_id("pfc"), card_id=card.id,
                                                       account_id=consumer.id, amount=cny(900)))
    assert covered.state == pb.TOP_UP_STATE_SUCCEEDED and covered.charged.amount == 0
    assert not await wallet_pool.fetchval("SELECT count(*) FROM sim_bank_charges WHERE request_id = $1",
                                          covered.request_id)
    assert await posted(wallet, consumer.id) == 1000


async def test_top_up_bad_input(wallet):
    consumer, _ = await funded_consumer(wallet, 0)
    other, _ = await funded_consumer(wallet, 0)
    card = await bind(wallet, consumer.id)
    base = {"request_id": new_id("top"), "card_id": card.id, "account_id": consumer.id}
    await expect_error(wallet.TopUp(pb.TopUpRequest(**base, amount=cny(0))), grpc.StatusCode.INVALID_ARGUMENT,
                       "amount.amount")
    await expect_error(wallet.TopUp(pb.TopUpRequest(**base)), grpc.StatusCode.INVALID_ARGUMENT, "amount")
    await expect_error(wallet.TopUp(pb.TopUpRequest(**{**base, "account_id": other.id}, amount=cny(5))),
                       grpc.StatusCode.NOT_FOUND, "card_id")
    await expect_error(wallet.TopUp(pb.TopUpRequest(**base, amount={"amount": 5, "currency": "USD"})),
                       grpc.StatusCode.INVALID_ARGUMENT, "amount.currency")
    await expect_error(wallet.GetTopUp(pb.GetTopUpRequest(request_id=base["request_id"])),
                       grpc.StatusCode.NOT_FOUND, "request_id")
