"""Request guards of the REST API: caller authentication, request signatures, rate limits, idempotency keys."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from google.protobuf.message import Message

from ...kit.auth import Actor
from ...kit.errors import InvalidArgument, PermissionDenied, Unauthenticated
from .. import security, store
from ..clients import Caller, Directory

IDEMPOTENCY_KEEP_HOURS = 24
IDEMPOTENCY_LOCK_SECONDS = 60
NONCE_KEEP_SECONDS = 2 * security.SIGNATURE_WINDOW_SECONDS + 60


@dataclass(frozen=True)
class Principal:
    """Who is calling the REST API, after authentication."""

    actor: Actor
    session_id: str = ""
    caller: Caller | None = None  # merchant POS / partner key
    merchant_id: str = ""         # the merchant a signed request acts for
    session_checked: bool = False  # the consumer's session was found live while claiming the Idempotency-Key

    @property
    def scope(self) -> str:
        return self.actor.header()


class TokenBucket:
    """Per-key token buckets in process memory: `rate` requests per second, bursts up to `burst`."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, now: float | None = None) -> float:
        """0 when allowed; otherwise the seconds until a request would be."""
        now = time.monotonic() if now is None else now
        tokens, last = self.buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1:
            if len(self.buckets) > 100_000:
                self.buckets.clear()
            self.buckets[key] = (tokens - 1, now)
            return 0.0
        self.buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate


def too_many(retry_after: float) -> web.HTTPTooManyRequests:
    return web.HTTPTooManyRequests(text="rate limit exceeded; retry later",
                                   headers={"Retry-After": str(max(1, int(retry_after + 0.999)))})


def client_address(request: web.Request) -> str:
    return request.remote or "unknown"


def consumer_principal(request: web.Request, jwt_secret: str) -> Principal:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Unauthenticated("a consumer access token is required (Authorization: Bearer ...)")
    claims = security.read_access_token(jwt_secret, header[7:].strip())
    return Principal(Actor("consumer", claims.consumer_id), session_id=claims.session_id)


async def signed_principal(request: web.Request, body: bytes, pool: object, directory: Directory) -> Principal:
    """Check the HMAC request signature (merchant POS or partner) and the nonce; see docs/api.md."""
    h = request.headers
    key_id, timestamp = h.get("X-Scanpay-Key-Id", ""), h.get("X-Scanpay-Timestamp", "")
    nonce, signature = h.get("X-Scanpay-Nonce", ""), h.get("X-Scanpay-Signature", "")
    if not (key_id and timestamp and nonce and signature):
        raise Unauthenticated("signed request headers X-Scanpay-Key-Id/-Timestamp/-Nonce/-Signature required")
    caller = await verify_signature(pool, directory, key_id, timestamp, nonce, signature, request.method,
                                    request.path_qs, body)
    merchant_id = h.get("X-Scanpay-Merchant-Id", "")
    merchant_id = await authorised_merchant(directory, caller, merchant_id)
    return Principal(Actor(caller.kind, caller.owner_id), caller=caller, merchant_id=merchant_id)


async def verify_signature(pool: object, directory: Directory, key_id: str, timestamp: str, nonce: str,
                           signature: str, method: str, path: str, body: bytes) -> Caller:
    security.check_timestamp(timestamp, time.time())
    security.check_nonce(nonce)
    base = security.signing_string(method, path, timestamp, nonce, body).encode()
    caller = await directory.verify(key_id, base, signature)
    async with pool.acquire() as conn:  # type: ignore[attr-defined]
        if not await store.remember_nonce(conn, key_id, nonce, NONCE_KEEP_SECONDS):
            raise Unauthenticated("nonce already used", reason="NONCE_REPLAYED")
    return caller


async def authorised_merchant(directory: Directory, caller: Caller, merchant_id: str) -> str:
    """The merchant this caller may act for: a merchant key itself; a partner key only its own merchants."""
    if caller.kind == "merchant":
        if merchant_id and merchant_id != caller.owner_id:
            raise PermissionDenied("a merchant key acts only for its own merchant")
        return caller.owner_id
    if not merchant_id:
        return ""
    if await directory.merchant_partner(merchant_id) != caller.owner_id:
        raise PermissionDenied("this partner does not own that merchant")
    return merchant_id


