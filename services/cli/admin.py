"""`scanpay admin ...`: platform operator commands against the gateway's AdminService (audited).

The CLI speaks to the gateway's gRPC port with the internal token (SCANPAY_INTERNAL_TOKEN) and the operator's
admin token (SCANPAY_ADMIN_CLI_TOKEN, default the local dev token). Answers are printed as JSON on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import json_format, timestamp_pb2
from google.protobuf.message import Message

from ..gen.scanpay.common.v1 import common_pb2
from ..gen.scanpay.gateway.v1 import gateway_pb2 as pb
from ..gen.scanpay.gateway.v1 import gateway_pb2_grpc
from ..gen.scanpay.merchant.v1 import merchant_pb2
from ..gen.scanpay.promotions.v1 import promotions_pb2
from ..kit import config
from ..kit.grpc import error_detail, make_channel

DEV_CLI_TOKEN = "dev-admin-token"
Stub = gateway_pb2_grpc.AdminServiceStub
Command = Callable[[Stub, argparse.Namespace], Awaitable[Message]]
TARGETS = {"everyone": promotions_pb2.TARGET_KIND_EVERYONE, "mall": promotions_pb2.TARGET_KIND_MALL,
           "merchants": promotions_pb2.TARGET_KIND_MERCHANTS, "mcc": promotions_pb2.TARGET_KIND_MCC}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    admin = sub.add_parser("admin", help="platform admin: partners, merchant approval, malls, campaigns, audit")
    admin.add_argument("--gateway", help="gateway gRPC address (default SCANPAY_GATEWAY_ADDR or 127.0.0.1:50050)")
    groups = admin.add_subparsers(dest="admin_command", required=True)

    partner = groups.add_parser("partner", help="partners and their API keys").add_subparsers(required=True)
    p = partner.add_parser("create", help="create a partner")
    p.add_argument("--name", required=True)
    p.add_argument("--webhook-url", required=True)
    p.set_defaults(run=_runner(create_partner))
    p = partner.add_parser("key", help="issue a partner API key (the secret is shown once)")
    p.add_argument("--partner", required=True)
    p.set_defaults(run=_runner(partner_key))

    merchant = groups.add_parser("merchant", help="approve, suspend or close merchants").add_subparsers(
        required=True)
    for verb in ("approve", "suspend", "close"):
        p = merchant.add_parser(verb, help=f"{verb} a merchant (the reason is audited)")
        p.add_argument("--merchant", required=True)
        p.add_argument("--reason", required=True)
        p.set_defaults(run=_runner(decide), verb=verb)
    p = merchant.add_parser("requests", help="activation requests (default: pending)")
    p.add_argument("--status", choices=["pending", "approved", "rejected"], default="pending")
    p.set_defaults(run=_runner(activation_requests))

    mall = groups.add_parser("mall", help="malls").add_subparsers(required=True)
    p = mall.add_parser("create", help="create a mall")
    p.add_argument("--name", required=True)
    p.add_argument("--operator", required=True, help="the company running the mall")
    p.add_argument("--city", required=True)
    p.add_argument("--commission-bps", type=int, default=0)
    p.set_defaults(run=_runner(create_mall))

    campaign = groups.add_parser("campaign", help="red-envelope campaigns").add_subparsers(required=True)
    p = campaign.add_parser("launch", help="launch a red-envelope campaign (amounts in fen)")
    p.add_argument("--name", required=True)
    p.add_argument("--budget", type=int, required=True, help="total budget in fen")
    p.add_argument("--count", type=int, required=True, help="number of envelopes")
    p.add_argument("--split", choices=["fixed", "random"], default="fixed")
    p.add_argument("--min-amount", type=int, default=0)
    p.add_argument("--max-amount", type=int, default=0)
    p.add_argument("--days", type=float, default=7.0, help="how long it runs from now")
    p.add_argument("--per-consumer", type=int, default=1)
    p.add_argument("--min-spend", type=int, default=0)
    p.add_argument("--target", choices=sorted(TARGETS), default="everyone")
    p.add_argument("--mall", default="", help="with --target mall")
    p.add_argument("--merchant", action="append", default=[], help="with --target merchants (repeatable)")
    p.add_argument("--mcc", action="append", default=[], help="with --target mcc (repeatable)")
    p.add_argument("--request-id", default="", help="makes a retry return the same campaign")
    p.set_defaults(run=_runner(launch_campaign))
    p = campaign.add_parser("end", help="end a campaign; the unissued budget goes back")
    p.add_argument("--campaign", required=True)
    p.add_argument("--reason", required=True)
    p.set_defaults(run=_runner(end_campaign))

    p = groups.add_parser("trade", help="look up any trade (audited)")
    p.add_argument("--id", default="", help="trade id")
    p.add_argument("--merchant", default="")
    p.add_argument("--out-trade-no", default="")
    p.set_defaults(run=_runner(lookup_trade))

    p = groups.add_parser("audit", help="the admin audit log, newest first")
    p.add_argument("--target", default="")
    p.add_argument("--action", default="")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(run=_runner(audit_log))


def _runner(command: Command) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        settings = config.load("gateway")
        target = args.gateway or settings.addresses["gateway"]
        token = os.environ.get("SCANPAY_ADMIN_CLI_TOKEN", DEV_CLI_TOKEN)

        async def go() -> Message:
            channel = make_channel(target, settings.internal_token, "scanpay.gateway.v1.AdminService", deadline=30)
            async with channel:
                stub = _AuthedStub(Stub(channel), token)
                return await command(stub, args)  # type: ignore[arg-type]

        try:
            reply = asyncio.run(go())
        except grpc.aio.AioRpcError as exc:
            detail = error_detail(exc)
            where = f" ({detail.field})" if detail and detail.field else ""
            reason = f" [{detail.reason}]" if detail else ""
            print(f"scanpay admin: {exc.code().name}{reason}{where}: {exc.details()}", file=sys.stderr)
            return 1
        print(json_format.MessageToJson(reply, preserving_proto_field_name=True, indent=2))
        return 0

    return run


class _AuthedStub:
    """Every call carries the admin token and the admin actor."""

    def __init__(self, stub: Stub, token: str) -> None:
        self.stub = stub
        self.metadata = (("x-scanpay-admin-token", token), ("x-scanpay-actor", "admin"))

    def __getattr__(self, name: str) -> Callable[[Message], Awaitable[Any]]:
        method = getattr(self.stub, name)
        return lambda request: method(request, metadata=self.metadata)


def _money(fen: int) -> common_pb2.Money:
    return common_pb2.Money(amount=fen, currency="CNY")


async def create_partner(stub: Stub, a: argparse.Namespace) -> Message:
    return await stub.CreatePartner(merchant_pb2.CreatePartnerRequest(name=a.name, webhook_url=a.webhook_url))


async def partner_key(stub: Stub, a: argparse.Namespace) -> Message:
    return await stub.CreatePartnerKey(pb.CreatePartnerKeyRequest(partner_id=a.partner))


async def decide(stub: Stub, a: argparse.Namespace) -> Message:
    method = {"approve": stub.ApproveMerchant, "suspend": stub.SuspendMerchant, "close": stub.CloseMerchant}[a.verb]
    return await method(pb.MerchantDecisionRequest(merchant_id=a.merchant, reason=a.reason))


async def activation_requests(stub: Stub, a: argparse.Namespace) -> Message:
    status = pb.ActivationStatus.Value(f"ACTIVATION_STATUS_{a.status.upper()}")
    return await stub.ListActivationRequests(pb.ListActivationRequestsRequest(status=status))


async def create_mall(stub: Stub, a: argparse.Namespace) -> Message:
    return await stub.CreateMall(merchant_pb2.CreateMallRequest(
        name=a.name, operator_name=a.operator, city=a.city, commission_bps=a.commission_bps))


async def launch_campaign(stub: Stub, a: argparse.Namespace) -> Message:
    ends = timestamp_pb2.Timestamp()
    ends.FromSeconds(int(time.time() + a.days * 86400))
    request = promotions_pb2.CreateCampaignRequest(
        request_id=a.request_id or f"cli-{time.time_ns()}", name=a.name, budget=_money(a.budget), count=a.count,
        split=promotions_pb2.SPLIT_MODE_RANDOM if a.split == "random" else promotions_pb2.SPLIT_MODE_FIXED,
        ends_at=ends, per_consumer_limit=a.per_consumer, min_spend=_money(a.min_spend),
        targeting=promotions_pb2.Targeting(kind=TARGETS[a.target], mall_id=a.mall, merchant_ids=a.merchant,
                                           mccs=a.mcc))
    if a.split == "random":
        request.min_amount.CopyFrom(_money(a.min_amount))
        request.max_amount.CopyFrom(_money(a.max_amount))
    return await stub.LaunchCampaign(request)


async def end_campaign(stub: Stub, a: argparse.Namespace) -> Message:
    return await stub.EndCampaign(pb.EndCampaignRequest(campaign_id=a.campaign, reason=a.reason))


async def lookup_trade(stub: Stub, a: argparse.Namespace) -> Message:
    return await stub.LookupTrade(pb.TradeRef(trade_id=a.id, merchant_id=a.merchant, out_trade_no=a.out_trade_no))


async def audit_log(stub: Stub, a: argparse.Namespace) -> Message:
    return await stub.ListAuditLog(pb.ListAuditLogRequest(
        target_id=a.target, action=a.action, page=common_pb2.PageRequest(page_size=a.limit)))
