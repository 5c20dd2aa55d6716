"""A scanpay partner client built only from the protos (docs/partners.md, "Quick start").

It compiles protos/ with grpc_tools.protoc into a temporary folder, imports the generated code from there,
signs every PartnerService call itself, and walks the partner journey:

  onboard a merchant and a store -> ask for activation -> wait for the platform's approval -> issue a POS key
  -> make an order QR (dynamic QR) whose notifications come to a local webhook -> verify the signed notification.

    python examples/partner_client.py --key-id key_... --secret ... \
        [--gateway 127.0.0.1:50050] [--rest http://127.0.0.1:8080] [--wait 120]

It prints one line per step; the line `ORDER_QR <payload>` is the QR to show the shopper.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import importlib
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import grpc
from aiohttp import web
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[1]
PARTNER_SERVICE = "scanpay.gateway.v1.PartnerService"


def compile_protos(out: Path) -> dict[str, ModuleType]:
    """Generate Python code for every proto under protos/ into `out` and import the ones this client uses."""
    protos = ROOT / "protos"
    files = [str(p.relative_to(protos)) for p in sorted(protos.rglob("*.proto"))]
    include = Path(protoc.__file__).parent / "_proto"
    code = protoc.main(["protoc", f"-I{protos}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}",
                        *files])
    if code != 0:
        raise SystemExit(f"protoc failed with exit code {code}")
    sys.path.insert(0, str(out))
    names = {"common": "scanpay.common.v1.common_pb2", "gateway": "scanpay.gateway.v1.gateway_pb2",
             "gateway_grpc": "scanpay.gateway.v1.gateway_pb2_grpc", "merchant": "scanpay.merchant.v1.merchant_pb2"}
    return {short: importlib.import_module(name) for short, name in names.items()}


# --- signing (docs/partners.md, "Sign a call") ------------------------------------------------------------


def sign(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    base = "\n".join([method, path, timestamp, nonce, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), base.encode(), hashlib.sha256).hexdigest()


def grpc_metadata(key_id: str, secret: str, rpc: str, request: Any) -> tuple[tuple[str, str], ...]:
    """The four x-scanpay-* entries of a PartnerService call: the body is the deterministic request bytes."""
    ts, nonce = str(int(time.time())), secrets.token_hex(12)
    body = request.SerializeToString(deterministic=True)
    return (("x-scanpay-key-id", key_id), ("x-scanpay-timestamp", ts), ("x-scanpay-nonce", nonce),
            ("x-scanpay-signature", sign(secret, "POST", f"/{PARTNER_SERVICE}/{rpc}", ts, nonce, body)))


def rest_headers(key_id: str, secret: str, method: str, path: str, body: bytes = b"") -> dict[str, str]:
    ts, nonce = str(int(time.time())), secrets.token_hex(12)
    return {"X-Scanpay-Key-Id": key_id, "X-Scanpay-Timestamp": ts, "X-Scanpay-Nonce": nonce,
            "X-Scanpay-Signature": sign(secret, method, path, ts, nonce, body)}


def verify_notification(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """Check `Scanpay-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>` and its freshness."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    if not parts.get("t", "").isdigit() or "v1" not in parts:
        return False
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) <= tolerance


# --- the journey -----------------------------------------------------------------------------------------


class Client:
    def __init__(self, pb: dict[str, ModuleType], channel: grpc.aio.Channel, key_id: str, secret: str) -> None:
        self.pb = pb
        self.stub = pb["gateway_grpc"].PartnerServiceStub(channel)
        self.key_id, self.secret = key_id, secret

    async def call(self, rpc: str, request: Any) -> Any:
        return await getattr(self.stub, rpc)(request, metadata=grpc_metadata(self.key_id, self.secret, rpc, request),
                                             timeout=15)


def say(step: str, *details: object) -> None:
    print(step, *details, flush=True)


async def wait_until_active(client: Client, merchant_id: str, wait: float) -> None:
    gw, mp = client.pb["gateway"], client.pb["merchant"]
    deadline = time.monotonic() + wait
    while True:
        merchant = await client.call("GetMerchant", gw.MerchantRef(merchant_id=merchant_id))
        if merchant.status == mp.MERCHANT_STATUS_ACTIVE:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"merchant {merchant_id} is still {mp.MerchantStatus.Name(merchant.status)}")
        await asyncio.sleep(0.5)


