"""Stores over gRPC: create, update, get, batch get, list with filters, and nearby search with opening hours."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
import grpc
import pytest
from google.protobuf import timestamp_pb2

from services.gen.scanpay.events.v1 import envelope_pb2
from services.gen.scanpay.merchant.v1 import events_pb2
from services.gen.scanpay.merchant.v1 import merchant_pb2 as pb
from services.kit.events import unpack
from services.merchant import domain

from .conftest import Client, new_mall, new_merchant, new_partner, outbox_seq, outbox_subjects

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
DENIED = grpc.StatusCode.PERMISSION_DENIED
SHANGHAI = ZoneInfo("Asia/Shanghai")
# A point in the Indian Ocean far from everything else these tests create, one per test that searches.
_origins = iter([(-30.0 - i, 80.0) for i in range(20)])


def at(local: str) -> timestamp_pb2.Timestamp:
    """A Timestamp for an Asia/Shanghai wall-clock time like '2026-03-02 09:30' (a Monday)."""
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(datetime.fromisoformat(local).replace(tzinfo=SHANGHAI))
    return out


def weekdays(open_minute: int, close_minute: int) -> pb.OpeningHours:
    return pb.OpeningHours(
        periods=[
            pb.OpeningPeriod(day=d, open_minute=open_minute, close_minute=close_minute) for d in range(1, 6)
        ]
    )


async def new_store(
    client: Client,
    merchant_id: str,
    lat: float = 31.2304,
    lng: float = 121.4737,
    *,
    actor: str = "admin",
    **kw,
) -> pb.Store:
    return await client.CreateStore(
        pb.CreateStoreRequest(
            merchant_id=merchant_id,
            name="Noodle House Jing'an",
            city=kw.pop("city", "Shanghai"),
            address="1 Nanjing West Rd",
            lat=lat,
            lng=lng,
            **kw,
        ),
        actor=actor,
    )


async def test_create_get_update_store_with_events(client: Client, db: asyncpg.Pool) -> None:
    mall = await new_mall(client)
    merchant = await new_merchant(client)
    since = await outbox_seq(db)
    store = await new_store(
        client, merchant.merchant_id, mall_id=mall.mall_id, opening_hours=weekdays(600, 1320)
    )
    assert (
        store.store_id.startswith("sto_")
        and store.status == pb.STORE_STATUS_ACTIVE
        and store.mall_id == mall.mall_id
    )
    assert len(store.opening_hours.periods) == 5
    assert await client.GetStore(pb.GetStoreRequest(store_id=store.store_id), actor="consumer:c9") == store
    updated = await client.UpdateStore(
        pb.UpdateStoreRequest(
            store_id=store.store_id,
            name="Renamed",
            lat=31.0,
            lng=121.0,
            mall_id="",
            status=pb.STORE_STATUS_INACTIVE,
            opening_hours=pb.OpeningHours(),
        )
    )
    assert (updated.name, updated.lat, updated.lng, updated.mall_id, updated.status) == (
        "Renamed",
        31.0,
        121.0,
        "",
        pb.STORE_STATUS_INACTIVE,
    )
    assert updated.address == store.address and len(updated.opening_hours.periods) == 0
    rows = await db.fetch("SELECT subject, payload FROM outbox WHERE seq > $1 ORDER BY seq", since)
    assert [r["subject"] for r in rows] == ["merchant.store.created", "merchant.store.updated"]
    event = unpack(envelope_pb2.Envelope.FromString(rows[1]["payload"]), events_pb2.StoreUpdated)
    assert event.store == updated


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lat": 90.5}, "lat"),
        ({"lat": -91.0}, "lat"),
        ({"lat": float("nan")}, "lat"),
        ({"lng": 180.01}, "lng"),
        ({"lng": -181.0}, "lng"),
        ({"name": ""}, "name"),
        ({"name": "n" * 101}, "name"),
        ({"city": ""}, "city"),
        ({"address": "a" * 301}, "address"),
        (
            {
                "opening_hours": pb.OpeningHours(
                    periods=[pb.OpeningPeriod(day=0, open_minute=0, close_minute=60)]
                )
            },
            "opening_hours.periods[0].day",
        ),
        (
            {
                "opening_hours": pb.OpeningHours(
                    periods=[pb.OpeningPeriod(day=1, open_minute=1440, close_minute=60)]
                )
            },
            "opening_hours.periods[0].open_minute",
        ),
        (
            {
                "opening_hours": pb.OpeningHours(
                    periods=[pb.OpeningPeriod(day=1, open_minute=0, close_minute=0)]
                )
            },
            "opening_hours.periods[0].close_minute",
        ),
    ],
)
async def test_store_bad_input(client: Client, refused, changes: dict, field: str) -> None:
    merchant = await new_merchant(client)
    request = {
        "merchant_id": merchant.merchant_id,
        "name": "S",
        "city": "Shanghai",
        "lat": 31.0,
        "lng": 121.0,
        **changes,
    }
    await refused(client.CreateStore(pb.CreateStoreRequest(**request)), INVALID, field)
    store = await new_store(client, merchant.merchant_id)
    await refused(
        client.UpdateStore(pb.UpdateStoreRequest(store_id=store.store_id, **changes)), INVALID, field
    )


async def test_store_unknown_ids_closed_merchant_and_authorisation(client: Client, refused) -> None:
    partner, other = await new_partner(client), await new_partner(client)
    merchant = await new_merchant(client, partner_id=partner.partner_id)
    owner = f"partner:{partner.partner_id}"
    store = await new_store(client, merchant.merchant_id, actor=owner)
    assert (
        await client.UpdateStore(pb.UpdateStoreRequest(store_id=store.store_id, city="Suzhou"), actor=owner)
    ).city == "Suzhou"
    for who in (
        f"partner:{other.partner_id}",
        f"merchant:{merchant.merchant_id}",
        "consumer:c1",
        "service:gateway",
    ):
        await refused(new_store(client, merchant.merchant_id, actor=who), DENIED)
        await refused(
            client.UpdateStore(pb.UpdateStoreRequest(store_id=store.store_id, name="x"), actor=who), DENIED
        )
    await refused(new_store(client, "mch_nope"), NOT_FOUND, "merchant_id")
    await refused(new_store(client, merchant.merchant_id, mall_id="mal_nope"), NOT_FOUND, "mall_id")
    await refused(
        client.UpdateStore(pb.UpdateStoreRequest(store_id=store.store_id, mall_id="mal_nope")),
        NOT_FOUND,
        "mall_id",
    )
    await refused(
        client.UpdateStore(pb.UpdateStoreRequest(store_id="sto_nope", name="x")), NOT_FOUND, "store_id"
    )
    await refused(client.GetStore(pb.GetStoreRequest(store_id="sto_nope")), NOT_FOUND, "store_id")
    await client.ChangeMerchantStatus(
        pb.ChangeMerchantStatusRequest(
            merchant_id=merchant.merchant_id, to_status=pb.MERCHANT_STATUS_CLOSED, reason="gone"
        )
    )
    await refused(new_store(client, merchant.merchant_id), grpc.StatusCode.FAILED_PRECONDITION, "merchant_id")
    await refused(
        client.UpdateStore(pb.UpdateStoreRequest(store_id=store.store_id, name="x")),
        grpc.StatusCode.FAILED_PRECONDITION,
        "store_id",
    )


async def test_batch_get_stores_in_request_order(client: Client, refused) -> None:
    merchant = await new_merchant(client)
    a, b = await new_store(client, merchant.merchant_id), await new_store(client, merchant.merchant_id)
    reply = await client.BatchGetStores(
        pb.BatchGetStoresRequest(store_ids=[b.store_id, "sto_nope", a.store_id, b.store_id]),
        actor="service:settlement",
    )
    assert [s.store_id for s in reply.stores] == [b.store_id, a.store_id]
    assert list(reply.missing_store_ids) == ["sto_nope"]
    await refused(
        client.BatchGetStores(pb.BatchGetStoresRequest(store_ids=["sto_x"] * 501)), INVALID, "store_ids"
    )


async def test_list_stores_filters(client: Client, refused) -> None:
    partner = await new_partner(client)
    mall = await new_mall(client)
    food = await new_merchant(client, partner_id=partner.partner_id, mcc="5814")
    grocery = await new_merchant(client, partner_id=partner.partner_id, mcc="5411")
    s1 = await new_store(client, food.merchant_id, mall_id=mall.mall_id, city="Chengdu-List")
    s2 = await new_store(client, grocery.merchant_id, mall_id=mall.mall_id, city="Chengdu-List")
    s3 = await new_store(client, grocery.merchant_id, city="Wuhan-List")
    await client.UpdateStore(pb.UpdateStoreRequest(store_id=s3.store_id, status=pb.STORE_STATUS_INACTIVE))

    async def ids(**filters) -> list[str]:
        reply = await client.ListStores(pb.ListStoresRequest(**filters), actor="consumer:c2")
        return [s.store_id for s in reply.stores]

    assert await ids(partner_id=partner.partner_id) == [s1.store_id, s2.store_id, s3.store_id]
    assert await ids(mall_id=mall.mall_id) == [s1.store_id, s2.store_id]
    assert await ids(city="Chengdu-List") == [s1.store_id, s2.store_id]
    assert await ids(partner_id=partner.partner_id, mcc="5411") == [s2.store_id, s3.store_id]
    assert await ids(merchant_id=grocery.merchant_id, status=pb.STORE_STATUS_INACTIVE) == [s3.store_id]
    first = await client.ListStores(
        pb.ListStoresRequest(partner_id=partner.partner_id, page={"page_size": 2})
    )
    rest = await client.ListStores(
        pb.ListStoresRequest(
            partner_id=partner.partner_id, page={"page_size": 2, "page_token": first.page.next_page_token}
        )
    )
    assert [s.store_id for s in [*first.stores, *rest.stores]] == [s1.store_id, s2.store_id, s3.store_id]
    assert not rest.page.next_page_token
    await refused(client.ListStores(pb.ListStoresRequest(mcc="x")), INVALID, "mcc")


async def test_search_nearby_sorted_filtered_and_exact(client: Client) -> None:
    lat0, lng0 = next(_origins)
    active = await new_merchant(client, active=True, mcc="5812")
    grocer = await new_merchant(client, active=True, mcc="5411")
    pending = await new_merchant(client)
    suspended = await new_merchant(client, active=True)
    # Due north at 100 m, 300 m, 900 m, 2.5 km; and one just outside a 1 km radius in the box's corner.
    north = lambda metres: lat0 + metres / domain.EARTH_RADIUS_M * 57.29577951308232
    near = await new_store(client, active.merchant_id, north(100), lng0)
    mid = await new_store(client, grocer.merchant_id, north(300), lng0)
    far = await new_store(client, active.merchant_id, north(900), lng0)
    await new_store(client, active.merchant_id, north(2500), lng0)
    await new_store(
        client, active.merchant_id, north(720), lng0 + 0.0082
    )  # ~1.08 km, inside the bounding box
    await new_store(client, pending.merchant_id, north(50), lng0)
    await new_store(client, suspended.merchant_id, north(60), lng0)
    hidden = await new_store(client, active.merchant_id, north(70), lng0)
    await client.UpdateStore(pb.UpdateStoreRequest(store_id=hidden.store_id, status=pb.STORE_STATUS_INACTIVE))
    await client.ChangeMerchantStatus(
        pb.ChangeMerchantStatusRequest(
            merchant_id=suspended.merchant_id, to_status=pb.MERCHANT_STATUS_SUSPENDED, reason="risk"
        )
    )

    reply = await client.SearchNearby(
        pb.SearchNearbyRequest(lat=lat0, lng=lng0, radius_m=1000), actor="consumer:c3"
    )
    assert [r.store.store_id for r in reply.results] == [near.store_id, mid.store_id, far.store_id]
    for result, metres in zip(reply.results, (100, 300, 900)):
        assert result.distance_m == pytest.approx(metres, abs=0.5)
        assert result.distance_m == pytest.approx(
            domain.haversine_m(lat0, lng0, result.store.lat, result.store.lng), abs=1e-3
        )
    assert reply.results[0].merchant_display_name == "Noodle House" and reply.results[0].mcc == "5812"
    only_grocery = await client.SearchNearby(
        pb.SearchNearbyRequest(lat=lat0, lng=lng0, radius_m=1000, mcc="5411")
    )
    assert [r.store.store_id for r in only_grocery.results] == [mid.store_id]
    nearest = await client.SearchNearby(pb.SearchNearbyRequest(lat=lat0, lng=lng0, radius_m=50000, limit=2))
    assert [r.store.store_id for r in nearest.results] == [near.store_id, mid.store_id]


async def test_search_nearby_shows_the_store_as_get_store_does(client: Client) -> None:
    """A result carries the whole store, as GetStore shows it: mall, schedule, status, both timestamps, the
    exact coordinates (read from the search index, not the table) and the merchant's current name."""
    lat0, lng0 = next(_origins)
    mall = await new_mall(client)
    merchant = await new_merchant(client, active=True, mcc="5411")
    every_day = [pb.OpeningPeriod(day=d, open_minute=0, close_minute=1440) for d in range(1, 8)]
    in_mall = await new_store(
        client,
        merchant.merchant_id,
        lat0 + 0.00123456789,
        lng0 - 0.00098765432,
        mall_id=mall.mall_id,
        opening_hours=pb.OpeningHours(periods=every_day),
    )
    street = await new_store(client, merchant.merchant_id, lat0 - 0.002, lng0)
    await client.UpdateStore(pb.UpdateStoreRequest(store_id=street.store_id, name="Renamed"))
    await client.UpdateMerchant(
        pb.UpdateMerchantRequest(merchant_id=merchant.merchant_id, display_name="Corner Shop")
    )

    reply = await client.SearchNearby(pb.SearchNearbyRequest(lat=lat0, lng=lng0, radius_m=1000))
    assert [r.store.store_id for r in reply.results] == [in_mall.store_id, street.store_id]
    for result in reply.results:
        shown = await client.GetStore(pb.GetStoreRequest(store_id=result.store.store_id))
        assert result.store == shown
        assert (result.merchant_display_name, result.mcc) == ("Corner Shop", "5411")
    assert len(reply.results[0].store.opening_hours.periods) == 7
    assert reply.results[1].store.name == "Renamed" and not reply.results[1].store.mall_id


