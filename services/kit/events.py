"""Events on NATS JetStream: streams, the transactional outbox and its relay, and inbox consumers."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import nats
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError, Message
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, PubAck, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from opentelemetry import trace

from ..gen.scanpay.events.v1 import envelope_pb2
from . import tracing
from .ids import new_id
from .logging import get_logger
from .metrics import CONSUMER_LAG, DEAD_LETTERS, EVENTS_HANDLED, OUTBOX_LAG, OUTBOX_PUBLISHED
from .proto import timestamp

log = get_logger("kit.events")
DLQ_STREAM = "DLQ"


def stream_name(producer: str) -> str:
    return producer.upper()


def stream_config(producer: str, replicas: int | None = None) -> StreamConfig:
    return StreamConfig(
        name=stream_name(producer),
        subjects=[f"{producer}.>"],
        storage=StorageType.FILE,
        num_replicas=replicas or int(os.environ.get("SCANPAY_NATS_STREAM_REPLICAS", "1")),
        duplicate_window=120.0,
    )


def dlq_config(replicas: int | None = None) -> StreamConfig:
    return StreamConfig(
        name=DLQ_STREAM,
        subjects=["dlq.>"],
        storage=StorageType.FILE,
        num_replicas=replicas or int(os.environ.get("SCANPAY_NATS_STREAM_REPLICAS", "1")),
    )


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    """Create the stream, or update it to match the definition in code."""
    try:
        await js.stream_info(config.name)  # type: ignore[arg-type]
        await js.update_stream(config)
    except NotFoundError:
        await js.add_stream(config)


def redact_url(url: str) -> str:
    """The URL without its user/token part, for logs (k8s puts the NATS token in the URL)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url.rpartition("@")[2]


class Bus:
    """One NATS connection per process that keeps retrying while the server is away."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name
        self.nc: NATS | None = None
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def js(self) -> JetStreamContext:
        assert self.nc is not None, "bus not connected"
        return self.nc.jetstream()

    async def connect(self, wait: float | None = None) -> bool:
        """Start connecting in the background; returns whether it connected within `wait` seconds."""
        if self._task is None:
            self._task = asyncio.create_task(self._connect_forever())
        try:
            await asyncio.wait_for(self.connected.wait(), wait)
            return True
        except TimeoutError:
            return False

    async def _connect_forever(self) -> None:
        # With max_reconnect_attempts=-1 nats-py keeps retrying the first connection too.
        self.nc = await nats.connect(
            self.url,
            name=self.name,
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            connect_timeout=2,
            error_cb=self._on_error,
            disconnected_cb=self._on_disconnect,
            reconnected_cb=self._on_reconnect,
        )
        self.connected.set()
        log.info("nats_connected", url=redact_url(self.url))

    async def _on_error(self, exc: Exception) -> None:
        log.debug("nats_error", error=str(exc) or type(exc).__name__)

    async def _on_disconnect(self) -> None:
        log.warning("nats_disconnected", url=redact_url(self.url))

    async def _on_reconnect(self) -> None:
        log.info("nats_reconnected", url=redact_url(self.url))

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self.nc is not None and not self.nc.is_closed:
            # Publishes are awaited for their acks, so nothing is buffered; drain would wait on pull subs.
            await self.nc.close()


# --- outbox -------------------------------------------------------------------------------------------


def build_envelope(producer: str, event_type: str, data: Message, event_id: str | None = None) -> envelope_pb2.Envelope:
    packed = any_pb2.Any()
    packed.Pack(data, type_url_prefix="type.scanpay.dev/")
    return envelope_pb2.Envelope(
        id=event_id or new_id("evt"), type=event_type, occurred_at=timestamp(datetime.now(UTC)), producer=producer,
        data=packed,
    )


@dataclass(frozen=True)
class OutboxRow:
    """One row of a service's outbox table, as the relay publishes it."""

    event_id: str
    subject: str
    payload: bytes
    headers: str  # JSON: the trace context to carry to consumers


def outbox_row(
    producer: str, event_type: str, data: Message, event_id: str | None = None, headers: str | None = None
) -> OutboxRow:
    """The outbox row of an event, for a statement that writes it with the change it reports (append and
    append_rows write it on their own). `headers` defaults to the current trace context."""
    envelope = build_envelope(producer, event_type, data, event_id)
    return OutboxRow(
        envelope.id,
        f"{producer}.{event_type}",
        envelope.SerializeToString(),
        json.dumps(tracing.inject({})) if headers is None else headers,
    )


async def append(
    conn: asyncpg.Connection, producer: str, event_type: str, data: Message, event_id: str | None = None
) -> str:
    """Write an event to the outbox inside the caller's transaction; returns the event id."""
    row = outbox_row(producer, event_type, data, event_id)
    await append_rows(conn, [row])
    return row.event_id


