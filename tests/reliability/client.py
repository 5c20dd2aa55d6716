"""The chaos run's REST client: consumer tokens and signed POS requests, retries with the same Idempotency-Key,
and a journal of every answer the clients got (what the 2xx-effect and idempotency invariants read)."""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from services.gateway import security


@dataclass
class Answer:
    """One attempt of one request: HTTP status (0 = no answer: connection refused, reset or timeout)."""

    status: int
    body: bytes
    at: float

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class Call:
    """A POST and every answer its retries got, all with the same Idempotency-Key and body."""

    op: str
    scope: str  # the gateway's idempotency scope: consumer:<id> / merchant:<id> / partner:<id>
    key: str
    method: str
    path: str
    body: bytes
    answers: list[Answer] = field(default_factory=list)
    duplicate_of: Call | None = None  # a deliberate re-send of an earlier call

    @property
    def final(self) -> Answer | None:
        """The first definite answer (not a transport error, 5xx or 409 'still in progress')."""
        for answer in self.answers:
            if definite(answer):
                return answer
        return None

    @property
    def first_2xx(self) -> Answer | None:
        return next((a for a in self.answers if 200 <= a.status < 300), None)


def definite(answer: Answer) -> bool:
    """An answer the gateway stands by: not a transport error, a 5xx, a 429 or a 409 'still in progress'."""
    if answer.status == 0 or answer.status >= 500 or answer.status == 429:
        return False
    return not (answer.status == 409 and b"still in progress" in answer.body)


@dataclass
class Journal:
    calls: list[Call] = field(default_factory=list)
    reads: int = 0
    read_violations: list[str] = field(default_factory=list)
    requests: int = 0

    def operations(self) -> int:
        """Logical operations: every POST the clients meant to make (retries are one) and every read."""
        return len(self.calls) + self.reads


@dataclass
class Caller:
    """Who signs: a consumer's access token, or a POS / partner key (key id, secret) acting for a merchant."""

    scope: str
    token: str = ""
    key: tuple[str, str] | None = None
    merchant_id: str = ""  # X-Scanpay-Merchant-Id for a partner key
    login: bytes = b""     # a consumer's login body, to get a new access token when this one expires


RATE_LIMIT_WAITS = 5


class Rest:
    def __init__(self, session: aiohttp.ClientSession, base: str, journal: Journal, retry_for: float) -> None:
        self.session = session
        self.base = base
        self.journal = journal
        self.retry_for = retry_for

    def _headers(self, who: Caller, method: str, path: str, body: bytes, key: str | None) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if who.token:
            headers["Authorization"] = f"Bearer {who.token}"
        if who.key is not None:
            ts, nonce = str(int(time.time())), secrets.token_hex(12)
            headers.update({"X-Scanpay-Key-Id": who.key[0], "X-Scanpay-Timestamp": ts, "X-Scanpay-Nonce": nonce,
                            "X-Scanpay-Signature": security.sign_request(who.key[1], method, path, ts, nonce, body)})
        if who.merchant_id:
            headers["X-Scanpay-Merchant-Id"] = who.merchant_id
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    async def attempt(self, who: Caller, method: str, path: str, body: bytes, key: str | None) -> Answer:
        answer = await self._once(who, method, path, body, key)
        for _ in range(RATE_LIMIT_WAITS):
            if answer.status != 429:
                break
            # Over the caller's rate limit (20/s, burst 40 per consumer): wait as Retry-After asks (at least
            # 1 s), as a well-behaved app does; the limit itself is tested with raw requests.
            await asyncio.sleep(1.0)
            answer = await self._once(who, method, path, body, key)
        if answer.status == 401 and b"TOKEN_EXPIRED" in answer.body and who.login:
            # Access tokens live 15 minutes; a long run logs in again, as the app would.
            session = await self._once(Caller("anonymous"), "POST", "/v1/sessions", who.login, None)
            if session.status == 201:
                who.token = session.json()["access_token"]
                answer = await self._once(who, method, path, body, key)
        return answer

    async def _once(self, who: Caller, method: str, path: str, body: bytes, key: str | None) -> Answer:
        self.journal.requests += 1
        try:
            async with self.session.request(method, self.base + path, data=body,
                                            headers=self._headers(who, method, path, body, key),
                                            timeout=aiohttp.ClientTimeout(total=20)) as r:
                return Answer(r.status, await r.read(), time.monotonic())
        except (aiohttp.ClientError, TimeoutError, ConnectionError):
            return Answer(0, b"", time.monotonic())

    async def post(self, op: str, who: Caller, path: str, payload: Any, key: str | None = None,
                   duplicate_of: Call | None = None) -> Call:
        """POST with an Idempotency-Key, retried with the same key and body until a definite answer or the
        retry window ends (then the outcome stays unknown to this client, as for a client that gave up)."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        call = Call(op, who.scope, key or secrets.token_hex(12), "POST", path, body, duplicate_of=duplicate_of)
        self.journal.calls.append(call)
        await self.drive(call, who)
        return call

    async def drive(self, call: Call, who: Caller) -> None:
        deadline = time.monotonic() + self.retry_for
        pause = 0.2
        while True:
            answer = await self.attempt(who, call.method, call.path, call.body, call.key)
            call.answers.append(answer)
            if definite(answer) or time.monotonic() > deadline:
                return
            await asyncio.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 3.0)

    async def get(self, who: Caller, path: str) -> Answer | None:
        """A read, retried on transport errors and 5xx; None when it never got an answer."""
        self.journal.reads += 1
        deadline = time.monotonic() + min(self.retry_for, 15)
        while True:
            answer = await self.attempt(who, "GET", path, b"", None)
            if answer.status and answer.status < 500:
                return answer
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.3)
