"""Outbox -> JetStream -> inbox: each event's effect happens exactly once, also across crashes."""

from __future__ import annotations

import asyncio
import secrets

import asyncpg
import nats
import pytest
from google.protobuf import wrappers_pb2

from services.kit import events
from services.kit.config import dsn_with_user, role_name
from services.kit.events import Bus, InboxConsumer, OutboxRelay, PoisonMessage

from .conftest import PRODUCER


async def _emit(pool: asyncpg.Pool, value: str, event_type: str = "thing.happened") -> str:
    async with pool.acquire() as conn, conn.transaction():
        return await events.append(conn, PRODUCER, event_type, wrappers_pb2.StringValue(value=value))


async def _record_effect(conn: asyncpg.Connection, envelope: events.envelope_pb2.Envelope) -> None:
    value = events.unpack(envelope, wrappers_pb2.StringValue).value  # type: ignore[attr-defined]
    if value.startswith("poison"):
        raise PoisonMessage(f"value {value!r} can never be applied")
    await conn.execute("INSERT INTO effects (event_id, value) VALUES ($1, $2)", envelope.id, value)


async def _effects(pool: asyncpg.Pool, prefix: str) -> list[str]:
    rows = await pool.fetch("SELECT value FROM effects WHERE value LIKE $1 || '%' ORDER BY value", prefix)
    return [r["value"] for r in rows]