async def receive_notifications(queue: asyncio.Queue[tuple[bytes, str]]) -> tuple[web.AppRunner, str]:
    async def notify(request: web.Request) -> web.Response:
        await queue.put((await request.read(), request.headers.get("Scanpay-Signature", "")))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/notify", notify)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/notify"


async def webhook_secret(rest: str, key_id: str, secret: str, merchant_id: str) -> str:
    path = "/v1/merchant/webhook"
    headers = {**rest_headers(key_id, secret, "GET", path), "X-Scanpay-Merchant-Id": merchant_id}
    async with aiohttp.ClientSession() as session, session.get(rest + path, headers=headers) as reply:
        reply.raise_for_status()
        return str((await reply.json())["signing_secret"])


async def journey(pb: dict[str, ModuleType], args: argparse.Namespace) -> None:
    gw, mp, common = pb["gateway"], pb["merchant"], pb["common"]
    async with grpc.aio.insecure_channel(args.gateway) as channel:
        client = Client(pb, channel, args.key_id, args.secret)
        merchant = await client.call("OnboardMerchant", gw.OnboardMerchantRequest(
            legal_name="Example Tea House Ltd", display_name="Example Tea House",
            licence_id="EX" + secrets.token_hex(6).upper(), mcc="5814"))
        say("MERCHANT", merchant.merchant_id, mp.MerchantStatus.Name(merchant.status))
        store = await client.call("AddStore", gw.AddStoreRequest(
            merchant_id=merchant.merchant_id, name="Example Tea House Xintiandi", address="181 Taicang Rd",
            city="Shanghai", lat=31.2196, lng=121.4753))
        say("STORE", store.store_id)
        request = await client.call("RequestActivation", gw.RequestActivationRequest(
            merchant_id=merchant.merchant_id, note="licence and ID scans uploaded"))
        say("ACTIVATION_REQUESTED", request.request_id)
        await wait_until_active(client, merchant.merchant_id, args.wait)
        say("ACTIVE", merchant.merchant_id)
        pos = await client.call("IssuePosKey", gw.IssuePosKeyRequest(merchant_id=merchant.merchant_id))
        say("POS_KEY", pos.credential.key_id, "(secret shown once: store it in the POS)")

        queue: asyncio.Queue[tuple[bytes, str]] = asyncio.Queue()
        runner, notify_url = await receive_notifications(queue)
        try:
            hook_secret = await webhook_secret(args.rest, args.key_id, args.secret, merchant.merchant_id)
            order = await client.call("Precreate", gw.PrecreateRequest(
                merchant_id=merchant.merchant_id, store_id=store.store_id, out_trade_no="ORDER-" + secrets.token_hex(4),
                amount=common.Money(amount=2_800, currency="CNY"), subject="2 cups of oolong", timeout_seconds=600,
                notify_url=notify_url))
            say("ORDER_QR", order.qr_payload)
            body, header = await asyncio.wait_for(queue.get(), args.wait)
            if not verify_notification(hook_secret, header, body):
                raise SystemExit("notification signature did not verify")
            note = json.loads(body)
            say("NOTIFICATION", note["type"], note["trade"]["trade_id"], "verified")
            trade = await client.call("QueryTrade", gw.TradeRef(merchant_id=merchant.merchant_id,
                                                                trade_id=order.trade.trade_id))
            say("TRADE", trade.trade.trade_id, gw.TradeStatus.Name(trade.trade.status))
        finally:
            await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default="127.0.0.1:50050", help="partner gRPC address")
    parser.add_argument("--rest", default="http://127.0.0.1:8080", help="gateway REST base URL")
    parser.add_argument("--key-id", required=True, help="your partner key id (key_...)")
    parser.add_argument("--secret", required=True, help="your partner key secret")
    parser.add_argument("--wait", type=float, default=120.0, help="seconds to wait for approval and payment")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scanpay-protos-") as out:
        pb = compile_protos(Path(out))
        try:
            asyncio.run(journey(pb, args))
        except grpc.aio.AioRpcError as exc:
            raise SystemExit(f"call failed: {exc.code().name}: {exc.details()}") from None


if __name__ == "__main__":
    main()