async def test_search_nearby_open_now_in_shanghai_time(client: Client) -> None:
    lat0, lng0 = next(_origins)
    merchant = await new_merchant(client, active=True)
    day_shop = await new_store(
        client, merchant.merchant_id, lat0, lng0 + 0.001, opening_hours=weekdays(540, 1260)
    )
    night_bar = await new_store(
        client,
        merchant.merchant_id,
        lat0,
        lng0 + 0.002,
        opening_hours=pb.OpeningHours(periods=[pb.OpeningPeriod(day=7, open_minute=1200, close_minute=180)]),
    )
    always = await new_store(client, merchant.merchant_id, lat0, lng0 + 0.003)

    async def open_at(local: str) -> list[str]:
        reply = await client.SearchNearby(
            pb.SearchNearbyRequest(lat=lat0, lng=lng0, radius_m=2000, at=at(local))
        )
        return [r.store.store_id for r in reply.results]

    assert await open_at("2026-03-02 09:00") == [day_shop.store_id, always.store_id]  # Monday opening minute
    assert await open_at("2026-03-02 20:59") == [day_shop.store_id, always.store_id]
    assert await open_at("2026-03-02 21:00") == [always.store_id]  # closing minute is shut
    assert await open_at("2026-03-08 23:00") == [night_bar.store_id, always.store_id]  # Sunday night
    assert await open_at("2026-03-09 02:59") == [night_bar.store_id, always.store_id]  # past midnight, Monday
    assert await open_at("2026-03-09 03:00") == [always.store_id]
    assert await open_at("2026-03-07 12:00") == [always.store_id]  # Saturday


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lat": 91.0}, "lat"),
        ({"lng": -180.5}, "lng"),
        ({"radius_m": 0}, "radius_m"),
        ({"radius_m": 50001}, "radius_m"),
        ({"limit": 101}, "limit"),
        ({"limit": -1}, "limit"),
        ({"mcc": "abcd"}, "mcc"),
    ],
)
async def test_search_nearby_bad_input(client: Client, refused, changes: dict, field: str) -> None:
    request = {"lat": 31.0, "lng": 121.0, "radius_m": 1000, **changes}
    await refused(client.SearchNearby(pb.SearchNearbyRequest(**request)), INVALID, field)


