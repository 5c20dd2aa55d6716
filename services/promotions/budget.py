"""A campaign's money in the wallet: its PROMOTIONS_BUDGET account, funded from PLATFORM_MARKETING.

Transfer ids derive from the campaign id, so a retried funding or return moves the money once.
"""

from __future__ import annotations

from typing import Any

import grpc

from ..gen.scanpay.common.v1 import common_pb2
from ..gen.scanpay.wallet.v1 import wallet_pb2, wallet_pb2_grpc
from ..kit.errors import FailedPrecondition, ServiceError, Unavailable
from ..kit.grpc import error_detail

PLATFORM_OWNER = "platform"
# Transfer codes of promotions in the wallet ledger (docs/promotions.md).
CODE_BUDGET_FUNDING = 5001
CODE_BUDGET_RETURN = 5002
WALLET_DEADLINE_SECONDS = 5.0


def funding_transfer_id(campaign_id: str) -> str:
    return f"{campaign_id}.fund"


def return_transfer_id(campaign_id: str) -> str:
    return f"{campaign_id}.return"


def settle_transfer_id(campaign_id: str) -> str:
    return f"{campaign_id}.settle"


class WalletBudget:
    """The wallet calls promotions makes; wallet failures surface as UNAVAILABLE with nothing half done."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.stub = wallet_pb2_grpc.WalletServiceStub(channel)

    async def _open(self, kind: int, owner_id: str, currency: str) -> str:
        account = await self._call(
            self.stub.OpenAccount, wallet_pb2.OpenAccountRequest(kind=kind, owner_id=owner_id, currency=currency)
        )
        return account.id

    async def open_budget_account(self, campaign_id: str, currency: str) -> str:
        return await self._open(wallet_pb2.ACCOUNT_KIND_PROMOTIONS_BUDGET, campaign_id, currency)

    async def marketing_account(self, currency: str) -> str:
        return await self._open(wallet_pb2.ACCOUNT_KIND_PLATFORM_MARKETING, PLATFORM_OWNER, currency)

    async def fund(self, campaign_id: str, budget_account_id: str, amount: int, currency: str) -> None:
        """PLATFORM_MARKETING -> the campaign's budget account, the whole budget, once."""
        marketing = await self.marketing_account(currency)
        await self._transfer(funding_transfer_id(campaign_id), marketing, budget_account_id, amount, currency,
                             CODE_BUDGET_FUNDING, campaign_id)

    async def give_back(
        self, transfer_id: str, campaign_id: str, budget_account_id: str, amount: int, currency: str
    ) -> None:
        """The campaign's budget account -> PLATFORM_MARKETING, once per transfer id."""
        marketing = await self.marketing_account(currency)
        await self._transfer(transfer_id, budget_account_id, marketing, amount, currency, CODE_BUDGET_RETURN,
                             campaign_id)

    async def available(self, account_id: str) -> int:
        balance = await self._call(self.stub.GetBalance, wallet_pb2.GetBalanceRequest(account_id=account_id))
        return balance.available.amount

    async def _transfer(
        self, transfer_id: str, debit: str, credit: str, amount: int, currency: str, code: int, reference: str
    ) -> None:
        request = wallet_pb2.CreateTransfersRequest(
            batch_id=transfer_id,
            transfers=[
                wallet_pb2.TransferInput(
                    id=transfer_id, debit_account_id=debit, credit_account_id=credit,
                    amount=common_pb2.Money(amount=amount, currency=currency), code=code, reference=reference,
                )
            ],
        )
        await self._call(self.stub.CreateTransfers, request)

    @staticmethod
    async def _call(method: grpc.aio.UnaryUnaryMultiCallable, request: Any) -> Any:
        try:
            return await method(request, timeout=WALLET_DEADLINE_SECONDS)
        except grpc.aio.AioRpcError as exc:
            raise wallet_error(exc) from exc


_TRANSIENT = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}


def wallet_error(exc: grpc.aio.AioRpcError) -> ServiceError:
    """A wallet failure as our own status: transient ones are UNAVAILABLE (retry), others FAILED_PRECONDITION."""
    detail = error_detail(exc)
    reason = f"WALLET_{detail.reason}" if detail and detail.reason else f"WALLET_{exc.code().name}"
    message = f"wallet refused: {exc.code().name} {exc.details()}"
    if exc.code() in _TRANSIENT:
        return Unavailable(message, reason=reason)
    return FailedPrecondition(message, reason=reason)
