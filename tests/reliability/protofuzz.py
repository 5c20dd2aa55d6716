"""Hostile protobuf requests built from the message descriptors: every field set to a value chosen to hurt
(zero, negative and int64-extreme amounts, unknown ids, over-long, NUL and SQL-injection strings, timestamps out of
range, unknown enum numbers), random bytes, and fields sent with the wrong wire type."""

from __future__ import annotations

import math
import random
import time

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

F = FieldDescriptor
SQL_INJECTION = ("' OR '1'='1", "'; DROP TABLE trades; --", "\\'; SELECT pg_sleep(10); --", "1; DELETE FROM accounts",
                 "trd_x' UNION SELECT password_hash FROM consumers --")
# NUL is kept apart: PostgreSQL text cannot hold it, and only the gateway's public edge refuses it so far.
NUL_STRINGS = ("\x00", "a\x00b", "trd_\x00")
STRINGS = ("", " ", "x" * 100_000, "trd_01jzzzzzzzzzzzzzzzzzzzzzzz", "mch_unknown", "acc_unknown",
           "-1", "9" * 40, "../../etc/passwd", "%s%n%x", "名字" * 50, "\u202e\u200b", "CNY", "2026-13-45",
           "1970-01-01", "\n\r\t", *SQL_INJECTION)
INT64 = (0, -1, 1, -(2**63), 2**63 - 1, 2**62, -(10**12), 10**15)
INT32 = (0, -1, 1, -(2**31), 2**31 - 1, 65_536)
UINT64 = (0, 1, 2**64 - 1, 2**63)
UINT32 = (0, 1, 2**32 - 1)
FLOATS = (0.0, -0.0, -1.0, 1e308, -1e308, math.inf, -math.inf, math.nan, 91.0, -181.0)
CURRENCIES = ("CNY", "", "USD", "cny", "XXXXXXXXXX", "\x00", "'; --")
# Timestamp seconds around and beyond what google.protobuf.Timestamp allows (0001-01-01 .. 9999-12-31).
SECONDS = (0, -1, -62_135_596_801, 253_402_300_800, 2**62, int(time.time()), int(time.time()) - 86_400 * 400)


def _int_values(field: FieldDescriptor) -> tuple[int, ...]:
    if field.type in (F.TYPE_UINT64, F.TYPE_FIXED64):
        return UINT64
    if field.type in (F.TYPE_UINT32, F.TYPE_FIXED32):
        return UINT32
    if field.type in (F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32):
        return INT32
    return INT64


def _scalar(rng: random.Random, field: FieldDescriptor, nul: bool) -> object:
    t = field.type
    if t == F.TYPE_STRING:
        return rng.choice(NUL_STRINGS if nul and rng.random() < 0.5 else STRINGS)
    if t == F.TYPE_BYTES:
        return rng.randbytes(rng.choice((0, 1, 16, 4096)))
    if t == F.TYPE_BOOL:
        return rng.random() < 0.5
    if t in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        return rng.choice(FLOATS)
    if t == F.TYPE_ENUM:
        known = [v.number for v in field.enum_type.values]
        return rng.choice([*known, 999, -5])
    return rng.choice(_int_values(field))


def _fill(rng: random.Random, msg: Message, depth: int, nul: bool) -> None:
    name = msg.DESCRIPTOR.full_name
    if name == "scanpay.common.v1.Money":
        msg.amount = rng.choice(INT64)  # type: ignore[attr-defined]
        msg.currency = rng.choice(CURRENCIES)  # type: ignore[attr-defined]
        return
    if name == "google.protobuf.Timestamp":
        msg.seconds = rng.choice(SECONDS)  # type: ignore[attr-defined]
        msg.nanos = rng.choice((0, -1, 999_999_999, 10**9))  # type: ignore[attr-defined]
        return
    for field in msg.DESCRIPTOR.fields:
        if rng.random() < 0.3:
            continue
        _set(rng, msg, field, depth, nul)


def _set(rng: random.Random, msg: Message, field: FieldDescriptor, depth: int, nul: bool) -> None:
    target = getattr(msg, field.name)
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        key_field, value_field = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
        for _ in range(rng.randint(0, 2)):
            key = _scalar(rng, key_field, nul)
            if value_field.message_type is not None:
                if depth < 3:
                    _fill(rng, target[key], depth + 1, nul)
            else:
                target[key] = _scalar(rng, value_field, nul)
        return
    repeated = field.is_repeated
    count = rng.choice((0, 1, 3)) if repeated else 1
    for _ in range(count):
        if field.message_type is not None:
            if depth >= 3:
                return
            child = target.add() if repeated else target
            _fill(rng, child, depth + 1, nul)
            if not repeated:
                child.SetInParent()
        elif repeated:
            target.append(_scalar(rng, field, nul))
        else:
            setattr(msg, field.name, _scalar(rng, field, nul))


def hostile(rng: random.Random, descriptor: Descriptor, nul: bool = False) -> bytes:
    msg = GetMessageClass(descriptor)()
    _fill(rng, msg, 0, nul)
    return msg.SerializeToString()


def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def wrong_wire_type(rng: random.Random, descriptor: Descriptor) -> bytes | None:
    """One field of the message sent with a wire type its declared type does not have."""
    if not descriptor.fields:
        return None
    field = rng.choice(descriptor.fields)
    length_delimited = field.type in (F.TYPE_STRING, F.TYPE_BYTES, F.TYPE_MESSAGE) or field.is_repeated
    if length_delimited:
        return _varint(field.number << 3 | 0) + _varint(rng.choice((1, 2**63)))
    payload = rng.randbytes(rng.randint(0, 12))
    return _varint(field.number << 3 | 2) + _varint(len(payload)) + payload


def cases(rng: random.Random, descriptor: Descriptor, generated: int) -> list[tuple[str, str, bytes]]:
    """(family, label, request bytes): family is 'hostile', 'nul' or 'bytes' (random bytes, wrong wire types)."""
    out = [("hostile", "empty message", b"")]
    out += [("hostile", f"hostile fields #{i}", hostile(rng, descriptor)) for i in range(generated)]
    out += [("nul", f"NUL strings #{i}", hostile(rng, descriptor, nul=True)) for i in range(2)]
    out += [("bytes", f"random bytes #{i}", rng.randbytes(rng.randint(1, 64))) for i in range(2)]
    for i in range(2):
        raw = wrong_wire_type(rng, descriptor)
        if raw is not None:
            out.append(("bytes", f"wrong wire type #{i}", raw))
    return out