async def _wait_for(predicate, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def _consumer(pool: asyncpg.Pool, bus: Bus, stream: str, subject: str, **kw) -> InboxConsumer:  # type: ignore[no-untyped-def]
    return InboxConsumer(pool, bus, f"c_{secrets.token_hex(3)}", stream, subject, _record_effect, **kw)


async def test_each_event_applied_once_in_order(kit_pool: asyncpg.Pool, bus: Bus, stream: str) -> None:
    tag = f"order-{secrets.token_hex(3)}"
    for i in range(30):
        await _emit(kit_pool, f"{tag}-{i:02d}", f"{tag}.happened")
    relay = OutboxRelay(kit_pool, bus, PRODUCER)
    assert await relay.publish_batch() >= 30
    consumer = _consumer(kit_pool, bus, stream, f"{PRODUCER}.{tag}.happened")
    task = asyncio.create_task(consumer.run())
    try:
        await _wait_for(lambda: _n(kit_pool, tag, 30))
        order = await kit_pool.fetch(
            "SELECT e.value FROM effects e JOIN inbox i ON i.event_id = e.event_id WHERE e.value LIKE $1 || '%'"
            " ORDER BY i.received_at, e.value", tag
        )
        assert [r["value"] for r in order] == [f"{tag}-{i:02d}" for i in range(30)]
    finally:
        await _stop(task)


async def _n(pool: asyncpg.Pool, prefix: str, count: int) -> bool:
    return len(await _effects(pool, prefix)) >= count


async def test_relay_crash_between_publish_and_mark_sent(
    kit_pool: asyncpg.Pool, bus: Bus, stream: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = f"relaycrash-{secrets.token_hex(3)}"
    ids = [await _emit(kit_pool, f"{tag}-{i}", f"{tag}.happened") for i in range(5)]
    crashing = OutboxRelay(kit_pool, bus, PRODUCER)

    async def crash(*_: object) -> None:
        raise ConnectionResetError("relay died after publishing")

    monkeypatch.setattr(crashing, "_mark_sent", crash)
    with pytest.raises(ConnectionResetError):
        await crashing.publish_batch()
    unsent = await kit_pool.fetchval("SELECT count(*) FROM outbox WHERE event_id = ANY($1) AND published_at IS NULL",
                                     ids)
    assert unsent == 5, "the crash must leave the rows unsent"
    assert await OutboxRelay(kit_pool, bus, PRODUCER).publish_batch() >= 5  # republished: same Nats-Msg-Id
    info = await bus.js.stream_info(stream)
    assert info.state.messages > 0
    consumer = _consumer(kit_pool, bus, stream, f"{PRODUCER}.{tag}.happened")
    task = asyncio.create_task(consumer.run())
    try:
        await _wait_for(lambda: _n(kit_pool, tag, 5))
        await asyncio.sleep(1.0)
        assert await _effects(kit_pool, tag) == [f"{tag}-{i}" for i in range(5)]
        sub = await bus.js.pull_subscribe(f"{PRODUCER}.{tag}.happened", stream=stream)
        seen = await sub.fetch(20, timeout=2)
        assert len(seen) == 5, "JetStream dropped the duplicates by Nats-Msg-Id"
    finally:
        await _stop(task)


async def _stored(bus: Bus, stream: str, subject: str, limit: int) -> list[str]:
    """Event ids stored on `subject`, in stream order."""
    sub = await bus.js.pull_subscribe(subject, stream=stream)
    try:
        seen = await sub.fetch(limit, timeout=2)
        return [events.envelope_pb2.Envelope.FromString(m.data).id for m in seen]
    finally:
        await sub.unsubscribe()


async def test_relay_pipelines_a_batch_in_order_in_five_statements(
    kit_pool: asyncpg.Pool, bus: Bus, stream: str, database: str
) -> None:
    tag = f"batch-{secrets.token_hex(3)}"
    statements: list[str] = []

    async def init(conn: asyncpg.Connection) -> None:
        await conn.execute(f"SET search_path = {PRODUCER}")
        conn.add_query_logger(lambda q: statements.append(q.query[:60]))

    async def reset(conn: asyncpg.Connection) -> None:  # as kit.db's pools: no reset round trip on release
        if conn.is_in_transaction():
            await conn.execute("ROLLBACK")

    pool = await asyncpg.create_pool(dsn_with_user(database, role_name(PRODUCER)), min_size=1, max_size=1,
                                     init=init, reset=reset)
    try:
        relay = OutboxRelay(pool, bus, PRODUCER)
        await _emit(kit_pool, f"{tag}-warm", f"{tag}.warm")
        await relay.publish_batch()  # the connection learns its types (asyncpg introspection) on first use
        ids = [await _emit(kit_pool, f"{tag}-{i:03d}", f"{tag}.happened") for i in range(150)]
        counts = []
        for _ in range(3):
            await asyncio.sleep(0)
            statements.clear()
            await relay.publish_batch()
            await asyncio.sleep(0)  # query loggers run on the loop
            counts.append(len(statements))
    finally:
        await pool.close()
    # A batch: BEGIN, lock, claim, mark sent (with the backlog count), COMMIT; then an empty one; then, idle,
    # one look at the partial index.
    assert counts == [5, 4, 1], (counts, statements)
    assert await _stored(bus, stream, f"{PRODUCER}.{tag}.happened", 300) == ids
    assert not await kit_pool.fetchval("SELECT count(*) FROM outbox WHERE event_id = ANY($1) AND published_at IS NULL",
                                       ids)


async def test_failed_publish_mid_batch_republishes_the_batch(kit_pool: asyncpg.Pool, bus: Bus, stream: str) -> None:
    tag = f"midfail-{secrets.token_hex(3)}"
    subject = f"{PRODUCER}.{tag}.happened"
    first = await _emit(kit_pool, f"{tag}-0", f"{tag}.happened")
    # An event moved to a subject no stream takes: its publish fails, as when the server is away.
    stray = await _emit(kit_pool, f"{tag}-1", f"{tag}.happened")
    await kit_pool.execute("UPDATE outbox SET subject = $2 WHERE event_id = $1", stray, f"nostream.{tag}")
    last = await _emit(kit_pool, f"{tag}-2", f"{tag}.happened")
    relay = OutboxRelay(kit_pool, bus, PRODUCER)
    try:
        with pytest.raises(nats.errors.Error):
            await relay.publish_batch()
        unsent = await kit_pool.fetchval(
            "SELECT count(*) FROM outbox WHERE event_id = ANY($1) AND published_at IS NULL", [first, stray, last])
        assert unsent == 3, "a batch with a failed publish is not marked sent, not even its acked events"
        await kit_pool.execute("UPDATE outbox SET subject = $2 WHERE event_id = $1", stray, subject)
        assert await relay.publish_batch() >= 3
    finally:
        await kit_pool.execute("DELETE FROM outbox WHERE event_id = $1 AND published_at IS NULL", stray)
    stored = await _stored(bus, stream, subject, 10)
    assert sorted(stored) == sorted([first, stray, last]), "each event stored once: the duplicates were dropped"
    assert stored.index(first) < stored.index(last)


async def test_consumer_crash_between_commit_and_ack(kit_pool: asyncpg.Pool, bus: Bus, stream: str) -> None:
    tag = f"ackcrash-{secrets.token_hex(3)}"
    await _emit(kit_pool, f"{tag}-0", f"{tag}.happened")
    await OutboxRelay(kit_pool, bus, PRODUCER).publish_batch()
    lost_acks: list[str] = []

    class DiesBeforeAck(InboxConsumer):
        async def acknowledge(self, msg) -> None:  # type: ignore[no-untyped-def]
            if not lost_acks:
                lost_acks.append(msg.subject)  # the process "dies": the ack never reaches the server
                return
            await super().acknowledge(msg)

    consumer = DiesBeforeAck(kit_pool, bus, f"c_{secrets.token_hex(3)}", stream, f"{PRODUCER}.{tag}.happened",
                             _record_effect, ack_wait=1.0)
    task = asyncio.create_task(consumer.run())
    try:
        await _wait_for(lambda: _n(kit_pool, tag, 1))
        await _wait_for(lambda: _redelivered(bus, stream, consumer.name), timeout=20)
        assert await _effects(kit_pool, tag) == [f"{tag}-0"]
        assert lost_acks
    finally:
        await _stop(task)


async def _redelivered(bus: Bus, stream: str, durable: str) -> bool:
    info = await bus.js.consumer_info(stream, durable)
    return info.num_ack_pending == 0 and info.delivered.consumer_seq >= 2


async def test_poison_message_goes_to_dead_letter_subject(kit_pool: asyncpg.Pool, bus: Bus, stream: str) -> None:
    tag = f"poison-{secrets.token_hex(3)}"
    event_id = await _emit(kit_pool, f"poison-{tag}", f"{tag}.happened")
    await OutboxRelay(kit_pool, bus, PRODUCER).publish_batch()
    consumer = _consumer(kit_pool, bus, stream, f"{PRODUCER}.{tag}.happened")
    dlq = await bus.js.subscribe(f"dlq.{consumer.name}", stream=events.DLQ_STREAM)
    task = asyncio.create_task(consumer.run())
    try:
        dead = await dlq.next_msg(timeout=10)
        envelope = events.envelope_pb2.Envelope.FromString(dead.data)
        assert envelope.id == event_id
        assert "can never be applied" in dead.headers["Scanpay-Dead-Reason"]
        assert dead.headers["Scanpay-Original-Subject"] == f"{PRODUCER}.{tag}.happened"
        assert await _effects(kit_pool, f"poison-{tag}") == []
        assert not await kit_pool.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", event_id)
    finally:
        await _stop(task)
        await dlq.unsubscribe()


async def test_failing_handler_is_retried_then_dead_lettered(kit_pool: asyncpg.Pool, bus: Bus, stream: str) -> None:
    tag = f"flaky-{secrets.token_hex(3)}"
    await _emit(kit_pool, f"{tag}-0", f"{tag}.happened")
    await OutboxRelay(kit_pool, bus, PRODUCER).publish_batch()
    attempts: list[int] = []

    async def always_fails(conn: asyncpg.Connection, envelope: events.envelope_pb2.Envelope) -> None:
        attempts.append(1)
        raise RuntimeError("downstream unavailable")

    consumer = InboxConsumer(kit_pool, bus, f"c_{secrets.token_hex(3)}", stream, f"{PRODUCER}.{tag}.happened",
                             always_fails, max_deliver=3, backoff=(0.1,))
    dlq = await bus.js.subscribe(f"dlq.{consumer.name}", stream=events.DLQ_STREAM)
    task = asyncio.create_task(consumer.run())
    try:
        dead = await dlq.next_msg(timeout=15)
        assert "failed 3 times" in dead.headers["Scanpay-Dead-Reason"]
        assert len(attempts) == 3
    finally:
        await _stop(task)
        await dlq.unsubscribe()