async def test_search_nearby_exact_order_where_degrees_mislead(client: Client) -> None:
    """At 66 degrees south a degree of longitude is 0.41 of a degree of latitude, so the index's planar KNN
    order is far from the true order: the results must still be the exact nearest stores, in order."""
    lat0, lng0 = -66.0, 100.0
    rng = random.Random(66)
    merchant = await new_merchant(client, active=True)
    created = []
    for i in range(40):
        dlat, dlng = (rng.uniform(-0.012, 0.012), 0.0) if i % 2 else (0.0, rng.uniform(-0.03, 0.03))
        created.append(await new_store(client, merchant.merchant_id, lat0 + dlat, lng0 + dlng))
    by_distance = sorted(created, key=lambda s: (domain.haversine_m(lat0, lng0, s.lat, s.lng), s.store_id))
    for limit, radius in ((5, 3000), (12, 3000), (40, 800)):
        reply = await client.SearchNearby(
            pb.SearchNearbyRequest(lat=lat0, lng=lng0, radius_m=radius, limit=limit)
        )
        within = [s for s in by_distance if domain.haversine_m(lat0, lng0, s.lat, s.lng) <= radius]
        assert [r.store.store_id for r in reply.results] == [s.store_id for s in within[:limit]]


async def test_search_nearby_near_the_antimeridian_and_pole(client: Client) -> None:
    merchant = await new_merchant(client, active=True)
    east = await new_store(client, merchant.merchant_id, -16.5, 179.999)
    reply = await client.SearchNearby(pb.SearchNearbyRequest(lat=-16.5, lng=-179.999, radius_m=1000))
    assert [r.store.store_id for r in reply.results] == [east.store_id]
    assert reply.results[0].distance_m == pytest.approx(
        domain.haversine_m(-16.5, -179.999, -16.5, 179.999), abs=1e-3
    )
    pole = await new_store(client, merchant.merchant_id, 89.9999, 10.0)
    reply = await client.SearchNearby(pb.SearchNearbyRequest(lat=89.9999, lng=-170.0, radius_m=100))
    assert [r.store.store_id for r in reply.results] == [pole.store_id]


