"""gRPC handlers of the wallet service: validate, call the ledger / quick pay, convert."""

from __future__ import annotations

import asyncpg
import grpc

from ..gen.scanpay.common.v1.common_pb2 import PageResponse
from ..gen.scanpay.wallet.v1 import wallet_pb2 as pb
from ..gen.scanpay.wallet.v1 import wallet_pb2_grpc
from ..kit.auth import actor
from ..kit.errors import PermissionDenied, ServiceError
from ..kit.service import Runtime
from . import convert, domain, store
from .domain import TYPE_POST, TYPE_VOID
from .ledger import Ledger
from .quickpay import KIND_PAY_FROM_CARD, KIND_TOP_UP
from .workers import quick_pay

Ctx = grpc.aio.ServicerContext


def _require_operator() -> None:
    """Freezing is for platform operators and services (risk control), never for an end user."""
    who = actor()
    if who.kind not in ("admin", "service"):
        raise PermissionDenied(f"{who.header()} may not freeze accounts")


class WalletApi(wallet_pb2_grpc.WalletServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.ledger = Ledger(runtime.pool)
        self.quick_pay = quick_pay(runtime)

    # --- accounts ------------------------------------------------------------------------------------

    async def OpenAccount(self, request: pb.OpenAccountRequest, context: Ctx) -> pb.Account:
        return convert.account(await self.ledger.open_account(request.kind, request.owner_id, request.currency))

    async def GetAccount(self, request: pb.GetAccountRequest, context: Ctx) -> pb.Account:
        return convert.account(await self.ledger.account(request.account_id))

    async def FindAccount(self, request: pb.FindAccountRequest, context: Ctx) -> pb.Account:
        return convert.account(await self.ledger.find_account(request.kind, request.owner_id, request.currency))

    async def GetBalance(self, request: pb.GetBalanceRequest, context: Ctx) -> pb.Balance:
        return convert.balance(await self.ledger.account(request.account_id))

    async def FreezeAccount(self, request: pb.FreezeAccountRequest, context: Ctx) -> pb.Account:
        _require_operator()
        return convert.account(await self.ledger.set_frozen(request.account_id, True, request.reason))

    async def UnfreezeAccount(self, request: pb.UnfreezeAccountRequest, context: Ctx) -> pb.Account:
        _require_operator()
        return convert.account(await self.ledger.set_frozen(request.account_id, False, ""))

    # --- transfers -----------------------------------------------------------------------------------

    async def CreateTransfers(self, request: pb.CreateTransfersRequest, context: Ctx) -> pb.CreateTransfersResponse:
        specs = domain.parse_batch(request.batch_id, request.transfers)
        replayed, rows = await self.ledger.create_transfers(request.batch_id, specs)
        return pb.CreateTransfersResponse(
            batch_id=request.batch_id, transfers=[convert.transfer(r) for r in rows], replayed=replayed
        )

    async def CreateTransferBatches(
        self, request: pb.CreateTransferBatchesRequest, context: Ctx
    ) -> pb.CreateTransferBatchesResponse:
        parsed = domain.parse_batches(request.batches)
        valid = [(batch_id, specs) for batch_id, specs in parsed if not isinstance(specs, ServiceError)]
        results = iter(await self.ledger.create_transfer_batches(valid) if valid else [])
        outcomes = []
        for batch_id, specs in parsed:
            result = store.BatchResult(error=specs) if isinstance(specs, ServiceError) else next(results)
            outcomes.append(convert.batch_outcome(batch_id, result))
        return pb.CreateTransferBatchesResponse(outcomes=outcomes)

    async def PostPending(self, request: pb.PostPendingRequest, context: Ctx) -> pb.Transfer:
        amount = request.amount if request.HasField("amount") else None
        _, row = await self.ledger.finish_pending(request.transfer_id, request.pending_id, TYPE_POST, amount)
        return convert.transfer(row)

    async def VoidPending(self, request: pb.VoidPendingRequest, context: Ctx) -> pb.Transfer:
        _, row = await self.ledger.finish_pending(request.transfer_id, request.pending_id, TYPE_VOID, None)
        return convert.transfer(row)

    async def GetTransfer(self, request: pb.GetTransferRequest, context: Ctx) -> pb.Transfer:
        return convert.transfer(await self.ledger.transfer(request.transfer_id))

    async def GetBatch(self, request: pb.GetBatchRequest, context: Ctx) -> pb.CreateTransfersResponse:
        rows = await self.ledger.batch(request.batch_id)
        return pb.CreateTransfersResponse(
            batch_id=request.batch_id, transfers=[convert.transfer(r) for r in rows], replayed=True
        )

    async def ListEntries(self, request: pb.ListEntriesRequest, context: Ctx) -> pb.ListEntriesResponse:
        await self.ledger.account(request.account_id)
        low, high = domain.time_range(
            convert.from_timestamp(getattr(request, "from"), request.HasField("from"), "from"),
            convert.from_timestamp(request.to, request.HasField("to"), "to"), required=False,
        )
        size = domain.page_size(request.page.page_size)
        cursor = domain.decode_cursor(request.page.page_token)
        async with self.runtime.pool.acquire() as conn:
            rows = await store.entries(conn, request.account_id, low, high, cursor, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        token = domain.encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more else ""
        return pb.ListEntriesResponse(entries=[convert.entry(r) for r in rows],
                                      page=PageResponse(next_page_token=token))

    async def ExportLedger(self, request: pb.ExportLedgerRequest, context: Ctx) -> pb.ExportLedgerResponse:
        low, high = domain.time_range(
            convert.from_timestamp(getattr(request, "from"), request.HasField("from"), "from"),
            convert.from_timestamp(request.to, request.HasField("to"), "to"), required=True,
        )
        size = domain.page_size(request.page.page_size)
        cursor = domain.decode_cursor(request.page.page_token)
        async with self.runtime.pool.acquire() as conn:
            rows = await store.export(conn, low, high, cursor, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        token = domain.encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more else ""
        return pb.ExportLedgerResponse(transfers=[convert.transfer(r) for r in rows],
                                       page=PageResponse(next_page_token=token))

    # --- cards and top-ups ---------------------------------------------------------------------------

    async def BindCard(self, request: pb.BindCardRequest, context: Ctx) -> pb.Card:
        row = await self.quick_pay.bind_card(request.account_id, request.card_number, request.expiry,
                                             request.holder_name)
        return convert.card(row)

    async def ListCards(self, request: pb.ListCardsRequest, context: Ctx) -> pb.ListCardsResponse:
        return pb.ListCardsResponse(cards=[convert.card(r) for r in await self.quick_pay.cards(request.account_id)])

    async def TopUp(self, request: pb.TopUpRequest, context: Ctx) -> pb.CardTopUp:
        return convert.topup(await self._top_up(request, KIND_TOP_UP))

    async def PayFromCard(self, request: pb.TopUpRequest, context: Ctx) -> pb.CardTopUp:
        return convert.topup(await self._top_up(request, KIND_PAY_FROM_CARD))

    async def GetTopUp(self, request: pb.GetTopUpRequest, context: Ctx) -> pb.CardTopUp:
        return convert.topup(await self.quick_pay.get(request.request_id))

    async def _top_up(self, request: pb.TopUpRequest, kind: int) -> asyncpg.Record:
        return await self.quick_pay.top_up(request.request_id, request.card_id, request.account_id, request.amount,
                                           request.HasField("amount"), kind)
