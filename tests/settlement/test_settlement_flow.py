"""Settlement on the real stack: wallet, merchant and settlement servers in-process on real PostgreSQL and
NATS; gateway events published to JetStream as the gateway would."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import asyncpg
import grpc
import pytest
import pytest_asyncio
from google.protobuf.message import Message
from rich.console import Console

from services.cli import settle
from services.gen.scanpay.common.v1 import common_pb2
from services.gen.scanpay.gateway.v1 import events_pb2 as gw
from services.gen.scanpay.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from services.gen.scanpay.merchant.v1 import merchant_pb2, merchant_pb2_grpc
from services.gen.scanpay.settlement.v1 import settlement_pb2 as pb
from services.gen.scanpay.settlement.v1 import settlement_pb2_grpc
from services.gen.scanpay.wallet.v1 import wallet_pb2, wallet_pb2_grpc
from services.kit import localstack
from services.kit.db import create_pool
from services.kit.events import DLQ_STREAM, Bus, build_envelope, dlq_config, ensure_stream, stream_config
from services.kit.grpc import GrpcServer, error_detail, make_channel
from services.kit.ids import new_id
from services.kit.service import serve
from services.settlement import domain, runs, statements
from services.settlement.clients import Directory, Ledger

ADMIN = (("x-scanpay-actor", "admin"),)
TODAY = domain.today_in_shanghai()
D1, D2, D3, D5 = (TODAY - timedelta(days=n) for n in (20, 19, 18, 10))
pytestmark = pytest.mark.asyncio(loop_scope="session")


def cny(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount=amount, currency="CNY")


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), domain.SHANGHAI).astimezone(UTC)


class Stack:
    def __init__(self, ports: dict[str, int], token: str, bus, pool) -> None:  # type: ignore[no-untyped-def]
        self.bus, self.pool = bus, pool
        chan = {s: make_channel(f"127.0.0.1:{p}", token, f"scanpay.{s}.v1.{s.capitalize()}Service", deadline=30)
                for s, p in ports.items() if s != "gateway"}
        self.channels = chan
        self.ports = ports
        self.settlement = settlement_pb2_grpc.SettlementServiceStub(chan["settlement"])
        self.wallet = wallet_pb2_grpc.WalletServiceStub(chan["wallet"])
        self.merchant = merchant_pb2_grpc.MerchantServiceStub(chan["merchant"])

    async def publish(self, event_type: str, message: Message) -> str:
        envelope = build_envelope("gateway", event_type, message)
        await self.bus.js.publish(f"gateway.{event_type}", envelope.SerializeToString(),
                                  headers={"Nats-Msg-Id": envelope.id})
        return envelope.id

    async def account(self, kind: int, owner: str) -> str:
        reply = await self.wallet.OpenAccount(wallet_pb2.OpenAccountRequest(kind=kind, owner_id=owner, currency="CNY"),
                                              metadata=ADMIN)
        return reply.id

    async def balance(self, kind: int, owner: str) -> int:
        reply = await self.wallet.GetBalance(wallet_pb2.GetBalanceRequest(account_id=await self.account(kind, owner)),
                                             metadata=ADMIN)
        return reply.posted.amount

    async def move(self, batch: str, debit: str, credit: str, amount: int, reference: str) -> None:
        await self.wallet.CreateTransfers(wallet_pb2.CreateTransfersRequest(batch_id=batch, transfers=[
            wallet_pb2.TransferInput(id=f"{batch}:1", debit_account_id=debit, credit_account_id=credit,
                                     amount=cny(amount), code=1, reference=reference)]), metadata=ADMIN)

    async def pay(self, merchant: str, amount: int, when: datetime, mall: str = "", discount: int = 0,
                  fund: bool = True) -> str:
        """What the gateway does for a paid trade: the receivable is credited, then trade.succeeded goes out."""
        trade_id = new_id("trd")
        if fund:
            bank = await self.account(wallet_pb2.ACCOUNT_KIND_BANK_CLEARING, "test-bank")
            receivable = await self.account(wallet_pb2.ACCOUNT_KIND_MERCHANT_RECEIVABLE, merchant)
            await self.move(trade_id, bank, receivable, amount, trade_id)
        await self.publish("trade.succeeded", gw.TradeSucceeded(
            trade_id=trade_id, merchant_id=merchant, store_id=f"sto_{merchant}", mall_id=mall, consumer_id="csm_1",
            amount=cny(amount), paid=cny(amount - discount), discount=cny(discount), wallet_batch_id=trade_id,
            succeeded_at=_ts(when)))
        return trade_id

    async def refund(self, merchant: str, trade_id: str, amount: int, when: datetime, debit_ledger: bool = True) -> str:
        refund_id = new_id("rfd")
        if debit_ledger:
            bank = await self.account(wallet_pb2.ACCOUNT_KIND_BANK_CLEARING, "test-bank")
            receivable = await self.account(wallet_pb2.ACCOUNT_KIND_MERCHANT_RECEIVABLE, merchant)
            await self.move(refund_id, receivable, bank, amount, trade_id)  # as the gateway: batch = refund id
        await self.publish("refund.succeeded", gw.RefundSucceeded(
            refund_id=refund_id, trade_id=trade_id, merchant_id=merchant, amount=cny(amount), paid_part=cny(amount),
            discount_part=cny(0), succeeded_at=_ts(when)))
        return refund_id

    async def entries(self, **where: str) -> list:
        clause = " AND ".join(f"{k} = ${i + 1}" for i, k in enumerate(where)) or "true"
        async with self.pool.acquire() as conn:
            return await conn.fetch(f"SELECT * FROM clearing_entries WHERE {clause} ORDER BY cleared_at",
                                    *where.values())

    async def wait_entries(self, count: int, **where: str) -> list:
        for _ in range(200):
            rows = await self.entries(**where)
            if len(rows) >= count:
                return rows
            await asyncio.sleep(0.05)
        raise AssertionError(f"{count} clearing entries for {where} never arrived")

    async def run(self, day: date) -> pb.RunSettlementResponse:
        return await self.settlement.RunSettlement(pb.RunSettlementRequest(business_date=day.isoformat()),
                                                   metadata=ADMIN)

    async def batch(self, merchant: str, day: date) -> pb.Batch:
        return await self.settlement.GetBatch(pb.GetBatchRequest(batch_id=domain.batch_id(merchant, day)),
                                              metadata=ADMIN)


def _ts(moment: datetime):  # type: ignore[no-untyped-def]
    from google.protobuf.timestamp_pb2 import Timestamp

    out = Timestamp()
    out.FromDatetime(moment)
    return out


class GatewayReads(gateway_pb2_grpc.GatewayInternalServiceServicer):
    """The gateway's reconciliation read, serving the trades a test says the gateway holds (two per page)."""

    def __init__(self) -> None:
        self.trades: dict[str, list[gateway_pb2.TradeRecord]] = {}
        self.refunds: dict[str, list[gateway_pb2.Refund]] = {}
        self.pages = 0

    async def ListRefundsForDay(self, request: gateway_pb2.ListTradesForDayRequest, context: object
                                ) -> gateway_pb2.ListRefundsForDayResponse:
        return gateway_pb2.ListRefundsForDayResponse(refunds=self.refunds.get(request.business_date, []))

    async def ListTradesForDay(self, request: gateway_pb2.ListTradesForDayRequest, context: object
                               ) -> gateway_pb2.ListTradesForDayResponse:
        self.pages += 1
        day = sorted(self.trades.get(request.business_date, []), key=lambda t: t.trade_id)
        start = int(request.page.page_token or 0)
        page = day[start:start + 2]
        more = start + 2 < len(day)
        return gateway_pb2.ListTradesForDayResponse(
            trades=page, page=common_pb2.PageResponse(next_page_token=str(start + 2) if more else ""))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def own_servers(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, Bus]]:
    """A database and a NATS of this module's own: the session's stack (its settlement consumers and the other
    suites' trades) must not see these tests' days, and these tests must not see the stack's."""
    name = f"scanpay_settle_{secrets.token_hex(4)}"
    dsn = await localstack.create_database(pg_server, name)
    nats = localstack.EmbeddedNats(tmp_path_factory.mktemp("settlement-nats"))
    bus = Bus(nats.start(), "scanpay-settlement-tests")
    assert await bus.connect(wait=10)
    for service in ("merchant", "wallet", "settlement"):
        await localstack.prepare_service(dsn, service)
    yield dsn, bus
    await bus.close()
    nats.stop()
    admin = await asyncpg.connect(pg_server)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(own_servers: tuple[str, Bus], settings_for,  # type: ignore[no-untyped-def]
                tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    dsn, bus = own_servers
    out_dir = tmp_path_factory.mktemp("settlement-out")
    os.environ["SCANPAY_SETTLEMENT_OUTPUT_DIR"] = str(out_dir)
    os.environ["SCANPAY_SETTLEMENT_AUTO_RUN_AT"] = "off"  # the tests settle days themselves
    services = ("merchant", "wallet", "settlement")
    ports = {s: localstack.free_port() for s in (*services, "gateway")}
    reads = GatewayReads()
    gateway = GrpcServer("gateway", settings_for("gateway").internal_token,
                         ["scanpay.gateway.v1.GatewayInternalService"])
    gateway.add(gateway_pb2_grpc.add_GatewayInternalServiceServicer_to_server, reads)
    await gateway.start("127.0.0.1", ports["gateway"])
    stop = asyncio.Event()
    tasks = []
    for service in services:
        base = settings_for(service)
        addresses = {**base.addresses, **{s: f"127.0.0.1:{p}" for s, p in ports.items()}}
        settings = dataclasses.replace(base, pg_dsn=dsn, nats_url=bus.url, grpc_port=ports[service],
                                       addresses=addresses, drain_seconds=0.5, db_pool_max=4)
        module = __import__(f"services.{service}.__main__", fromlist=["spec"])
        tasks.append(asyncio.create_task(serve(module.spec(), settings, stop)))
    await ensure_stream(bus.js, stream_config("gateway"))
    await ensure_stream(bus.js, dlq_config())
    for service in services:
        for _ in range(200):
            if await localstack.health_check(f"127.0.0.1:{ports[service]}", service):
                break
            await asyncio.sleep(0.05)
    pool = await create_pool(dataclasses.replace(settings_for("settlement"), pg_dsn=dsn), max_size=8)
    s = Stack(ports, settings_for("settlement").internal_token, bus, pool)
    s.out_dir = out_dir  # type: ignore[attr-defined]
    s.gateway_reads = reads  # type: ignore[attr-defined]
    yield s
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    await gateway.stop(0)
    await pool.close()


async def new_merchant(stack: Stack, fee_bps: int, bank: str = "ICBC") -> str:
    reply = await stack.merchant.CreateMerchant(merchant_pb2.CreateMerchantRequest(
        legal_name="Test Shop Ltd", display_name="Test Shop", licence_id=new_id("lic").upper().replace("_", "")[:18],
        mcc="5812", fee_rate_bps=fee_bps, settlement_account=merchant_pb2.BankAccountInput(
            account_number="6222020200112233", account_name="Test Shop Ltd", bank_name=bank)), metadata=ADMIN)
    return reply.merchant_id


async def new_mall(stack: Stack, commission_bps: int) -> str:
    reply = await stack.merchant.CreateMall(merchant_pb2.CreateMallRequest(
        name="Grand Mall", operator_name="Grand Mall Operating Co", city="Shanghai", commission_bps=commission_bps),
        metadata=ADMIN)
    return reply.mall_id


async def test_events_in_batch_ledger_statement_and_idempotent_rerun(stack: Stack) -> None:
    mall = await new_mall(stack, 200)
    merchant = await new_merchant(stack, 60)
    t1 = await stack.pay(merchant, 10_000, at(D1, 10), mall, discount=1_000)
    t2 = await stack.pay(merchant, 3_333, at(D1, 11), mall)
    await stack.wait_entries(2, merchant_id=merchant)
    await stack.refund(merchant, t1, 5_000, at(D1, 15))
    entries = await stack.wait_entries(3, merchant_id=merchant)
    assert [e["fee_rate_bps"] for e in entries] == [60, 60, 60] and entries[0]["commission_bps"] == 200

    fee_before = await stack.balance(wallet_pb2.ACCOUNT_KIND_FEE_REVENUE, "platform")
    result = await stack.run(D1)
    assert not result.already_settled and result.posted_count == result.batch_count >= 1
    batch = await stack.batch(merchant, D1)
    # fees: 60 + 20 (3333 * 0.6% = 19.998) - 30 returned; commission: 200 + 67 (66.66) - 100 returned
    assert (batch.gross.amount, batch.refunds.amount, batch.fees.amount, batch.mall_commission.amount) == (
        13_333, 5_000, 50, 167)
    assert batch.net.amount == 13_333 - 5_000 - 50 - 167 == batch.payout.amount
    assert batch.discounts.amount == 1_000 and batch.status == pb.BATCH_STATUS_POSTED
    assert [(m.mall_id, m.amount.amount) for m in batch.malls] == [(mall, 167)]

    balances = {
        "payable": await stack.balance(wallet_pb2.ACCOUNT_KIND_MERCHANT_PAYABLE, merchant),
        "receivable": await stack.balance(wallet_pb2.ACCOUNT_KIND_MERCHANT_RECEIVABLE, merchant),
        "mall": await stack.balance(wallet_pb2.ACCOUNT_KIND_MALL_COMMISSION_PAYABLE, mall),
        "fee": await stack.balance(wallet_pb2.ACCOUNT_KIND_FEE_REVENUE, "platform") - fee_before,
    }
    assert balances == {"payable": 8_116, "receivable": 0, "mall": 167, "fee": 50}

    statement = await stack.settlement.GetStatement(
        pb.GetStatementRequest(merchant_id=merchant, business_date=D1.isoformat()), metadata=ADMIN)
    rows = statements.parse(statement.csv)
    lines = [r for r in rows if r["line_type"] in ("trade", "refund")]
    summary = next(r for r in rows if r["line_type"] == "summary")
    assert {r["trade_id"] for r in lines} == {t1, t2} and len(lines) == 3
    for column in ("gross", "fee", "commission", "net"):
        assert sum(statements.fen(r[column]) for r in lines) == statements.fen(summary[column])
    assert statements.fen(summary["net"]) == batch.net.amount
    assert statements.fen(next(r for r in rows if r["line_type"] == "payout")["net"]) == 8_116
    assert statement.file_name.endswith(".csv") and statement.content_type == "text/csv"

    payout_file = Path(stack.out_dir) / D1.isoformat() / f"payouts_ICBC_{D1:%Y%m%d}.csv"  # type: ignore[attr-defined]
    assert any(r["merchant_id"] == merchant and statements.fen(r["amount"]) == 8_116
               for r in statements.parse(payout_file.read_bytes()))

    again = await stack.run(D1)
    assert again.already_settled and not again.payout_files
    assert await stack.batch(merchant, D1) == batch
    assert await stack.balance(wallet_pb2.ACCOUNT_KIND_MERCHANT_PAYABLE, merchant) == 8_116
    assert await stack.balance(wallet_pb2.ACCOUNT_KIND_MALL_COMMISSION_PAYABLE, mall) == 167

    mall_statement = await stack.settlement.GetMallStatement(
        pb.GetMallStatementRequest(mall_id=mall, business_date=D1.isoformat()), metadata=ADMIN)
    assert mall_statement.net.amount == 167 and mall_statement.line_count == 3

    # A late event for the settled D1 lands in D2's batch, flagged.
    late = await stack.pay(merchant, 2_000, at(D1, 20), mall)
    [entry] = await stack.wait_entries(1, trade_id=late)
    assert entry["late"] and entry["batch_date"] == D2 and entry["business_date"] == D1
    assert (await stack.batch(merchant, D1)).gross.amount == 13_333

    # The bank refuses the D1 payout: it is re-queued and goes out with D2's file.
    [payout] = (await stack.settlement.ListPayouts(pb.ListPayoutsRequest(merchant_id=merchant), metadata=ADMIN)).payouts
    assert payout.status == pb.PAYOUT_STATUS_SENT and payout.amount.amount == 8_116
    marked = await stack.settlement.MarkPayout(pb.MarkPayoutRequest(
        payout_id=payout.payout_id, status=pb.PAYOUT_STATUS_FAILED, reason="account closed"), metadata=ADMIN)
    assert marked.payout.status == pb.PAYOUT_STATUS_FAILED and marked.requeued.status == pb.PAYOUT_STATUS_PENDING
    assert marked.requeued.attempt == 2 and marked.requeued.amount.amount == 8_116

    d2 = await stack.run(D2)
    assert d2.late_count >= 1
    late_batch = await stack.batch(merchant, D2)
    assert late_batch.late_count == 1 and late_batch.gross.amount == 2_000
    d2_rows = statements.parse((await stack.settlement.GetStatement(
        pb.GetStatementRequest(merchant_id=merchant, business_date=D2.isoformat()), metadata=ADMIN)).csv)
    assert [r["late"] for r in d2_rows if r["line_type"] == "trade"] == ["yes"]
    payouts = (await stack.settlement.ListPayouts(pb.ListPayoutsRequest(merchant_id=merchant), metadata=ADMIN)).payouts
    assert sorted((p.business_date, p.attempt, p.status) for p in payouts) == [
        (D1.isoformat(), 1, pb.PAYOUT_STATUS_FAILED), (D1.isoformat(), 2, pb.PAYOUT_STATUS_SENT),
        (D2.isoformat(), 1, pb.PAYOUT_STATUS_SENT)]
    paid = await stack.settlement.MarkPayout(pb.MarkPayoutRequest(
        payout_id=marked.requeued.payout_id, status=pb.PAYOUT_STATUS_PAID), metadata=ADMIN)
    assert paid.payout.status == pb.PAYOUT_STATUS_PAID
    # The money left the merchant payable for the bank: only D2's payout (still at the bank) remains.
    assert await stack.balance(wallet_pb2.ACCOUNT_KIND_MERCHANT_PAYABLE, merchant) == late_batch.payout.amount
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.settlement.MarkPayout(pb.MarkPayoutRequest(
            payout_id=marked.requeued.payout_id, status=pb.PAYOUT_STATUS_FAILED, reason="late"), metadata=ADMIN)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_cli_runs_a_day_and_fetches_a_statement(stack: Stack, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SCANPAY_SETTLEMENT_ADDR", f"127.0.0.1:{stack.ports['settlement']}")
    monkeypatch.setattr(settle, "console", Console(stderr=True, width=200))  # a wide terminal
    parser = argparse.ArgumentParser()
    settle.register(parser.add_subparsers())
    run = parser.parse_args(["settle", "run", "--date", D1.isoformat()])
    assert await asyncio.to_thread(run.run, run) == 0
    shown = capsys.readouterr().err
    assert f"settlement {D1.isoformat()} (already settled)" in shown and "payout" in shown
    [batch] = (await stack.settlement.ListBatches(pb.ListBatchesRequest(from_date=D1.isoformat()),
                                                  metadata=ADMIN)).batches
    assert batch.merchant_id in shown and statements.yuan(batch.payout.amount) in shown
    out = tmp_path / "statement.csv"
    st = parser.parse_args(["settle", "statement", "--merchant", batch.merchant_id, "--date", D1.isoformat(),
                            "--out", str(out)])
    assert await asyncio.to_thread(st.run, st) == 0
    summary = next(r for r in statements.parse(out.read_bytes()) if r["line_type"] == "summary")
    assert statements.fen(summary["net"]) == batch.net.amount
    bad = parser.parse_args(["settle", "run", "--date", "someday"])
    assert await asyncio.to_thread(bad.run, bad) == 1
    assert "INVALID_ARGUMENT" in capsys.readouterr().err


async def test_negative_net_carries_forward(stack: Stack) -> None:
    merchant = await new_merchant(stack, 60, bank="CCB")
    day1, day2, day3 = D3, D3 + timedelta(days=1), D3 + timedelta(days=2)
    trade = await stack.pay(merchant, 10_000, at(day1, 9))
    await stack.wait_entries(1, merchant_id=merchant)
    await stack.run(day1)
    # day2: the whole trade is refunded (the gateway took it from elsewhere: the receivable was swept) and
    # nothing is sold, so day2's net is negative and carries into the next batch.
    await stack.refund(merchant, trade, 10_000, at(day2, 9), debit_ledger=False)
    await stack.wait_entries(2, merchant_id=merchant)
    await stack.run(day2)
    carried = await stack.batch(merchant, day2)
    assert (carried.net.amount, carried.payout.amount, carried.carry_out.amount) == (-9_940, 0, -9_940)
    await stack.pay(merchant, 20_000, at(day3, 9))
    await stack.wait_entries(3, merchant_id=merchant)
    await stack.run(day3)
    nxt = await stack.batch(merchant, day3)
    assert (nxt.net.amount, nxt.carry_in.amount, nxt.payout.amount, nxt.carry_out.amount) == (
        19_880, -9_940, 9_940, 0)
    assert await stack.balance(wallet_pb2.ACCOUNT_KIND_MERCHANT_PAYABLE, merchant) == 9_940 + 9_940
    # The platform advanced the shortfall and the next batch repaid it.
    advance = [t async for t in stack_ledger(stack).export(*_recent())
               if t.reference in (carried.batch_id, nxt.batch_id) and t.code in (7004, 7005)]
    assert sorted((t.code, t.amount.amount) for t in advance) == [(7004, 9_940), (7005, 9_940)]


def _recent() -> tuple[datetime, datetime]:
    """Ledger transfers are stamped with the real time of posting, not the business day."""
    return datetime.now(UTC) - timedelta(minutes=5), datetime.now(UTC) + timedelta(minutes=1)


async def test_bad_input_is_refused_and_writes_nothing(stack: Stack) -> None:
    for bad in ((TODAY + timedelta(days=3)).isoformat(), TODAY.isoformat(), "2026-13-01", "soon"):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stack.settlement.RunSettlement(pb.RunSettlementRequest(business_date=bad), metadata=ADMIN)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    async with stack.pool.acquire() as conn:
        assert not await conn.fetchval("SELECT count(*) FROM settlement_days WHERE business_date >= $1", TODAY)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.settlement.GetStatement(pb.GetStatementRequest(merchant_id="mch_nobody",
                                                                   business_date=D1.isoformat()), metadata=ADMIN)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.settlement.GetStatement(pb.GetStatementRequest(merchant_id="mch_x", business_date=D1.isoformat()),
                                            metadata=(("x-scanpay-actor", "merchant:mch_y"),))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_poison_events_go_to_the_dead_letter_subject_with_the_reason(stack: Stack) -> None:
    merchant = await new_merchant(stack, 60)
    sub = await stack.bus.js.subscribe("dlq.settlement-trade-succeeded", stream=DLQ_STREAM)
    negative = gw.TradeSucceeded(trade_id=new_id("trd"), merchant_id=merchant, amount=cny(-100), paid=cny(-100),
                                 discount=cny(0), succeeded_at=_ts(at(D5)))
    usd = gw.TradeSucceeded(trade_id=new_id("trd"), merchant_id=merchant, amount=cny(100), discount=cny(0),
                            paid=common_pb2.Money(amount=100, currency="USD"), succeeded_at=_ts(at(D5)))
    await stack.publish("trade.succeeded", negative)
    await stack.publish("trade.succeeded", usd)
    reasons = []
    for _ in range(2):
        msg = await sub.next_msg(timeout=10)
        reasons.append(msg.headers["Scanpay-Dead-Reason"])
    assert any("amount -100" in r for r in reasons) and any("currency USD" in r for r in reasons)
    assert not await stack.entries(merchant_id=merchant)
    await sub.unsubscribe()


async def test_reconciliation_finds_missing_ledger_duplicate_clearing_and_one_fen(stack: Stack) -> None:
    merchant = await new_merchant(stack, 60)
    paid = [await stack.pay(merchant, 1_000 + i, at(D5, 9 + i)) for i in range(4)]
    unfunded = await stack.pay(merchant, 500, at(D5, 14), fund=False)  # money never reached the ledger
    await stack.wait_entries(5, merchant_id=merchant)
    refund = await stack.refund(merchant, paid[0], 400, at(D5, 15))
    await stack.wait_entries(6, merchant_id=merchant)
    async with stack.pool.acquire() as conn:  # a clearing entry written twice
        await conn.execute(
            """
            INSERT INTO clearing_entries SELECT 'clr_dup', kind, trade_id, refund_id, event_id || '-dup', merchant_id,
              store_id, mall_id, currency, gross, paid, discount, fee, commission, net, fee_rate_bps, min_fee,
              commission_bps, mcc, rounding_e4, wallet_batch_id, occurred_at, business_date, batch_date, late, now()
            FROM clearing_entries WHERE trade_id = $1
            """, paid[1])
    gateway = [domain.Record("trade", t, t, merchant, 1_000 + i) for i, t in enumerate(paid)]
    gateway[2] = domain.Record("trade", paid[2], paid[2], merchant, 1_002 + 1)  # the gateway says one fen more
    gateway.append(domain.Record("trade", unfunded, unfunded, merchant, 500))
    gateway.append(domain.Record("refund", refund, paid[0], merchant, 400))
    clearing_trades, merchants = await runs.clearing_subjects(stack.pool, D5)
    directory = stack_ledger(stack)
    known = clearing_trades | {r.subject_id for r in gateway}
    ledger = await runs.ledger_records(directory, _recent(), merchants, known)
    result = await runs.reconcile(stack.pool, D5, gateway, ledger)
    found = {(f.subject_id, f.kind) for f in result.totals.findings}
    assert found == {(unfunded, "MISSING_IN_LEDGER"), (paid[1], "DUPLICATE_CLEARING"), (paid[2], "AMOUNT_MISMATCH")}
    assert result.totals.matched == 3 and result.fresh == 3  # two trades and the refund
    assert result.totals.counts == {"gateway": 6, "ledger": 5, "clearing": 6}
    clearing = [domain.Record(e["kind"], e["refund_id"] or e["trade_id"], e["trade_id"], merchant, e["gross"])
                for e in await stack.entries(merchant_id=merchant)]
    reference = domain.reconcile(gateway, ledger, clearing)
    assert {(f.subject_id, f.kind, f.reason) for f in reference.findings} == {
        (f.subject_id, f.kind, f.reason) for f in result.totals.findings}

    again = await runs.reconcile(stack.pool, D5, gateway, ledger)
    assert again.fresh == 0  # known discrepancies are seen again, not duplicated
    listed = await stack.settlement.ListDiscrepancies(pb.ListDiscrepanciesRequest(
        business_date=D5.isoformat(), status=pb.DISCREPANCY_STATUS_OPEN), metadata=ADMIN)
    assert len(listed.discrepancies) == 3
    mismatch = next(d for d in listed.discrepancies if d.kind == pb.DISCREPANCY_KIND_AMOUNT_MISMATCH)
    assert (mismatch.gateway_amount.amount, mismatch.ledger_amount.amount, mismatch.clearing_amount.amount) == (
        1_003, 1_002, 1_002)
    resolved = await stack.settlement.ResolveDiscrepancy(pb.ResolveDiscrepancyRequest(
        discrepancy_id=mismatch.discrepancy_id, resolution="gateway corrected the amount"), metadata=ADMIN)
    assert resolved.status == pb.DISCREPANCY_STATUS_RESOLVED and resolved.resolved_by == "admin"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.settlement.ResolveDiscrepancy(pb.ResolveDiscrepancyRequest(
            discrepancy_id=mismatch.discrepancy_id, resolution="again"), metadata=ADMIN)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    still_open = await stack.settlement.ListDiscrepancies(pb.ListDiscrepanciesRequest(
        business_date=D5.isoformat(), status=pb.DISCREPANCY_STATUS_OPEN), metadata=ADMIN)
    assert len(still_open.discrepancies) == 2


def stack_ledger(stack: Stack) -> Ledger:
    """Settlement's wallet client, on the test's channel to the wallet."""
    return Ledger(stack.channels["wallet"])


async def test_reconcile_rpc_reads_the_gateway_page_by_page(stack: Stack) -> None:
    merchant = await new_merchant(stack, 60)
    day = D5 + timedelta(days=1)
    trades = [await stack.pay(merchant, 700 + i, at(day, 9 + i)) for i in range(3)]
    await stack.wait_entries(3, merchant_id=merchant)
    reads: GatewayReads = stack.gateway_reads  # type: ignore[attr-defined]
    reads.trades[day.isoformat()] = [gateway_pb2.TradeRecord(trade_id=t, merchant_id=merchant, amount=cny(700 + i))
                                     for i, t in enumerate(trades)]
    reads.trades[day.isoformat()].append(gateway_pb2.TradeRecord(trade_id="trd_gateway_only", merchant_id=merchant,
                                                                 amount=cny(900)))
    reads.refunds[day.isoformat()] = [gateway_pb2.Refund(refund_id="rfd_gateway_only", trade_id=trades[0],
                                                         merchant_id=merchant, amount=cny(100))]
    before = reads.pages
    report = await stack.settlement.Reconcile(pb.ReconcileRequest(business_date=day.isoformat()), metadata=ADMIN)
    assert reads.pages - before == 2  # four trades, two per page
    assert (report.gateway_count, report.clearing_count, report.missing_in_clearing) == (5, 3, 2)
    # The ledger export covers the business day itself; this test's wallet transfers are stamped today.
    assert report.ledger_count == 0 and report.missing_in_ledger == 5 and report.matched == 0
    assert report.new_discrepancies == len(report.discrepancies) == 7
    assert any(d.subject_kind == "refund" and d.subject_id == "rfd_gateway_only" and d.trade_id == trades[0]
               for d in report.discrepancies)
    gateway_only = [d for d in report.discrepancies if d.trade_id == "trd_gateway_only"]
    assert {pb.DiscrepancyKind.Name(d.kind) for d in gateway_only} == {
        "DISCREPANCY_KIND_MISSING_IN_CLEARING", "DISCREPANCY_KIND_MISSING_IN_LEDGER"}
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.settlement.Reconcile(pb.ReconcileRequest(business_date=TODAY.isoformat()), metadata=ADMIN)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # Days settle in order: D5 still has open entries, so a later day is refused and nothing is written.
    later = D5 + timedelta(days=2)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.run(later)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and str(D5) in err.value.details()
    async with stack.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM settlement_days WHERE business_date = $1", later) == 0


async def test_refund_before_its_trade_waits_and_over_refund_is_dead_lettered(stack: Stack) -> None:
    merchant = await new_merchant(stack, 60)
    trade_id, refund_id = new_id("trd"), new_id("rfd")
    day = D5 + timedelta(days=3)
    bank = await stack.account(wallet_pb2.ACCOUNT_KIND_BANK_CLEARING, "test-bank")
    receivable = await stack.account(wallet_pb2.ACCOUNT_KIND_MERCHANT_RECEIVABLE, merchant)
    await stack.move(trade_id, bank, receivable, 1_000, trade_id)  # the gateway's ledger moves, in their order
    await stack.move(refund_id, receivable, bank, 300, trade_id)
    await stack.publish("refund.succeeded", gw.RefundSucceeded(
        refund_id=refund_id, trade_id=trade_id, merchant_id=merchant, amount=cny(300), paid_part=cny(300),
        discount_part=cny(0), succeeded_at=_ts(at(day, 10))))
    await asyncio.sleep(0.3)
    assert not await stack.entries(trade_id=trade_id)  # refused until its trade is cleared
    await stack.publish("trade.succeeded", gw.TradeSucceeded(
        trade_id=trade_id, merchant_id=merchant, store_id="sto_1", amount=cny(1_000), paid=cny(1_000),
        discount=cny(0), succeeded_at=_ts(at(day, 9))))
    entries = await stack.wait_entries(2, trade_id=trade_id)
    refund = next(e for e in entries if e["kind"] == "refund")
    assert (refund["gross"], refund["fee"], refund["net"]) == (300, 2, -298)  # fee 6 of 1000 -> 1.8 back, 2

    sub = await stack.bus.js.subscribe("dlq.settlement-refund-succeeded", stream=DLQ_STREAM)
    await stack.publish("refund.succeeded", gw.RefundSucceeded(
        refund_id=new_id("rfd"), trade_id=trade_id, merchant_id=merchant, amount=cny(701), paid_part=cny(701),
        discount_part=cny(0), succeeded_at=_ts(at(day, 11))))
    msg = await sub.next_msg(timeout=10)
    assert "above the trade's 1000" in msg.headers["Scanpay-Dead-Reason"]
    assert len(await stack.entries(trade_id=trade_id)) == 2
    await sub.unsubscribe()


async def test_daily_run_settles_every_open_day_in_order_once(stack: Stack) -> None:
    async with stack.pool.acquire() as conn:
        open_days = [r["batch_date"] for r in await conn.fetch(
            "SELECT DISTINCT batch_date FROM clearing_entries e WHERE NOT EXISTS"
            " (SELECT 1 FROM settlement_days s WHERE s.business_date = e.batch_date) ORDER BY 1")]
    assert open_days and open_days[0] == D5
    # The operator fixes D5's discrepancies first: the duplicate goes, the missing money reaches the ledger.
    async with stack.pool.acquire() as conn:
        duplicate = await conn.fetchrow("DELETE FROM clearing_entries WHERE entry_id = 'clr_dup' RETURNING *")
        unfunded = await conn.fetchrow("SELECT * FROM clearing_entries WHERE business_date = $1 AND gross = 500", D5)
    bank = await stack.account(wallet_pb2.ACCOUNT_KIND_BANK_CLEARING, "test-bank")
    receivable = await stack.account(wallet_pb2.ACCOUNT_KIND_MERCHANT_RECEIVABLE, duplicate["merchant_id"])
    await stack.move(unfunded["trade_id"], bank, receivable, 500, unfunded["trade_id"])
    settler = runs.Settler(stack.pool, stack_ledger(stack), runs_banks(stack))
    now = datetime.now(UTC)
    assert await runs.settle_due_days(settler, now) == open_days
    assert await runs.settle_due_days(settler, now) == []
    for day in open_days:
        assert (await stack.run(day)).already_settled


def runs_banks(stack: Stack) -> Directory:
    return Directory(stack.channels["merchant"])


async def test_a_batch_the_ledger_refuses_stays_computed_until_a_rerun_posts_it(stack: Stack) -> None:
    merchant = await new_merchant(stack, 60)
    day = D5 + timedelta(days=4)
    trade = await stack.pay(merchant, 5_000, at(day, 9), fund=False)  # the money is not in the receivable yet
    await stack.wait_entries(1, merchant_id=merchant)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.run(day)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_detail(err.value).reason == "LEDGER_REFUSED_INSUFFICIENT_FUNDS"
    assert (await stack.batch(merchant, day)).status == pb.BATCH_STATUS_COMPUTED
    bank = await stack.account(wallet_pb2.ACCOUNT_KIND_BANK_CLEARING, "test-bank")
    receivable = await stack.account(wallet_pb2.ACCOUNT_KIND_MERCHANT_RECEIVABLE, merchant)
    await stack.move(trade, bank, receivable, 5_000, trade)
    again = await stack.run(day)
    assert again.already_settled and again.posted_count == again.batch_count
    assert (await stack.batch(merchant, day)).status == pb.BATCH_STATUS_POSTED
    assert await stack.balance(wallet_pb2.ACCOUNT_KIND_MERCHANT_PAYABLE, merchant) == 5_000 - 30