async def test_reads_write_no_events(client: Client, db: asyncpg.Pool) -> None:
    """Reads write nothing, not even events."""
    since = await outbox_seq(db)
    await client.SearchNearby(pb.SearchNearbyRequest(lat=31.0, lng=121.0, radius_m=1000))
    await client.ListStores(pb.ListStoresRequest())
    assert await outbox_subjects(db, since) == []


async def test_search_follows_merchant_changes_made_after_the_store(client: Client) -> None:
    lat0, lng0 = next(_origins)
    merchant = await new_merchant(client, mcc="5812")
    store = await new_store(client, merchant.merchant_id, lat0, lng0)

    async def found(mcc: str = "") -> bool:
        reply = await client.SearchNearby(pb.SearchNearbyRequest(lat=lat0, lng=lng0, radius_m=100, mcc=mcc))
        return [r.store.store_id for r in reply.results] == [store.store_id]

    assert not await found()  # merchant still PENDING
    await client.ChangeMerchantStatus(
        pb.ChangeMerchantStatusRequest(
            merchant_id=merchant.merchant_id, to_status=pb.MERCHANT_STATUS_ACTIVE, reason="kyc"
        )
    )
    assert await found() and await found("5812") and not await found("5411")
    await client.UpdateMerchant(pb.UpdateMerchantRequest(merchant_id=merchant.merchant_id, mcc="5411"))
    assert await found("5411") and not await found("5812")
    reply = await client.SearchNearby(pb.SearchNearbyRequest(lat=lat0, lng=lng0, radius_m=100))
    assert reply.results[0].mcc == "5411"
