"""Pure rules of onboarding, admin and discovery: admin tokens, opening hours, targeting, query validation."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from multidict import MultiDict

from services.gateway.admin import AdminTokens
from services.gateway.rest.discovery import NEARBY_QUERY, QueryValidator, applies, open_at
from services.gen.scanpay.merchant.v1 import merchant_pb2 as mp
from services.gen.scanpay.promotions.v1 import promotions_pb2 as pp
from services.kit.config import ConfigError
from services.kit.errors import InvalidArgument


def test_admin_tokens_plain_hashed_and_bare() -> None:
    digest = hashlib.sha256(b"bob-secret").hexdigest()
    tokens = AdminTokens.parse(f"alice:alice-secret, bob:sha256:{digest},legacy-token")
    assert tokens.operator("alice-secret") == "alice"
    assert tokens.operator("bob-secret") == "bob"
    assert tokens.operator("legacy-token") == "admin"
    assert tokens.operator("") is None and tokens.operator("alice") is None
    assert all(len(d) == 32 for _, d in tokens.entries)


@pytest.mark.parametrize("raw", ["", " , ", "bad name:token", "alice:"])
def test_admin_tokens_refuse_bad_configuration(raw: str) -> None:
    with pytest.raises(ConfigError):
        AdminTokens.parse(raw)


def hours(*periods: tuple[int, int, int]) -> mp.OpeningHours:
    return mp.OpeningHours(periods=[mp.OpeningPeriod(day=d, open_minute=o, close_minute=c) for d, o, c in periods])


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    """January 2024 in Shanghai, as a UTC instant (2024-01-01 was a Monday)."""
    return datetime(2024, 1, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


def test_opening_hours_in_shanghai_time_including_past_midnight() -> None:
    assert open_at(mp.OpeningHours(), shanghai(3, 4))
    lunch = hours((mp.WEEKDAY_MONDAY, 11 * 60, 14 * 60))
    assert open_at(lunch, shanghai(1, 12))
    assert not open_at(lunch, shanghai(1, 14)) and not open_at(lunch, shanghai(2, 12))
    # Sunday 18:00 - 02:00 runs into Monday.
    late = hours((mp.WEEKDAY_SUNDAY, 18 * 60, 2 * 60))
    assert open_at(late, shanghai(7, 23)) and open_at(late, shanghai(8, 1, 59)) and not open_at(late, shanghai(8, 2))


def test_targeting_matches_the_promotions_rule() -> None:
    mall = pp.Targeting(kind=pp.TARGET_KIND_MALL, mall_id="mal_1")
    assert applies(mall, "mch_1", "mal_1", "5812") and not applies(mall, "mch_1", "", "5812")
    named = pp.Targeting(kind=pp.TARGET_KIND_MERCHANTS, merchant_ids=["mch_1"])
    assert applies(named, "mch_1", "", "") and not applies(named, "mch_2", "mal_1", "5812")
    mcc = pp.Targeting(kind=pp.TARGET_KIND_MCC, mccs=["5812"])
    assert applies(mcc, "mch_9", "", "5812") and not applies(mcc, "mch_9", "", "5411")
    assert applies(pp.Targeting(kind=pp.TARGET_KIND_EVERYONE), "mch_9", "", "")


def test_nearby_query_is_typed_defaulted_and_bounded() -> None:
    check = QueryValidator(NEARBY_QUERY)
    args = check.parse(MultiDict(lat="31.23", lng="121.47"))
    assert args == {"lat": 31.23, "lng": 121.47, "radius": 1000, "limit": 20}
    for bad, field in [({"lat": "31", "lng": "200"}, "lng"), ({"lat": "31", "lng": "1", "radius": "1.5"}, "radius"),
                       ({"lat": "inf", "lng": "1"}, "lat"), ({"lng": "1"}, "lat"),
                       ({"lat": "1", "lng": "1", "limit": "51"}, "limit")]:
        with pytest.raises(InvalidArgument) as err:
            check.parse(MultiDict(bad))
        assert err.value.field == field, bad