def request_hash(request: web.Request, body: bytes) -> str:
    return hashlib.sha256(f"{request.method} {request.path}\n".encode() + body).hexdigest()


async def idempotent(pool: object, principal_scope: str, request: web.Request, body: bytes,
                     handler: Callable[[], Awaitable[web.Response]],
                     settled: Callable[[str], Awaitable[web.Response | None]] | None = None,
                     session_id: str = "") -> web.Response:
    """Idempotency-Key: the first response is kept 24 h and replayed; another body -> 422; in flight -> 409.

    `settled(key)` answers for a key whose first request died mid-way (process crash) once the resource it
    made has reached a final state, so the client gets the first outcome instead of a 409 until the lock ends.
    A consumer's `session_id` is checked in the statement that claims the key: a revoked or expired session
    is 401 and claims nothing (not even a replay of an earlier answer).
    """
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        raise web.HTTPBadRequest(text="Idempotency-Key header is required on POST")
    if len(key) > 128 or not key.isascii() or not key.isprintable():
        raise web.HTTPBadRequest(text="Idempotency-Key must be 1-128 printable ASCII characters")
    digest = request_hash(request, body)
    async with pool.acquire() as conn:  # type: ignore[attr-defined]
        row = await store.claim_idempotency_key(conn, principal_scope, key, digest, IDEMPOTENCY_LOCK_SECONDS,
                                                IDEMPOTENCY_KEEP_HOURS, session_id)
    if row is None:
        raise Unauthenticated("session revoked", reason="TOKEN_REVOKED")
    if row["request_hash"] != digest:
        raise web.HTTPUnprocessableEntity(text="Idempotency-Key was used with another request body")
    if not row["claimed"]:
        if row["response_status"] is None:
            finished = await settled(key) if settled is not None else None
            if finished is not None:
                async with pool.acquire() as conn:  # type: ignore[attr-defined]
                    await store.finish_idempotency_key(conn, principal_scope, key, finished.status,
                                                       bytes(finished.body))
                return finished
            raise web.HTTPConflict(text="a request with this Idempotency-Key is still in progress")
        return web.Response(status=row["response_status"], body=bytes(row["response_body"]),
                            content_type="application/json", headers={"Idempotent-Replayed": "true"})
    try:
        response = await handler()
    except BaseException:
        async with pool.acquire() as conn:  # type: ignore[attr-defined]
            await store.drop_idempotency_key(conn, principal_scope, key)
        raise
    if response.status >= 500:
        async with pool.acquire() as conn:  # type: ignore[attr-defined]
            await store.drop_idempotency_key(conn, principal_scope, key)
        return response
    async with pool.acquire() as conn:  # type: ignore[attr-defined]
        await store.finish_idempotency_key(conn, principal_scope, key, response.status, bytes(response.body))
    return response


def refuse_nul(value: object, where: str) -> None:
    """PostgreSQL text cannot hold U+0000: refuse it in any string of the request (400) rather than fail later."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidArgument(f"{where}: the NUL character is not allowed", field=where)
    elif isinstance(value, dict):
        for key, item in value.items():
            refuse_nul(key, where)
            refuse_nul(item, f"{where}.{key}" if where != "body" else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            refuse_nul(item, f"{where}[{index}]")


def refuse_nul_fields(message: Message, where: str = "") -> None:
    """refuse_nul for a protobuf request of the partner API: every string field, however deep."""
    for field, value in message.ListFields():
        name = f"{where}.{field.name}" if where else field.name
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            items = [(f"{name}[{key}]", key, item) for key, item in value.items()]
        elif field.is_repeated:
            items = [(f"{name}[{index}]", "", item) for index, item in enumerate(value)]
        else:
            items = [(name, "", value)]
        for at, key, item in items:
            refuse_nul(key, at)
            if isinstance(item, Message):
                refuse_nul_fields(item, at)
            else:
                refuse_nul(item, at)


def json_body(body: bytes) -> object:
    if not body:
        return {}
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nesting deeper than the parser's stack
        raise web.HTTPBadRequest(text="request body is not valid JSON") from None
