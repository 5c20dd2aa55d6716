"""kit.proto: the well-known-type conversions every service's responses go through."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf import timestamp_pb2
from hypothesis import given
from hypothesis import strategies as st

from services.kit.proto import timestamp


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)))
def test_timestamp_matches_protobuf_from_datetime(value: datetime) -> None:
    expected = timestamp_pb2.Timestamp()
    expected.FromDatetime(value)
    assert timestamp(value) == expected
    assert timestamp(value.replace(tzinfo=None)) == expected  # naive means UTC


def test_timestamp_of_none_leaves_the_field_unset() -> None:
    assert timestamp(None) is None
