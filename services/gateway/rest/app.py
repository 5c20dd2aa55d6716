"""The public REST API (aiohttp): consumer app and merchant POS. OpenAPI 3.1 at /openapi.json; every request
body is validated against the same document before a handler runs."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import segno
from aiohttp import web
from jsonschema import Draft202012Validator

from ...gen.scanpay.promotions.v1 import promotions_pb2
from ...gen.scanpay.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from ...gen.scanpay.wallet.v1 import wallet_pb2
from ...kit.auth import current_actor
from ...kit.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from ...kit.http import observe
from ...kit.ids import new_id
from ...kit.service import Runtime
from .. import domain, emv, security, store
from ..clients import SERVICE_ACTOR, money
from ..saga import Payments, refund_json, trade_json
from . import console, discovery, guards
from .guards import Principal, TokenBucket
from .schemas import SCHEMAS

MAX_BODY_BYTES = 64 * 1024
Handler = Callable[[web.Request, Principal, Any], Awaitable[web.Response]]


@dataclass
class Route:
    method: str
    path: str
    handler: Handler
    auth: str  # public | consumer | signed
    summary: str
    body: str | None = None  # schema name in SCHEMAS
    idempotent: bool = True
    validator: Draft202012Validator | None = field(default=None, repr=False)
    query: list[dict[str, Any]] = field(default_factory=list)  # OpenAPI query parameters


class RestApi:
    def __init__(self, runtime: Runtime, payments: Payments, keys: security.Keys,
                 limits: dict[str, tuple[float, float]]) -> None:
        self.runtime = runtime
        self.pool = runtime.pool
        self.payments = payments
        self.keys = keys
        self.routes: list[Route] = []
        self.by_address = TokenBucket(*limits["address"])
        self.by_consumer = TokenBucket(*limits["consumer"])
        self.by_key = TokenBucket(*limits["key"])
        self._declare()

    # --- plumbing ---------------------------------------------------------------------------------------

    def add(self, method: str, path: str, handler: Handler, auth: str, summary: str, body: str | None = None,
            idempotent: bool = True) -> None:
        validator = Draft202012Validator(SCHEMAS[body]) if body else None
        self.routes.append(Route(method, path, handler, auth, summary, body, idempotent and method == "POST",
                                 validator))

    def app(self) -> web.Application:
        app = web.Application(middlewares=[observe], client_max_size=MAX_BODY_BYTES)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/openapi.json", self.openapi)
        console.mount(self, app)  # merchant console and consumer web app (rest/console.py)
        for route in self.routes:
            app.router.add_route(route.method, route.path, self._wrap(route))
        return app

    def _wrap(self, route: Route) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            wait = self.by_address.take(guards.client_address(request))
            if wait:
                raise guards.too_many(wait)
            if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
                raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY_BYTES, actual_size=request.content_length)
            body = await request.read()
            guards.refuse_nul(dict(request.match_info), "path")
            guards.refuse_nul({key: request.query.getall(key) for key in request.query}, "query")
            principal = await self._authenticate(route, request, body)
            data = guards.json_body(body) if route.body else None
            guards.refuse_nul(data, "body")
            if route.validator is not None:
                _validate(route.validator, data)
            token = current_actor.set(principal.actor)
            try:
                if route.idempotent:
                    settled = self._settled_payment(principal) if route.handler == self.pay else None
                    checked = dataclasses.replace(principal, session_checked=bool(principal.session_id))
                    return await guards.idempotent(self.pool, principal.scope, request, body,
                                                   lambda: route.handler(request, checked, data), settled,
                                                   session_id=principal.session_id)
                return await route.handler(request, principal, data)
            finally:
                current_actor.reset(token)

        return handle

    async def _authenticate(self, route: Route, request: web.Request, body: bytes) -> Principal:
        if route.auth == "public":
            return Principal(guards.Actor("anonymous", "ip:" + guards.client_address(request)))
        if route.auth == "consumer":
            principal = guards.consumer_principal(request, self.keys.jwt_secret)
            wait = self.by_consumer.take(principal.actor.id)
        else:
            principal = await guards.signed_principal(request, body, self.pool, self.payments.directory)
            wait = self.by_key.take(principal.caller.key_id if principal.caller else "")
        if wait:
            raise guards.too_many(wait)
        return principal

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        try:
            async with self.pool.acquire(timeout=2) as conn:
                await conn.fetchval("SELECT 1")
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return web.json_response({"status": "database unreachable"}, status=503)
        return web.json_response({"status": "ready"})

    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(self.document())

    def document(self) -> dict[str, Any]:
        paths: dict[str, dict[str, Any]] = {}
        for r in self.routes:
            op: dict[str, Any] = {
                "summary": r.summary, "operationId": r.handler.__name__,
                "responses": {"200": {"description": "OK"}, **({"201": {"description": "Created"}}
                                                               if r.method == "POST" else {}),
                              "default": {"$ref": "#/components/responses/Error"}},
            }
            if r.auth != "public":
                op["security"] = [{"consumerToken": []}] if r.auth == "consumer" else [{"signedRequest": []}]
            if r.body:
                op["requestBody"] = {"required": True, "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{r.body}"}}}}
            params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                      for p in _path_params(r.path)] + r.query
            if r.idempotent:
                params.append({"name": "Idempotency-Key", "in": "header", "required": True,
                               "schema": {"type": "string", "maxLength": 128}})
            if params:
                op["parameters"] = params
            paths.setdefault(r.path, {})[r.method.lower()] = op
        return {
            "openapi": "3.1.0",
            "info": {"title": "scanpay gateway", "version": "1.0.0",
                     "description": "Consumer app and merchant POS API. Amounts are integer fen (CNY)."},
            "paths": paths,
            "components": {
                "schemas": SCHEMAS,
                "responses": {"Error": {"description": "The one error shape", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}}},
                "securitySchemes": {
                    "consumerToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                    "signedRequest": {"type": "apiKey", "in": "header", "name": "X-Scanpay-Signature",
                                      "description": "HMAC-SHA256 over method, path, timestamp, nonce, body hash"},
                },
            },
        }

    # --- routes -----------------------------------------------------------------------------------------

    def _declare(self) -> None:
        a = self.add
        a("POST", "/v1/consumers", self.sign_up, "public", "Sign up with phone and password", "Credentials")
        a("POST", "/v1/sessions", self.log_in, "public", "Log in: access token + refresh token", "Credentials",
          idempotent=False)
        a("POST", "/v1/sessions/refresh", self.refresh, "public", "Swap a refresh token for new tokens",
          "RefreshRequest", idempotent=False)
        a("DELETE", "/v1/sessions/current", self.log_out, "consumer", "Log out (revoke this session)")
        a("GET", "/v1/me/wallet", self.balance, "consumer", "Wallet balance")
        a("GET", "/v1/me/wallet/entries", self.statement, "consumer", "Wallet statement")
        a("GET", "/v1/me/cards", self.cards, "consumer", "Bound bank cards")
        a("POST", "/v1/me/cards", self.bind_card, "consumer", "Bind a bank card", "BindCard")
        a("POST", "/v1/me/topups", self.top_up, "consumer", "Top up the wallet from a bound card", "TopUp")
        a("GET", "/v1/me/coupons", self.coupons, "consumer", "My coupons")
        a("POST", "/v1/red-envelopes/{campaign_id}/grab", self.grab, "consumer", "Grab a red envelope", "Empty")
        a("POST", "/v1/qr/resolve", self.resolve_qr, "consumer", "What a scanned QR pays", "ResolveQr")
        a("POST", "/v1/payment-codes", self.new_payment_code, "consumer", "A one-time payment code (60 s)", "Empty")
        a("POST", "/v1/payments", self.pay, "consumer", "Pay a scanned store or order QR", "Payment")
        a("GET", "/v1/payments/{trade_id}", self.my_trade, "consumer", "One of my trades")
        a("GET", "/v1/me/trades", self.my_trades, "consumer", "My trades")
        a("GET", "/v1/merchant/stores/{store_id}/qr", self.store_qr, "signed", "Store QR as text, SVG or PNG")
        a("POST", "/v1/merchant/orders", self.precreate, "signed", "Precreate an order QR", "Precreate")
        a("POST", "/v1/merchant/trades/pay-by-code", self.pay_by_code, "signed", "Charge a consumer payment code",
          "PayByCode")
        a("GET", "/v1/merchant/trades", self.merchant_trades, "signed", "Trade list")
        a("GET", "/v1/merchant/trades/{trade_id}", self.merchant_trade, "signed", "Query a trade")
        a("POST", "/v1/merchant/trades/{trade_id}/cancel", self.cancel, "signed", "Cancel (reverse) a trade", "Empty")
        a("POST", "/v1/merchant/trades/{trade_id}/close", self.close, "signed", "Close an unpaid trade", "Empty")
        a("POST", "/v1/merchant/trades/{trade_id}/refunds", self.refund, "signed", "Refund part of a trade", "Refund")
        a("GET", "/v1/merchant/statements/{business_date}", self.statement_csv, "signed", "Daily statement (CSV)")
        a("PUT", "/v1/merchant/webhook", self.set_webhook, "signed", "Set the notification URL", "Webhook")
        a("GET", "/v1/merchant/webhook", self.get_webhook, "signed", "Notification URL and signing secret")
        a("GET", "/v1/merchant/notifications", self.notifications, "signed", "Notification delivery log")
        a("POST", "/v1/merchant/notifications/{notification_id}/resend", self.resend, "signed",
          "Send a notification again", "Empty")
        discovery.declare(self)

    # --- consumers --------------------------------------------------------------------------------------

    async def sign_up(self, request: web.Request, who: Principal, data: dict[str, Any]) -> web.Response:
        phone = security.validate_phone(data["phone"])
        password = security.validate_password(data["password"])
        async with self.pool.acquire() as conn:
            if await store.consumer_by_phone(conn, phone):
                raise AlreadyExists("phone already registered", field="phone")
        consumer_id = new_id("csm")
        account = await self.payments.wallet.consumer_account(consumer_id)
        # argon2 takes tens of milliseconds of CPU: off the event loop, so other requests keep flowing.
        password_hash = await asyncio.to_thread(security.hash_password, password)
        async with self.pool.acquire() as conn:
            if not await store.insert_consumer(conn, consumer_id, phone, password_hash, account):
                raise AlreadyExists("phone already registered", field="phone")
        return web.json_response({"consumer_id": consumer_id, "wallet_account_id": account}, status=201)

    async def log_in(self, request: web.Request, who: Principal, data: dict[str, Any]) -> web.Response:
        async with self.pool.acquire() as conn:
            consumer = await store.consumer_by_phone(conn, str(data["phone"]))
        stored = consumer["password_hash"] if consumer else security.DUMMY_HASH
        matches = await asyncio.to_thread(security.password_matches, stored, str(data["password"]))
        if not matches or consumer is None:
            raise Unauthenticated("phone or password is wrong", reason="LOGIN_FAILED")
        session_id, refresh = new_id("ses"), security.new_refresh_token()
        async with self.pool.acquire() as conn:
            await store.insert_session(conn, session_id, consumer["consumer_id"], security.token_digest(refresh),
                                       _in(security.REFRESH_TOKEN_SECONDS))
        return web.json_response(self._tokens(consumer["consumer_id"], session_id, refresh), status=201)

    def _tokens(self, consumer_id: str, session_id: str, refresh: str) -> dict[str, Any]:
        return {"access_token": security.issue_access_token(self.keys.jwt_secret, consumer_id, session_id),
                "token_type": "Bearer", "expires_in": security.ACCESS_TOKEN_SECONDS, "refresh_token": refresh,
                "consumer_id": consumer_id}

    async def refresh(self, request: web.Request, who: Principal, data: dict[str, Any]) -> web.Response:
        new = security.new_refresh_token()
        async with self.pool.acquire() as conn:
            row = await store.rotate_session(conn, security.token_digest(data["refresh_token"]),
                                             security.token_digest(new), _in(security.REFRESH_TOKEN_SECONDS))
        if row is None:
            raise Unauthenticated("refresh token invalid, expired or revoked", reason="TOKEN_INVALID")
        return web.json_response(self._tokens(row["consumer_id"], row["session_id"], new))

    async def log_out(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        async with self.pool.acquire() as conn:
            await store.revoke_session(conn, who.session_id, who.actor.id)
        return web.json_response({"revoked": True})

    async def _live_consumer(self, who: Principal) -> str:
        """Access tokens are short-lived, but a revoked session stops working at once (a POST checked it
        already, in the statement that claimed its Idempotency-Key)."""
        if not who.session_checked:
            async with self.pool.acquire() as conn:
                if not await store.session_live(conn, who.session_id):
                    raise Unauthenticated("session revoked", reason="TOKEN_REVOKED")
        return await self.payments.wallet.consumer_account(who.actor.id)

    async def balance(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        account = await self._live_consumer(who)
        b = await self.payments.wallet.stub.GetBalance(wallet_pb2.GetBalanceRequest(account_id=account),
                                                        metadata=SERVICE_ACTOR)
        return web.json_response({"account_id": account, "currency": domain.CURRENCY, "posted": b.posted.amount,
                                  "pending": b.pending.amount, "available": b.available.amount})

    async def statement(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        account = await self._live_consumer(who)
        reply = await self.payments.wallet.stub.ListEntries(wallet_pb2.ListEntriesRequest(
            account_id=account, page=_page(request)), metadata=SERVICE_ACTOR)
        entries = [{"transfer_id": e.transfer_id, "direction": wallet_pb2.EntryDirection.Name(e.direction)[16:],
                    "amount": e.amount.amount, "reference": e.reference, "code": e.code,
                    "created_at": e.created_at.ToDatetime(UTC).isoformat()} for e in reply.entries]
        return web.json_response({"entries": entries, "next_page_token": reply.page.next_page_token or None})

    async def cards(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        account = await self._live_consumer(who)
        reply = await self.payments.wallet.stub.ListCards(wallet_pb2.ListCardsRequest(account_id=account),
                                                           metadata=SERVICE_ACTOR)
        return web.json_response({"cards": [_card(c) for c in reply.cards]})

    async def bind_card(self, request: web.Request, who: Principal, data: dict[str, Any]) -> web.Response:
        account = await self._live_consumer(who)
        card = await self.payments.wallet.stub.BindCard(wallet_pb2.BindCardRequest(
            account_id=account, card_number=data["card_number"], expiry=data["expiry"],
            holder_name=data["holder_name"]), metadata=SERVICE_ACTOR, timeout=15)
        return web.json_response(_card(card), status=201)

    async def top_up(self, request: web.Request, who: Principal, data: dict[str, Any]) -> web.Response:
        account = await self._live_consumer(who)
        amount = domain.validate_amount(data["amount"])
        reply = await self.payments.wallet.stub.TopUp(wallet_pb2.TopUpRequest(
            request_id=f"{who.actor.id}:{request.headers['Idempotency-Key']}", card_id=data["card_id"],
            account_id=account, amount=money(amount)), metadata=SERVICE_ACTOR, timeout=15)
        return web.json_response({"request_id": reply.request_id, "state": wallet_pb2.TopUpState.Name(reply.state)[13:],
                                  "amount": reply.charged.amount, "failure_reason": reply.failure_reason or None},
                                 status=201)

    async def coupons(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        await self._live_consumer(who)
        reply = await self.payments.promotions.call("ListCoupons", promotions_pb2.ListCouponsRequest(
            consumer_id=who.actor.id, page=_page(request)), who.actor)
        return web.json_response({"coupons": [_coupon(c) for c in reply.coupons],
                                  "next_page_token": reply.page.next_page_token or None})

    async def grab(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        await self._live_consumer(who)
        reply = await self.payments.promotions.call("GrabRedEnvelope", promotions_pb2.GrabRedEnvelopeRequest(
            campaign_id=request.match_info["campaign_id"], consumer_id=who.actor.id,
            request_id=request.headers["Idempotency-Key"]), who.actor)
        status = promotions_pb2.GrabStatus.Name(reply.status)[12:]
        coupon = _coupon(reply.coupon) if reply.HasField("coupon") else None
        return web.json_response({"status": status, "message": reply.message, "coupon": coupon}, status=201)

    async def resolve_qr(self, request: web.Request, who: Principal, data: dict[str, Any]) -> web.Response:
        code = emv.verify(data["qr_payload"], self.keys.qr_key, time.time())
        shop = await self.payments.directory.store(code.store_id)
        return web.json_response({"store_id": shop.store_id, "store_name": shop.name,
                                  "merchant_name": shop.merchant_name, "mall_id": shop.mall_id or None,
                                  "kind": "ORDER" if code.dynamic else "STORE", "trade_id": code.trade_id or None,
                                  "amount": code.amount_fen}, status=200)

    async def new_payment_code(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        await self._live_consumer(who)
        code = domain.new_payment_code(self.keys.code_key)
        async with self.pool.acquire() as conn:
            expires = await store.insert_payment_code(conn, code, who.actor.id, domain.PAYMENT_CODE_SECONDS)
        return web.json_response({"payment_code": code, "expires_at": expires.isoformat()}, status=201)

    async def pay(self, request: web.Request, who: Principal, data: dict[str, Any]) -> web.Response:
        await self._live_consumer(who)
        amount = data.get("amount")
        if amount is not None:
            domain.validate_amount(amount)
        card_id = (data.get("pay_from_card") or {}).get("card_id", "")
        trade = await self.payments.scan_to_pay(who.actor.id, data["qr_payload"], amount,
                                                request.headers["Idempotency-Key"], card_id)
        return web.json_response(trade_json(trade), status=201)

    def _settled_payment(self, who: Principal) -> Callable[[str], Awaitable[web.Response | None]]:
        async def settled(key: str) -> web.Response | None:
            trade = await store.trade_by_request_key(self.pool, who.actor.id, key)
            if trade is None or trade["status"] == domain.TradeStatus.WAIT_BUYER_PAY.value:
                return None
            return web.json_response(trade_json(trade), status=201)

        return settled

    async def my_trade(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        trade = await store.get_trade(self.pool, request.match_info["trade_id"])
        if trade is None or trade["consumer_id"] != who.actor.id:
            # Another consumer's trade looks exactly like a missing one.
            raise NotFound("trade not found", field="trade_id")
        return web.json_response(trade_json(trade))

    async def my_trades(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        rows = await store.list_trades(self.pool, consumer_id=who.actor.id, after=request.query.get("after"),
                                       limit=_limit(request))
        return web.json_response({"trades": [trade_json(t) for t in rows]})

    # --- merchant side ----------------------------------------------------------------------------------

    def _merchant(self, who: Principal) -> str:
        if not who.merchant_id:
            raise InvalidArgument("a partner key must name the merchant in X-Scanpay-Merchant-Id",
                                  field="X-Scanpay-Merchant-Id")
        return who.merchant_id

    async def _own_trade(self, who: Principal, trade_id: str) -> Any:
        trade = await store.get_trade(self.pool, trade_id)
        if trade is None or trade["merchant_id"] != self._merchant(who):
            raise NotFound("trade not found", field="trade_id")
        return trade

    async def store_qr(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        shop = await self.payments.directory.store(request.match_info["store_id"])
        if shop.merchant_id != self._merchant(who):
            raise PermissionDenied("store belongs to another merchant", field="store_id")
        payload = emv.encode(emv.QrCode(shop.store_id, shop.mcc, shop.merchant_name, shop.city), self.keys.qr_key)
        fmt = request.query.get("format", "json")
        qr = segno.make(payload, error="m")
        if fmt == "svg":
            buf = io.BytesIO()
            qr.save(buf, kind="svg", scale=4)
            return web.Response(body=buf.getvalue(), content_type="image/svg+xml")
        if fmt == "png":
            buf = io.BytesIO()
            qr.save(buf, kind="png", scale=6)
            return web.Response(body=buf.getvalue(), content_type="image/png")
        if fmt != "json":
            raise InvalidArgument("format must be json, svg or png", field="format")
        return web.json_response({"store_id": shop.store_id, "qr_payload": payload,
                                  "svg_data_uri": qr.svg_data_uri(scale=4)})

    async def precreate(self, request: web.Request, who: Principal, data: dict[str, Any]) -> web.Response:
        trade = await self.payments.precreate(
            self._merchant(who), who.actor.id if who.actor.kind == "partner" else "", data["store_id"],
            data["out_trade_no"], data["amount"], data.get("subject", ""), data.get("timeout_seconds", 0),
            data.get("notify_url", ""))
        return web.json_response(trade_json(trade), status=201)

    async def pay_by_code(self, request: web.Request, who: Principal, data: dict[str, Any]) -> web.Response:
        trade = await self.payments.pay_by_code(
            self._merchant(who), who.actor.id if who.actor.kind == "partner" else "", data["store_id"],
            data["out_trade_no"], data["amount"], data.get("subject", ""), data["payment_code"],
            data.get("notify_url", ""))
        return web.json_response(trade_json(trade), status=201)

    async def merchant_trades(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        status = request.query.get("status")
        if status is not None and status not in domain.TradeStatus.__members__:
            raise InvalidArgument("unknown status", field="status")
        rows = await store.list_trades(self.pool, merchant_id=self._merchant(who), status=status,
                                       after=request.query.get("after"), limit=_limit(request))
        return web.json_response({"trades": [trade_json(t) for t in rows]})

    async def merchant_trade(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        trade = await self._own_trade(who, request.match_info["trade_id"])
        refunds = await store.list_refunds(self.pool, trade["trade_id"])
        return web.json_response({**trade_json(trade), "refunds": [refund_json(r) for r in refunds]})

    async def cancel(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        trade = await self._own_trade(who, request.match_info["trade_id"])
        return web.json_response(trade_json(await self.payments.cancel(trade["trade_id"])))

    async def close(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        trade = await self._own_trade(who, request.match_info["trade_id"])
        return web.json_response(trade_json(await self.payments.close(trade["trade_id"])))

    async def refund(self, request: web.Request, who: Principal, data: dict[str, Any]) -> web.Response:
        trade = await self._own_trade(who, request.match_info["trade_id"])
        refund = await self.payments.refund(trade["trade_id"], data["out_refund_no"], data["amount"],
                                            data.get("reason", ""))
        trade = await store.get_trade(self.pool, trade["trade_id"])
        return web.json_response({"refund": refund_json(refund), "trade": trade_json(trade)}, status=201)

    async def statement_csv(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        business_date = request.match_info["business_date"]
        domain.business_day_bounds(business_date)
        stub = settlement_pb2_grpc.SettlementServiceStub(self.runtime.channel("settlement"))
        reply = await stub.GetStatement(settlement_pb2.GetStatementRequest(
            merchant_id=self._merchant(who), business_date=business_date), metadata=SERVICE_ACTOR)
        return web.Response(body=reply.csv, content_type="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{reply.file_name}"'})

    async def set_webhook(self, request: web.Request, who: Principal, data: dict[str, Any]) -> web.Response:
        owner = who.actor.id if who.actor.kind == "partner" else self._merchant(who)
        await store.set_webhook(self.pool, owner, data["url"])
        return web.json_response({"owner_id": owner, "url": data["url"],
                                  "signing_secret": self.keys.webhook_secret(owner)})

    async def get_webhook(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        owner = who.actor.id if who.actor.kind == "partner" else self._merchant(who)
        async with self.pool.acquire() as conn:
            url = await store.webhook_of(conn, owner)
        return web.json_response({"owner_id": owner, "url": url, "signing_secret": self.keys.webhook_secret(owner)})

    async def notifications(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        rows = await store.list_notifications(self.pool, self._merchant(who), request.query.get("trade_id"),
                                              _limit(request), request.query.get("after"))
        out = []
        for n in rows:
            attempts = await store.notification_attempts(self.pool, n["notification_id"])
            out.append({**notification_json(n), "attempts_log": [
                {"attempt": a["attempt"], "at": a["attempted_at"].isoformat(), "status_code": a["status_code"],
                 "error": a["error"] or None, "duration_ms": a["duration_ms"]} for a in attempts]})
        return web.json_response({"notifications": out})

    async def resend(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        row = await store.resend_notification(self.pool, request.match_info["notification_id"], self._merchant(who))
        if row is None:
            raise NotFound("notification not found", field="notification_id")
        return web.json_response(notification_json(row))


def notification_json(n: Any) -> dict[str, Any]:
    return {"notification_id": n["notification_id"], "event_type": n["event_type"], "trade_id": n["trade_id"],
            "url": n["url"], "status": n["status"], "attempts": n["attempts"],
            "last_status_code": n["last_status_code"] or None, "last_error": n["last_error"] or None,
            "next_attempt_at": n["next_attempt_at"].isoformat(),
            "delivered_at": n["delivered_at"].isoformat() if n["delivered_at"] else None}


def _validate(validator: Draft202012Validator, data: Any) -> None:
    error = next(iter(sorted(validator.iter_errors(data), key=lambda e: list(e.path))), None)
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or _missing_field(error) or "body"
        raise InvalidArgument(f"{where}: {error.message}", field=where)


def _missing_field(error: Any) -> str:
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [f for f in error.validator_value if f not in error.instance]
        return missing[0] if missing else ""
    return ""


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _in(seconds: int) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        raise InvalidArgument("limit must be 1..200", field="limit")
    return int(raw)


def _page(request: web.Request) -> Any:
    from ...gen.scanpay.common.v1 import common_pb2

    return common_pb2.PageRequest(page_size=_limit(request), page_token=request.query.get("page_token", ""))


def _card(c: wallet_pb2.Card) -> dict[str, Any]:
    return {"card_id": c.id, "last4": c.last4, "brand": wallet_pb2.CardBrand.Name(c.brand)[11:],
            "holder_name": c.holder_name, "expiry": c.expiry}


def _coupon(c: promotions_pb2.Coupon) -> dict[str, Any]:
    return {"coupon_id": c.id, "campaign_id": c.campaign_id, "status": promotions_pb2.CouponStatus.Name(c.status)[14:],
            "value": c.value.amount, "min_spend": c.min_spend.amount, "campaign_name": c.campaign_name,
            "expires_at": c.expires_at.ToDatetime(UTC).isoformat() if c.HasField("expires_at") else None}


async def start_rest(runtime: Runtime, payments: Payments, keys: security.Keys,
                     limits: dict[str, tuple[float, float]]) -> Callable[[], Awaitable[None]]:
    """Start the REST app on settings.http_port; returns the stop function ServiceSpec.extra expects."""
    api = RestApi(runtime, payments, keys, limits)
    runner = web.AppRunner(api.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, runtime.settings.grpc_host, runtime.settings.http_port, backlog=1024)
    await site.start()

    async def stop() -> None:
        await runner.cleanup()

    return stop

