"""The merchant console (/console/) and the consumer web app (/app/): static pages, their few back-end routes,
and the console's live payment feed (server-sent events fed from NATS `gateway.trade.*` / `gateway.refund.*`).

The console signs every call in the browser with WebCrypto HMAC-SHA256, exactly like a POS (rest/guards.py),
and calls the same merchant API. EventSource cannot add headers, so the live feed alone is reached with a
console session cookie, which a signed `POST /console/api/session` issues (see docs/demo.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
import jwt
from aiohttp import web
from google.protobuf.message import DecodeError
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from ...gen.scanpay.common.v1 import common_pb2
from ...gen.scanpay.events.v1 import envelope_pb2
from ...gen.scanpay.gateway.v1 import events_pb2
from ...gen.scanpay.merchant.v1 import merchant_pb2
from ...gen.scanpay.promotions.v1 import promotions_pb2
from ...kit.auth import current_actor
from ...kit.errors import PermissionDenied, Unauthenticated
from ...kit.events import Bus
from ...kit.logging import get_logger
from .. import domain
from ..clients import SERVICE_ACTOR
from . import guards
from .guards import Principal

if TYPE_CHECKING:
    from .app import RestApi

log = get_logger("gateway.console")
WEB_DIR = Path(__file__).resolve().parents[1] / "web"
COOKIE = "scanpay_console"
SESSION_SECONDS = 30 * 60
FEED_SUBJECTS = ("gateway.trade.*", "gateway.refund.*")
FEED_QUEUE = 256
HEARTBEAT_SECONDS = 15.0
CONSOLE_ISSUER = "scanpay-console"
CONTENT_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml",
                 ".png": "image/png", ".webmanifest": "application/manifest+json"}
# Pages load nothing from elsewhere; QR images are data: URIs, downloads are blob: URLs.
CSP = ("default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self'; script-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
EVENT_TYPES: dict[str, type[Any]] = {"trade.succeeded": events_pb2.TradeSucceeded,
                                     "trade.closed": events_pb2.TradeClosed,
                                     "refund.succeeded": events_pb2.RefundSucceeded}


def feed_item(envelope: envelope_pb2.Envelope) -> tuple[str, dict[str, Any]] | None:
    """(merchant id, JSON for the browser) of a gateway event the console shows; None for any other."""
    kind = EVENT_TYPES.get(envelope.type)
    if kind is None:
        return None
    event = kind()
    if not envelope.data.Unpack(event):
        return None
    at = envelope.occurred_at.ToDatetime(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(event, events_pb2.TradeSucceeded):
        return event.merchant_id, {
            "type": envelope.type, "event_id": envelope.id, "at": at, "trade_id": event.trade_id,
            "store_id": event.store_id, "way": events_pb2.PaymentWay.Name(event.way).removeprefix("PAYMENT_WAY_"),
            "amount": event.amount.amount, "paid": event.paid.amount, "discount": event.discount.amount,
            "out_trade_no": event.out_trade_no or None}
    if isinstance(event, events_pb2.TradeClosed):
        return event.merchant_id, {"type": envelope.type, "event_id": envelope.id, "at": at,
                                   "trade_id": event.trade_id, "store_id": event.store_id, "reason": event.reason,
                                   "refunded": event.refunded}
    return event.merchant_id, {"type": envelope.type, "event_id": envelope.id, "at": at, "trade_id": event.trade_id,
                               "refund_id": event.refund_id, "store_id": event.store_id,
                               "amount": event.amount.amount, "out_refund_no": event.out_refund_no}


@dataclass
class LiveFeed:
    """One core-NATS subscription per gateway process, fanned out to the open console streams per merchant.

    At most once by design: a console that was away reloads the trade list; money never depends on this feed.
    A stream whose queue is full (a stalled browser) loses events rather than slowing the others.
    """

    bus: Bus
    listeners: dict[str, set[asyncio.Queue[dict[str, Any] | None]]] = field(default_factory=dict)
    subscriptions: list[Subscription] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def start(self, app: web.Application) -> None:
        self.task = asyncio.create_task(self._subscribe(), name="console-feed")

    async def _subscribe(self) -> None:
        await self.bus.connected.wait()
        assert self.bus.nc is not None
        for subject in FEED_SUBJECTS:
            self.subscriptions.append(await self.bus.nc.subscribe(subject, cb=self._on_message))
        log.info("console_feed_subscribed", subjects=list(FEED_SUBJECTS))

    async def _on_message(self, msg: Msg) -> None:
        envelope = envelope_pb2.Envelope()
        try:
            envelope.ParseFromString(msg.data)
            item = feed_item(envelope)
        except (DecodeError, ValueError):  # a foreign payload on our subject must not stop the feed
            log.warning("console_feed_bad_event", subject=msg.subject)
            return
        if item is not None:
            self.publish(*item)

    def publish(self, merchant_id: str, item: dict[str, Any]) -> None:
        for queue in self.listeners.get(merchant_id, ()):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(item)

    def listen(self, merchant_id: str) -> asyncio.Queue[dict[str, Any] | None]:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(FEED_QUEUE)
        self.listeners.setdefault(merchant_id, set()).add(queue)
        return queue

    def leave(self, merchant_id: str, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        queues = self.listeners.get(merchant_id, set())
        queues.discard(queue)
        if not queues:
            self.listeners.pop(merchant_id, None)

    async def close(self, app: web.Application) -> None:
        """Ends every open stream (before aiohttp waits for handlers), then drops the subscriptions."""
        for queues in self.listeners.values():
            for queue in queues:
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(None)
        if self.task is not None:
            self.task.cancel()
        for sub in self.subscriptions:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()
        self.subscriptions.clear()


# --- console sessions ------------------------------------------------------------------------------------


def _session_key(jwt_secret: str) -> str:
    # A key of its own, so a console cookie is never accepted as a consumer access token or the other way.
    return "console:" + jwt_secret


def issue_console_session(jwt_secret: str, merchant_id: str, key_id: str, now: float) -> str:
    claims = {"sub": merchant_id, "kid": key_id, "iat": int(now), "exp": int(now) + SESSION_SECONDS,
              "iss": CONSOLE_ISSUER, "typ": "console"}
    return jwt.encode(claims, _session_key(jwt_secret), algorithm="HS256")


def read_console_session(jwt_secret: str, token: str) -> tuple[str, str]:
    """(merchant id, key id) of a live console session cookie."""
    try:
        claims = jwt.decode(token, _session_key(jwt_secret), algorithms=["HS256"], issuer=CONSOLE_ISSUER,
                            options={"require": ["exp", "sub", "kid"]})
    except jwt.PyJWTError:
        raise Unauthenticated("console session missing or expired; sign in again", reason="SESSION_INVALID") from None
    if claims.get("typ") != "console":
        raise Unauthenticated("console session invalid", reason="SESSION_INVALID")
    return str(claims["sub"]), str(claims["kid"])


# --- routes ------------------------------------------------------------------------------------------------

Handler = Callable[[web.Request, Principal], Awaitable[web.StreamResponse]]


class Console:
    def __init__(self, api: RestApi) -> None:
        self.api = api
        self.feed = LiveFeed(api.runtime.bus)
        self.files = {path.relative_to(WEB_DIR).as_posix(): path for path in WEB_DIR.rglob("*") if path.is_file()}

    def mount(self, app: web.Application) -> None:
        app.on_startup.append(self.feed.start)
        app.on_shutdown.append(self.feed.close)
        app.router.add_post("/console/api/session", self._guard(self.sign_in, "signed"))
        app.router.add_delete("/console/api/session", self.sign_out)
        app.router.add_get("/console/api/stores", self._guard(self.stores, "signed"))
        app.router.add_get("/console/api/today", self._guard(self.today, "signed"))
        app.router.add_get("/console/api/feed", self.live)
        app.router.add_get("/app/api/campaigns", self._guard(self.campaigns, "consumer"))
        # Pages last: the catch-all page routes must not shadow the API routes above.
        app.router.add_get("/console", _redirect_to("/console/"))
        app.router.add_get("/app", _redirect_to("/app/"))
        app.router.add_get("/console/{name:[^/]*}", self.static("console"))
        app.router.add_get("/app/{name:[^/]*}", self.static("app"))

    # --- plumbing ---------------------------------------------------------------------------------------

    def static(self, folder: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def serve(request: web.Request) -> web.StreamResponse:
            name = request.match_info["name"] or "index.html"
            path = self.files.get(f"{folder}/{name}") or self.files.get(f"shared/{name}")
            if path is None:
                raise web.HTTPNotFound(text="no such page")
            headers = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                       "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}
            return web.Response(body=path.read_bytes(), headers=headers,
                                content_type=CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
                                charset="utf-8" if path.suffix in (".html", ".js", ".css") else None)

        return serve

    def _guard(self, handler: Handler, auth: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """The REST API's guards: address rate limit, then a signed key (merchant) or a consumer token."""

        async def handle(request: web.Request) -> web.StreamResponse:
            wait = self.api.by_address.take(guards.client_address(request))
            if wait:
                raise guards.too_many(wait)
            body = await request.read()
            if auth == "signed":
                principal = await guards.signed_principal(request, body, self.api.pool, self.api.payments.directory)
                if principal.caller is None or principal.caller.kind != "merchant":
                    raise PermissionDenied("the console signs in with a merchant key")
                wait = self.api.by_key.take(principal.caller.key_id)
            else:
                principal = guards.consumer_principal(request, self.api.keys.jwt_secret)
                wait = self.api.by_consumer.take(principal.actor.id)
            if wait:
                raise guards.too_many(wait)
            token = current_actor.set(principal.actor)
            try:
                return await handler(request, principal)
            finally:
                current_actor.reset(token)

        return handle

    # --- console ----------------------------------------------------------------------------------------

    async def sign_in(self, request: web.Request, who: Principal) -> web.StreamResponse:
        merchant = await self.api.payments.directory.stub.GetMerchant(
            merchant_pb2.GetMerchantRequest(merchant_id=who.merchant_id), metadata=SERVICE_ACTOR)
        assert who.caller is not None
        now = time.time()
        response = web.json_response({
            "merchant_id": who.merchant_id, "merchant_name": merchant.display_name, "key_id": who.caller.key_id,
            "status": merchant_pb2.MerchantStatus.Name(merchant.status).removeprefix("MERCHANT_STATUS_"),
            "server_time": int(now), "session_expires_in": SESSION_SECONDS,
            "business_date": datetime.now(domain.BUSINESS_TZ).date().isoformat()}, status=201)
        response.set_cookie(COOKIE, issue_console_session(self.api.keys.jwt_secret, who.merchant_id,
                                                          who.caller.key_id, now),
                            max_age=SESSION_SECONDS, path="/console/api/", httponly=True, samesite="Strict",
                            secure=request.secure)
        return response

    async def sign_out(self, request: web.Request) -> web.StreamResponse:
        response = web.json_response({"signed_out": True})
        response.del_cookie(COOKIE, path="/console/api/")
        return response

    async def stores(self, request: web.Request, who: Principal) -> web.StreamResponse:
        out: list[dict[str, Any]] = []
        token = ""
        while True:
            reply = await self.api.payments.directory.stub.ListStores(merchant_pb2.ListStoresRequest(
                merchant_id=who.merchant_id, page=common_pb2.PageRequest(page_size=100, page_token=token)),
                metadata=SERVICE_ACTOR)
            out += [{"store_id": s.store_id, "name": s.name, "mall_id": s.mall_id or None, "address": s.address,
                     "city": s.city, "status": merchant_pb2.StoreStatus.Name(s.status).removeprefix("STORE_STATUS_")}
                    for s in reply.stores]
            token = reply.page.next_page_token
            if not token or len(out) >= 500:
                return web.json_response({"stores": out})

    async def today(self, request: web.Request, who: Principal) -> web.StreamResponse:
        day = request.query.get("date") or datetime.now(domain.BUSINESS_TZ).date().isoformat()
        start, end = domain.business_day_bounds(day)
        async with self.api.pool.acquire() as conn:
            row = await conn.fetchrow(TODAY_SQL, who.merchant_id, start, end)
        return web.json_response({"business_date": day, "currency": domain.CURRENCY, **dict(row)})

    async def live(self, request: web.Request) -> web.StreamResponse:
        """SSE: `payment` events for the signed-in merchant as they happen; a comment every 15 s keeps it open."""
        merchant_id, key_id = read_console_session(self.api.keys.jwt_secret, request.cookies.get(COOKIE, ""))
        await self._key_still_valid(key_id)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                               "X-Accel-Buffering": "no"})
        await response.prepare(request)
        queue = self.feed.listen(merchant_id)
        try:
            await response.write(b"retry: 2000\nevent: ready\ndata: {}\n\n")
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if item is None:
                    break
                data = json.dumps(item, separators=(",", ":"))
                await response.write(f"event: payment\nid: {item['event_id']}\ndata: {data}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.feed.leave(merchant_id, queue)
        return response

    async def _key_still_valid(self, key_id: str) -> None:
        """A revoked key or a suspended merchant ends the console session, not only its next signed call."""
        try:
            credential = await self.api.payments.directory.stub.LookupCredential(
                merchant_pb2.LookupCredentialRequest(key_id=key_id), metadata=SERVICE_ACTOR)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise Unauthenticated("console key unknown", reason="SESSION_INVALID") from None
            raise
        if credential.status != merchant_pb2.CREDENTIAL_STATUS_ACTIVE or credential.owner_status not in ("", "ACTIVE"):
            raise Unauthenticated("console key revoked or merchant not active", reason="SESSION_INVALID")

    # --- consumer web app -------------------------------------------------------------------------------

    async def campaigns(self, request: web.Request, who: Principal) -> web.StreamResponse:
        reply = await self.api.payments.promotions.stub.ListActiveCampaigns(
            promotions_pb2.ListActiveCampaignsRequest(page=common_pb2.PageRequest(page_size=50)),
            metadata=SERVICE_ACTOR)
        return web.json_response({"campaigns": [{
            "campaign_id": c.id, "name": c.name, "count": c.count, "min_amount": c.min_amount.amount,
            "max_amount": c.max_amount.amount, "min_spend": c.min_spend.amount,
            "ends_at": c.ends_at.ToDatetime(UTC).isoformat() if c.HasField("ends_at") else None,
            "status": promotions_pb2.CampaignStatus.Name(c.status).removeprefix("CAMPAIGN_STATUS_")}
            for c in reply.campaigns]})


# Today's totals of one merchant: trades paid in the day, their refunds, and the trades that failed.
TODAY_SQL = """
WITH paid AS (
  SELECT count(*) AS trades, coalesce(sum(amount), 0)::bigint AS gross,
         coalesce(sum(discount), 0)::bigint AS discounts, coalesce(sum(paid), 0)::bigint AS paid_by_consumers
  FROM trades WHERE merchant_id = $1 AND paid_at >= $2 AND paid_at < $3
), refunded AS (
  SELECT count(*) AS refunds, coalesce(sum(r.amount), 0)::bigint AS refunded
  FROM refunds r JOIN trades t USING (trade_id)
  WHERE t.merchant_id = $1 AND r.status = 'SUCCEEDED' AND r.succeeded_at >= $2 AND r.succeeded_at < $3
), failed AS (
  SELECT count(*) AS failed FROM trades
  WHERE merchant_id = $1 AND paid_at IS NULL AND status = 'TRADE_CLOSED' AND created_at >= $2 AND created_at < $3
)
SELECT paid.trades, paid.gross, paid.discounts, paid.paid_by_consumers, refunded.refunds, refunded.refunded,
       paid.gross - refunded.refunded AS net_sales, failed.failed
FROM paid, refunded, failed
"""


def _redirect_to(location: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(location)

    return redirect


def mount(api: RestApi, app: web.Application) -> Console:
    """Add the console and the web app to the REST app (called from RestApi.app)."""
    console = Console(api)
    console.mount(app)
    return console
