"""A campaign's money in the wallet: its PROMOTIONS_BUDGET sub-budget accounts, funded from PLATFORM_MARKETING.

Batch ids derive from the campaign id and transfer ids from each sub-budget's owner id, so a retried funding,
return or settlement moves the money once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
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


def funding_transfer_id(owner_id: str) -> str:
    """Transfer ids derive from the sub-budget's wallet owner id (the campaign id for a campaign made before
    sub-budgets, so its ids are unchanged); batch ids from the campaign id."""
    return f"{owner_id}.fund"


def return_transfer_id(owner_id: str) -> str:
    return f"{owner_id}.return"


def settle_transfer_id(owner_id: str) -> str:
    return f"{owner_id}.settle"


@dataclass(frozen=True)
class SubBudget:
    """One of a campaign's budget accounts and an amount to move to or from it."""

    owner_id: str
    account_id: str
    amount: int


class WalletBudget:
    """The wallet calls promotions makes; wallet failures surface as UNAVAILABLE with nothing half done."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.stub = wallet_pb2_grpc.WalletServiceStub(channel)

    async def _open(self, kind: int, owner_id: str, currency: str) -> str:
        account = await self._call(
            self.stub.OpenAccount, wallet_pb2.OpenAccountRequest(kind=kind, owner_id=owner_id, currency=currency)
        )
        return account.id

    async def open_budget_accounts(self, owner_ids: Sequence[str], currency: str) -> list[str]:
        """Open (or find: the wallet keys accounts by kind, owner and currency) one budget account per owner."""
        return list(await asyncio.gather(
            *(self._open(wallet_pb2.ACCOUNT_KIND_PROMOTIONS_BUDGET, owner, currency) for owner in owner_ids)
        ))

    async def marketing_account(self, currency: str) -> str:
        return await self._open(wallet_pb2.ACCOUNT_KIND_PLATFORM_MARKETING, PLATFORM_OWNER, currency)

    async def fund(self, campaign_id: str, parts: Sequence[SubBudget], currency: str) -> None:
        """PLATFORM_MARKETING -> every sub-budget its amount, in one all-or-nothing batch, once."""
        marketing = await self.marketing_account(currency)
        transfers = [(funding_transfer_id(p.owner_id), marketing, p.account_id, p.amount) for p in parts]
        await self._transfers(f"{campaign_id}.fund", transfers, currency, CODE_BUDGET_FUNDING, campaign_id)

    async def give_back(self, batch_id: str, campaign_id: str, parts: Sequence[tuple[str, SubBudget]],
                        currency: str) -> None:
        """(transfer id, sub-budget) pairs -> PLATFORM_MARKETING in one batch, once per batch id; zero amounts
        are left out."""
        marketing = await self.marketing_account(currency)
        transfers = [(tid, p.account_id, marketing, p.amount) for tid, p in parts if p.amount > 0]
        if transfers:
            await self._transfers(batch_id, transfers, currency, CODE_BUDGET_RETURN, campaign_id)

    async def available_of(self, account_ids: Sequence[str]) -> list[int]:
        return list(await asyncio.gather(*(self.available(a) for a in account_ids)))

    async def available(self, account_id: str) -> int:
        balance = await self._call(self.stub.GetBalance, wallet_pb2.GetBalanceRequest(account_id=account_id))
        return balance.available.amount

    async def _transfers(
        self, batch_id: str, transfers: Sequence[tuple[str, str, str, int]], currency: str, code: int,
        reference: str,
    ) -> None:
        """(transfer id, debit account, credit account, amount) each, in one batch."""
        request = wallet_pb2.CreateTransfersRequest(
            batch_id=batch_id,
            transfers=[
                wallet_pb2.TransferInput(
                    id=transfer_id, debit_account_id=debit, credit_account_id=credit,
                    amount=common_pb2.Money(amount=amount, currency=currency), code=code, reference=reference,
                )
                for transfer_id, debit, credit, amount in transfers
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
