"""Conversions between Python values and the protobuf well-known types, shared by every service."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf import timestamp_pb2

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timestamp_fields(value: datetime) -> dict[str, int]:
    """The seconds and nanos of an aware (or UTC-naive) datetime, by integer timedelta arithmetic: exact to
    the microsecond and about 3x cheaper than Timestamp.FromDatetime. As a dict it can initialise a
    Timestamp field in place inside a larger message's constructor."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    since = value - _EPOCH
    return {"seconds": since.days * 86_400 + since.seconds, "nanos": since.microseconds * 1000}


def set_timestamp(field: timestamp_pb2.Timestamp, value: datetime) -> None:
    """Write `value` into a Timestamp field of a message being filled in place (no message built and merged)."""
    fields = timestamp_fields(value)
    field.seconds = fields["seconds"]
    field.nanos = fields["nanos"]


def timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    """A protobuf Timestamp of an aware (or UTC-naive) datetime; None stays None (the field is left unset)."""
    if value is None:
        return None
    return timestamp_pb2.Timestamp(**timestamp_fields(value))