async def append_rows(conn: asyncpg.Connection, rows: Sequence[OutboxRow]) -> None:
    """Write outbox rows in one statement inside the caller's transaction."""
    # No pg_notify: NOTIFY serialises every committing transaction on one lock; the relay polls instead.
    await conn.execute(
        """
        INSERT INTO outbox (event_id, subject, payload, headers)
        SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::jsonb[])
        """,
        [r.event_id for r in rows],
        [r.subject for r in rows],
        [r.payload for r in rows],
        [r.headers for r in rows],
    )


class OutboxRelay:
    """Publishes outbox rows in order with Nats-Msg-Id = event id, then marks them sent.

    One relay at a time holds the schema's advisory lock per batch, so replicas never reorder events. A batch
    is pipelined: every event is written to the connection in outbox order and the acks are awaited together,
    so JetStream stores them in that order. Only after every ack does one statement mark the batch sent; a crash
    or a failed publish before that republishes the whole batch, and JetStream's duplicate window drops the
    events it already has (at least once, never lost).
    """

    def __init__(self, pool: asyncpg.Pool, bus: Bus, service: str, batch_size: int = 200, idle: float = 0.05,
                 ack_timeout: float = 5.0) -> None:
        self.pool = pool
        self.bus = bus
        self.service = service
        self.batch_size = batch_size
        self.idle = idle
        self.ack_timeout = ack_timeout
        self._js: JetStreamContext | None = None
        self._drained = False  # the last batch found nothing to send

    async def run(self) -> None:
        while True:
            try:
                sent = await self.publish_batch() if self.bus.connected.is_set() else 0
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError,
                    nats.errors.Error) as exc:
                log.warning("outbox_relay_retry", error=str(exc) or type(exc).__name__)
                sent = 0
            if sent < self.batch_size:
                await asyncio.sleep(self.idle)

    async def publish_batch(self) -> int:
        """Publish up to batch_size pending events; returns how many were sent."""
        if self._drained and not await self.pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE published_at IS NULL)"
        ):
            # Idle: one cheap look on the partial index instead of a transaction every poll.
            OUTBOX_LAG.labels(self.service).set(0)
            return 0
        async with self.pool.acquire() as conn, conn.transaction():
            # Its own statement: the rows below are then read after the lock is held, so a relay that takes
            # over from another sees what that one marked sent.
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext('outbox:' || current_schema()))"):
                return 0
            rows = await conn.fetch(
                """
                SELECT seq, event_id, subject, payload, headers FROM outbox
                WHERE published_at IS NULL ORDER BY seq LIMIT $1
                """,
                self.batch_size,
            )
            self._drained = not rows
            if not rows:
                OUTBOX_LAG.labels(self.service).set(0)
                return 0
            await self._publish(rows)
            lag = await self._mark_sent(conn, rows)
            OUTBOX_LAG.labels(self.service).set(lag)
            OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
            return len(rows)

    async def _publish(self, rows: list[asyncpg.Record]) -> None:
        """Write every event in order, then wait for all acks at once (one timeout for the batch)."""
        if self._js is None:
            # One context for the relay's life: publish_async keeps its reply subscription on it.
            self._js = self.bus.js
        acks: list[asyncio.Future[PubAck]] = []
        try:
            for r in rows:
                headers = {"Nats-Msg-Id": r["event_id"], **json.loads(r["headers"])}
                acks.append(await self._js.publish_async(r["subject"], bytes(r["payload"]), headers=headers))
            await asyncio.wait_for(asyncio.gather(*acks), self.ack_timeout)
        except BaseException:
            # The batch is sent again whole; drop the acks still awaited so they do not pile up on the context.
            for ack in acks:
                ack.cancel()
            raise

    async def _mark_sent(self, conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> int:
        """Mark the batch sent in one statement; returns how many events are still waiting (bounded count on
        the partial index, cheap even when the backlog is large)."""
        return await conn.fetchval(
            """
            WITH sent AS (UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[]) RETURNING seq)
            SELECT greatest(count(*) - (SELECT count(*) FROM sent), 0)
            FROM (SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT 100000) AS pending
            """,
            [r["seq"] for r in rows],
        )


# --- inbox --------------------------------------------------------------------------------------------

Handler = Callable[[asyncpg.Connection, envelope_pb2.Envelope], Awaitable[None]]


class PoisonMessage(Exception):
    """Raised by a handler for an event that can never succeed (bad amount, wrong currency, ...)."""


@dataclass
class InboxConsumer:
    """A durable pull consumer whose handler effect and inbox row commit in one transaction.

    Acked only after commit; a failed handler is redelivered with backoff; after max_deliver failures,
    or at once for a PoisonMessage, the message is copied to `dlq.<consumer>` with the reason and acked.
    """

    pool: asyncpg.Pool
    bus: Bus
    name: str
    stream: str
    subject: str
    handler: Handler
    max_deliver: int = 5
    backoff: tuple[float, ...] = (0.2, 1.0, 5.0, 15.0)
    batch: int = 64
    ack_wait: float = 30.0

    async def run(self) -> None:
        await self.bus.connected.wait()
        sub = await self._subscribe()
        while True:
            try:
                messages = await sub.fetch(self.batch, timeout=1)
            except (TimeoutError, nats.errors.TimeoutError):
                await self._report_lag(sub)
                continue
            except nats.errors.Error as exc:
                log.warning("consumer_fetch_failed", consumer=self.name, error=str(exc) or type(exc).__name__)
                await asyncio.sleep(0.5)
                continue
            for msg in messages:
                await self.process(msg)

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        while True:
            try:
                return await self.bus.js.pull_subscribe(
                    self.subject,
                    durable=self.name,
                    stream=self.stream,
                    config=ConsumerConfig(
                        ack_policy=AckPolicy.EXPLICIT,
                        deliver_policy=DeliverPolicy.ALL,
                        ack_wait=self.ack_wait,
                        max_ack_pending=1000,
                    ),
                )
            except (NotFoundError, nats.errors.Error) as exc:
                log.warning("consumer_waiting_for_stream", consumer=self.name, stream=self.stream, error=str(exc))
                await asyncio.sleep(1.0)

    async def _report_lag(self, sub: JetStreamContext.PullSubscription) -> None:
        try:
            info = await sub.consumer_info()
            CONSUMER_LAG.labels(self.name).set(info.num_pending or 0)
        except nats.errors.Error:
            pass

    async def process(self, msg: Msg) -> None:
        envelope = envelope_pb2.Envelope()
        try:
            envelope.ParseFromString(msg.data)
        except DecodeError:
            await self._dead_letter(msg, "payload is not a scanpay event envelope")
            return
        ctx = tracing.extract(msg.headers)
        with tracing.tracer().start_as_current_span(
            f"consume {msg.subject}", context=ctx, kind=trace.SpanKind.CONSUMER,
            attributes={"messaging.message.id": envelope.id, "messaging.consumer": self.name},
        ):
            try:
                await self._apply(msg, envelope)
            except PoisonMessage as exc:
                await self._dead_letter(msg, str(exc))
                return
            except Exception as exc:
                await self._retry_or_dead_letter(msg, exc)
                return
        await self.acknowledge(msg)
        EVENTS_HANDLED.labels(self.name, "ok").inc()

    async def acknowledge(self, msg: Msg) -> None:
        """Ack after commit: a crash before this line redelivers, and the inbox row makes that a no-op."""
        await msg.ack()

    async def _apply(self, msg: Msg, envelope: envelope_pb2.Envelope) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await conn.fetchval(
                """
                INSERT INTO inbox (consumer, event_id, subject) VALUES ($1, $2, $3)
                ON CONFLICT DO NOTHING RETURNING true
                """,
                self.name,
                envelope.id,
                msg.subject,
            )
            if fresh:
                await self.handler(conn, envelope)

    async def _retry_or_dead_letter(self, msg: Msg, exc: Exception) -> None:
        delivered = msg.metadata.num_delivered or 1
        reason = f"{type(exc).__name__}: {exc}"
        if delivered >= self.max_deliver:
            await self._dead_letter(msg, f"failed {delivered} times; last error {reason}")
            return
        delay = self.backoff[min(delivered - 1, len(self.backoff) - 1)]
        log.warning("event_retry", consumer=self.name, subject=msg.subject, delivered=delivered, error=reason)
        EVENTS_HANDLED.labels(self.name, "retry").inc()
        await msg.nak(delay=delay)

    async def _dead_letter(self, msg: Msg, reason: str) -> None:
        headers = {
            **(msg.headers or {}),
            "Scanpay-Dead-Reason": reason[:500],
            "Scanpay-Original-Subject": msg.subject,
        }
        headers.pop("Nats-Msg-Id", None)
        await self.bus.js.publish(f"dlq.{self.name}", msg.data, headers=headers, timeout=5)
        await msg.ack()
        DEAD_LETTERS.labels(self.name).inc()
        EVENTS_HANDLED.labels(self.name, "dead_letter").inc()
        log.error("event_dead_lettered", consumer=self.name, subject=msg.subject, reason=reason)


def unpack(envelope: envelope_pb2.Envelope, message_type: type[Message]) -> Message:
    """The envelope's data as `message_type`; a PoisonMessage when it is something else."""
    out = message_type()
    if not envelope.data.Unpack(out):
        raise PoisonMessage(f"event {envelope.id} carries {envelope.data.type_url}, expected {out.DESCRIPTOR.full_name}")
    return out
