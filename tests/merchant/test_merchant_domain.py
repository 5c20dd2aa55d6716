"""Pure rules: opening hours, the bounding box, fee categories, page tokens, bank-account tokens."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.kit.errors import InvalidArgument
from services.merchant import domain

periods = st.lists(
    st.builds(domain.OpeningPeriod, st.integers(1, 7), st.integers(0, 1439), st.integers(1, 1440)), max_size=6
)


def open_by_rule(schedule: list[domain.OpeningPeriod], minute: int) -> bool:
    """The schedule read literally: open on `day` from open_minute for (close - open) mod a day minutes."""
    if not schedule:
        return True
    for p in schedule:
        start = (p.day - 1) * 1440 + p.open_minute
        length = (p.close_minute - p.open_minute) % 1440 or 1440
        if (minute - start) % domain.MINUTES_PER_WEEK < length:
            return True
    return False


@settings(max_examples=300, deadline=None)
@given(periods, st.integers(0, domain.MINUTES_PER_WEEK - 1))
def test_week_ranges_match_the_schedule(schedule: list[domain.OpeningPeriod], minute: int) -> None:
    ranges = domain.week_ranges(schedule)
    assert all(0 <= a < b <= domain.MINUTES_PER_WEEK for a, b in ranges)
    assert any(a <= minute < b for a, b in ranges) == open_by_rule(schedule, minute)


def test_minute_of_week_uses_shanghai_time() -> None:
    monday_0130_local = datetime.fromisoformat("2026-03-01T17:30:00+00:00")  # Sunday 17:30 UTC
    assert domain.minute_of_week(monday_0130_local) == 90
    assert domain.is_open([domain.OpeningPeriod(7, 1200, 120)], monday_0130_local)
    assert not domain.is_open([domain.OpeningPeriod(7, 1200, 120)], monday_0130_local + timedelta(minutes=30))


@settings(max_examples=300, deadline=None)
@given(
    st.floats(-89.9, 89.9),
    st.floats(-180, 180),
    st.integers(1, domain.MAX_RADIUS_M),
    st.floats(0, 1),
    st.floats(0, 2 * math.pi),
)
def test_bounding_box_contains_every_point_within_the_radius(
    lat: float, lng: float, radius: int, frac: float, bearing: float
) -> None:
    # A point at distance frac * radius along `bearing` (spherical destination formula).
    d = frac * radius / domain.EARTH_RADIUS_M
    p1, l1 = math.radians(lat), math.radians(lng)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(bearing))
    l2 = l1 + math.atan2(
        math.sin(bearing) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    plat, plng = math.degrees(p2), (math.degrees(l2) + 540) % 360 - 180
    assert domain.haversine_m(lat, lng, plat, plng) == pytest.approx(frac * radius, abs=1e-3)
    box = domain.bounding_box(lat, lng, radius)
    assert box.min_lat - 1e-9 <= plat <= box.max_lat + 1e-9
    assert box.min_lng - 1e-9 <= plng <= box.max_lng + 1e-9


@pytest.mark.parametrize(
    ("mcc", "category", "bps"),
    [
        ("5812", "catering_entertainment", 125),
        ("7995", "catering_entertainment", 125),
        ("5411", "essential", 38),
        ("8062", "essential", 38),
        ("8398", "public_welfare", 0),
        ("5999", "general", 60),
        ("0742", "general", 60),
    ],
)
def test_default_fee_by_category(mcc: str, category: str, bps: int) -> None:
    assert (domain.fee_category(mcc).name, domain.fee_category(mcc).default_fee_bps) == (category, bps)


@given(st.text(min_size=1, max_size=60))
def test_page_token_round_trip(last_id: str) -> None:
    assert domain.decode_page_token(domain.encode_page_token(last_id)) == last_id


def test_bank_account_token_is_keyed_and_never_the_number() -> None:
    a = domain.bank_account("6222-0212 3456 7890", "Holder", "ICBC", b"key-1")
    assert (a.last4, len(a.token)) == ("7890", 64) and "622202123456" not in a.token
    assert a.token == domain.bank_account("6222021234567890", "Holder", "ICBC", b"key-1").token
    assert a.token != domain.bank_account("6222021234567890", "Holder", "ICBC", b"key-2").token
    with pytest.raises(InvalidArgument) as raised:
        domain.bank_account("6222 0212 3456 789X", "Holder", "ICBC", b"key-1")
    assert "6222" not in raised.value.message and raised.value.field == "settlement_account.account_number"
