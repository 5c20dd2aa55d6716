"""docs/partners.md's example client runs against the real stack: the platform approves, a shopper pays."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from gateway.helpers import Api

from services.gen.scanpay.gateway.v1 import gateway_pb2 as gw
from services.gen.scanpay.merchant.v1 import merchant_pb2 as mp
from services.kit.localstack import ServiceProcesses

from .helpers import ADMIN_MD, admin_stub

pytestmark = pytest.mark.stack
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "partner_client.py"


async def test_example_partner_client_runs_the_quick_start(stack: ServiceProcesses) -> None:
    admin = admin_stub(stack)
    partner = await admin.CreatePartner(mp.CreatePartnerRequest(name="Example O2O", webhook_url="http://127.0.0.1:9/x"),
                                        metadata=ADMIN_MD)
    key = await admin.CreatePartnerKey(gw.CreatePartnerKeyRequest(partner_id=partner.partner_id), metadata=ADMIN_MD)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE), "--gateway", f"127.0.0.1:{stack.grpc_ports['gateway']}",
        "--rest", f"http://127.0.0.1:{stack.http_port}", "--key-id", key.credential.key_id, "--secret", key.secret,
        "--wait", "40", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        api = Api(session, f"http://127.0.0.1:{stack.http_port}")
        shopper = await api.consumer()
        await api.fund(shopper, 5_000)
        while time.monotonic() < deadline:
            raw = await asyncio.wait_for(proc.stdout.readline(), max(1.0, deadline - time.monotonic()))
            if not raw:
                break
            line = raw.decode().strip()
            lines.append(line)
            if line.startswith("ACTIVATION_REQUESTED"):
                merchant_id = next(x.split()[1] for x in lines if x.startswith("MERCHANT "))
                await admin.ApproveMerchant(gw.MerchantDecisionRequest(merchant_id=merchant_id, reason="docs ok"),
                                            metadata=ADMIN_MD)
            if line.startswith("ORDER_QR "):
                paid = await api.call("POST", "/v1/payments", {"qr_payload": line.split(" ", 1)[1]}, token=shopper)
                assert paid.status == 201 and paid.body["status"] == "TRADE_SUCCESS", paid.body
    code = await asyncio.wait_for(proc.wait(), 10)
    errors = (await proc.stderr.read()).decode()
    assert code == 0, (lines, errors[-2000:])
    assert any(x.startswith("NOTIFICATION trade.succeeded") and x.endswith("verified") for x in lines), lines
    assert any(x.startswith("TRADE ") and x.endswith("TRADE_STATUS_TRADE_SUCCESS") for x in lines), lines
