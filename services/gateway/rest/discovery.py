"""Store discovery for the consumer app: stores nearby, the stores of a mall, the campaigns running now.

Answers are built from merchant (SearchNearby, ListStores, GetMall, GetMerchant) and promotions
(ListActiveCampaigns, ListCoupons) and kept a few seconds per process. Any `merchant.*` event (merchant, store,
credential) or `promotions.campaign.*` event drops the affected caches at once, through a plain core-NATS
subscription: a missed event only means an answer up to the TTL old, so no inbox is needed.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiohttp import web
from jsonschema import Draft202012Validator
from nats.aio.msg import Msg

from ...gen.scanpay.common.v1 import common_pb2
from ...gen.scanpay.merchant.v1 import merchant_pb2
from ...gen.scanpay.promotions.v1 import promotions_pb2
from ...kit.errors import InvalidArgument, NotFound, Unauthenticated
from ...kit.logging import get_logger
from ...kit.service import Runtime
from .. import store
from ..clients import SERVICE_ACTOR, TtlCache
from ..partner_onboarding import downstream
from ..saga import Payments
from .guards import Principal

if TYPE_CHECKING:
    from .app import RestApi

log = get_logger("gateway.discovery")
CACHE_SECONDS = 5.0
MAX_RADIUS_M = 10_000
DEFAULT_RADIUS_M = 1_000
MAX_RESULTS = 50
CAMPAIGN_PAGES = 10
INVALIDATING_SUBJECTS = ("merchant.>", "promotions.campaign.>")
LOCAL_TIME = ZoneInfo("Asia/Shanghai")
MINUTES_PER_DAY, MINUTES_PER_WEEK = 1440, 7 * 1440
MCC = {"type": "string", "pattern": "^[0-9]{4}$", "description": "four-digit merchant category code (ISO 18245)"}
ID = {"type": "string", "pattern": "^[a-z]{3}_[0-9a-z]{26}$"}
_ID = re.compile(ID["pattern"])

NEARBY_QUERY: dict[str, tuple[dict[str, Any], bool]] = {
    "lat": ({"type": "number", "minimum": -90, "maximum": 90}, True),
    "lng": ({"type": "number", "minimum": -180, "maximum": 180}, True),
    "radius": ({"type": "integer", "minimum": 1, "maximum": MAX_RADIUS_M, "default": DEFAULT_RADIUS_M,
                "description": "metres"}, False),
    "category": (MCC, False),
    "limit": ({"type": "integer", "minimum": 1, "maximum": MAX_RESULTS, "default": 20}, False),
}
CAMPAIGN_QUERY: dict[str, tuple[dict[str, Any], bool]] = {
    "mall_id": (ID, False), "merchant_id": (ID, False), "category": (MCC, False),
}


# --- query strings -------------------------------------------------------------------------------------


def openapi_params(spec: dict[str, tuple[dict[str, Any], bool]]) -> list[dict[str, Any]]:
    return [{"name": n, "in": "query", "required": req, "schema": schema} for n, (schema, req) in spec.items()]


class QueryValidator:
    """Checks a query string against the same schemas the OpenAPI document shows."""

    def __init__(self, spec: dict[str, tuple[dict[str, Any], bool]]) -> None:
        self.spec = spec
        self.validator = Draft202012Validator({
            "type": "object", "properties": {n: s for n, (s, _) in spec.items()},
            "required": [n for n, (_, req) in spec.items() if req]})

    def parse(self, query: Any) -> dict[str, Any]:
        unknown = sorted(set(query) - set(self.spec))
        if unknown:
            raise InvalidArgument(f"{unknown[0]}: unknown query parameter", field=unknown[0])
        values = {name: _typed(name, query[name], schema) for name, (schema, _) in self.spec.items() if name in query}
        error = next(iter(sorted(self.validator.iter_errors(values), key=lambda e: list(e.path))), None)
        if error is not None:
            field = ".".join(str(p) for p in error.absolute_path) or _missing(error, values)
            raise InvalidArgument(f"{field}: {error.message}", field=field)
        return {**{n: s["default"] for n, (s, _) in self.spec.items() if "default" in s}, **values}


def _typed(name: str, raw: str, schema: dict[str, Any]) -> Any:
    kind = schema["type"]
    try:
        if kind == "integer":
            return int(raw, 10)
        if kind == "number":
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError(raw)
            return value
    except ValueError:
        raise InvalidArgument(f"{name}: must be a{'n integer' if kind == 'integer' else ' number'}",
                              field=name) from None
    return raw


def _missing(error: Any, values: dict[str, Any]) -> str:
    if error.validator == "required":
        return next((f for f in error.validator_value if f not in values), "query")
    return "query"


# --- pure rules ----------------------------------------------------------------------------------------


def minute_of_week(at: datetime) -> int:
    local = at.astimezone(LOCAL_TIME)
    return (local.isoweekday() - 1) * MINUTES_PER_DAY + local.hour * 60 + local.minute


def open_at(hours: merchant_pb2.OpeningHours, at: datetime) -> bool:
    """Same rule as the merchant service: no periods = always open; close <= open runs past midnight."""
    if not hours.periods:
        return True
    minute = minute_of_week(at)
    for p in hours.periods:
        start = (p.day - 1) * MINUTES_PER_DAY + p.open_minute
        length = p.close_minute - p.open_minute
        if length <= 0:
            length += MINUTES_PER_DAY
        if (minute - start) % MINUTES_PER_WEEK < length:
            return True
    return False


def applies(targeting: promotions_pb2.Targeting, merchant_id: str, mall_id: str, mcc: str) -> bool:
    """Whether coupons with this targeting can be spent at a place (the promotions rule)."""
    kind = targeting.kind
    if kind in (promotions_pb2.TARGET_KIND_EVERYONE, promotions_pb2.TARGET_KIND_UNSPECIFIED):
        return True
    if kind == promotions_pb2.TARGET_KIND_MALL:
        return bool(mall_id) and mall_id == targeting.mall_id
    if kind == promotions_pb2.TARGET_KIND_MERCHANTS:
        return bool(merchant_id) and merchant_id in targeting.merchant_ids
    return bool(mcc) and mcc in targeting.mccs


def has_envelopes(c: promotions_pb2.Campaign) -> bool:
    return c.status == promotions_pb2.CAMPAIGN_STATUS_ACTIVE and c.issued_count < c.count


def _iso(ts: Any) -> str | None:
    return ts.ToDatetime(UTC).isoformat().replace("+00:00", "Z") if ts.seconds else None


def envelope_json(c: promotions_pb2.Campaign) -> dict[str, Any]:
    return {"campaign_id": c.id, "name": c.name, "min_amount": c.min_amount.amount, "max_amount": c.max_amount.amount,
            "remaining": c.count - c.issued_count, "min_spend": c.min_spend.amount,
            "discount_kind": promotions_pb2.DiscountKind.Name(c.discount_kind).removeprefix("DISCOUNT_KIND_"),
            "percent_off": c.percent_off or None, "ends_at": _iso(c.ends_at)}


def coupon_json(c: promotions_pb2.Coupon) -> dict[str, Any]:
    return {"coupon_id": c.id, "campaign_id": c.campaign_id, "campaign_name": c.campaign_name,
            "value": c.value.amount, "min_spend": c.min_spend.amount, "expires_at": _iso(c.expires_at)}


def mall_json(m: merchant_pb2.Mall | None) -> dict[str, Any] | None:
    return None if m is None else {"mall_id": m.mall_id, "name": m.name, "city": m.city}


def store_json(s: merchant_pb2.Store, merchant_name: str, mcc: str, mall: merchant_pb2.Mall | None,
               now: datetime) -> dict[str, Any]:
    return {"store_id": s.store_id, "name": s.name, "address": s.address, "city": s.city, "lat": s.lat,
            "lng": s.lng, "merchant_id": s.merchant_id, "merchant_name": merchant_name, "category": mcc,
            "mall": mall_json(mall), "open_now": open_at(s.opening_hours, now)}


# --- the service ---------------------------------------------------------------------------------------


class Discovery:
    """Cached directory and campaign reads for the discovery routes, dropped on merchant / campaign events."""

    def __init__(self, payments: Payments, ttl: float = CACHE_SECONDS) -> None:
        self.merchants = payments.directory.stub
        self.promotions = payments.promotions
        self.nearby_cache: TtlCache[tuple[Any, ...], list[merchant_pb2.NearbyStore]] = TtlCache(ttl)
        self.malls: TtlCache[str, merchant_pb2.Mall] = TtlCache(ttl)
        self.merchant_cache: TtlCache[str, merchant_pb2.Merchant] = TtlCache(ttl)
        self.mall_stores: TtlCache[str, list[merchant_pb2.Store]] = TtlCache(ttl)
        self.campaigns: TtlCache[str, list[promotions_pb2.Campaign]] = TtlCache(ttl)

    def directory_changed(self) -> None:
        for cache in (self.nearby_cache, self.malls, self.merchant_cache, self.mall_stores):
            cache.items.clear()

    def campaigns_changed(self) -> None:
        self.campaigns.items.clear()

    async def on_event(self, msg: Msg) -> None:
        if msg.subject.startswith("merchant."):
            self.directory_changed()
        else:
            self.campaigns_changed()

    async def listen(self, runtime: Runtime) -> None:
        await runtime.bus.connected.wait()
        assert runtime.bus.nc is not None
        subs = [await runtime.bus.nc.subscribe(subject, cb=self.on_event) for subject in INVALIDATING_SUBJECTS]
        try:
            await asyncio.Event().wait()
        finally:
            for sub in subs:
                await sub.unsubscribe()

    async def _cached(self, cache: TtlCache[Any, Any], key: Any, load: Callable[[], Awaitable[Any]]) -> Any:
        hit = cache.get(key)
        if hit is None:
            hit = await load()
            cache.put(key, hit)
        return hit

    async def nearby(self, lat: float, lng: float, radius: int, mcc: str, limit: int) -> list[merchant_pb2.NearbyStore]:
        async def load() -> list[merchant_pb2.NearbyStore]:
            reply = await downstream("merchant", self.merchants.SearchNearby(merchant_pb2.SearchNearbyRequest(
                lat=lat, lng=lng, radius_m=radius, mcc=mcc, limit=limit), metadata=SERVICE_ACTOR))
            return list(reply.results)

        return await self._cached(self.nearby_cache, (lat, lng, radius, mcc, limit), load)

    async def mall(self, mall_id: str) -> merchant_pb2.Mall:
        return await self._cached(self.malls, mall_id, lambda: downstream("merchant", self.merchants.GetMall(
            merchant_pb2.GetMallRequest(mall_id=mall_id), metadata=SERVICE_ACTOR)))

    async def merchant(self, merchant_id: str) -> merchant_pb2.Merchant:
        return await self._cached(self.merchant_cache, merchant_id, lambda: downstream(
            "merchant", self.merchants.GetMerchant(merchant_pb2.GetMerchantRequest(merchant_id=merchant_id),
                                                   metadata=SERVICE_ACTOR)))

    async def malls_of(self, mall_ids: Iterable[str]) -> dict[str, merchant_pb2.Mall]:
        """The malls that exist among `mall_ids` (a campaign may name one that does not)."""
        return await _known(sorted({m for m in mall_ids if m}), self.mall)

    async def merchants_of(self, merchant_ids: Iterable[str]) -> dict[str, merchant_pb2.Merchant]:
        return await _known(sorted(set(merchant_ids)), self.merchant)

    async def stores_in_mall(self, mall_id: str) -> list[merchant_pb2.Store]:
        async def load() -> list[merchant_pb2.Store]:
            out: list[merchant_pb2.Store] = []
            token = ""
            while True:
                reply = await downstream("merchant", self.merchants.ListStores(merchant_pb2.ListStoresRequest(
                    mall_id=mall_id, status=merchant_pb2.STORE_STATUS_ACTIVE,
                    page=common_pb2.PageRequest(page_size=500, page_token=token)), metadata=SERVICE_ACTOR))
                out.extend(reply.stores)
                token = reply.page.next_page_token
                if not token:
                    return out

        return await self._cached(self.mall_stores, mall_id, load)

    async def active_campaigns(self) -> list[promotions_pb2.Campaign]:
        async def load() -> list[promotions_pb2.Campaign]:
            out: list[promotions_pb2.Campaign] = []
            token = ""
            for _ in range(CAMPAIGN_PAGES):
                page = common_pb2.PageRequest(page_size=200, page_token=token)
                reply = await downstream("promotions", self.promotions.stub.ListActiveCampaigns(
                    promotions_pb2.ListActiveCampaignsRequest(page=page), metadata=SERVICE_ACTOR))
                out.extend(reply.campaigns)
                token = reply.page.next_page_token
                if not token:
                    break
            return out

        return await self._cached(self.campaigns, "active", load)

    async def usable_coupons(self, principal: Principal) -> list[promotions_pb2.Coupon]:
        """The shopper's unused coupons (never cached: they change with every grab and payment)."""
        reply = await downstream("promotions", self.promotions.call("ListCoupons", promotions_pb2.ListCouponsRequest(
            consumer_id=principal.actor.id, statuses=[promotions_pb2.COUPON_STATUS_ISSUED],
            page=common_pb2.PageRequest(page_size=200)), principal.actor))
        return list(reply.coupons)


async def _known(ids: list[str], load: Callable[[str], Awaitable[Any]]) -> dict[str, Any]:
    async def one(ident: str) -> Any:
        try:
            return await load(ident)
        except NotFound:
            return None

    found = await asyncio.gather(*(one(i) for i in ids))
    return {i: item for i, item in zip(ids, found, strict=True) if item is not None}


_instances: dict[int, Discovery] = {}


def discovery_for(runtime: Runtime, payments: Payments) -> Discovery:
    """One Discovery per running service, shared by the REST routes, the admin API and the event listener."""
    if id(runtime) not in _instances:
        _instances[id(runtime)] = Discovery(payments)
    return _instances[id(runtime)]


# --- routes --------------------------------------------------------------------------------------------


class DiscoveryRoutes:
    def __init__(self, api: RestApi) -> None:
        self.api = api
        self.discovery = discovery_for(api.runtime, api.payments)
        self.nearby_query = QueryValidator(NEARBY_QUERY)
        self.campaign_query = QueryValidator(CAMPAIGN_QUERY)

    async def _live(self, who: Principal) -> None:
        async with self.api.pool.acquire() as conn:
            if not await store.session_live(conn, who.session_id):
                raise Unauthenticated("session revoked", reason="TOKEN_REVOKED")

    def _offers(self, campaigns: list[promotions_pb2.Campaign], coupons: list[promotions_pb2.Coupon],
                merchant_id: str, mall_id: str, mcc: str) -> dict[str, Any]:
        return {
            "red_envelopes": [envelope_json(c) for c in campaigns
                              if has_envelopes(c) and applies(c.targeting, merchant_id, mall_id, mcc)],
            "coupons": [coupon_json(c) for c in coupons if applies(c.targeting, merchant_id, mall_id, mcc)],
        }

    async def stores_nearby(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        args = self.nearby_query.parse(request.query)
        await self._live(who)
        lat, lng = round(args["lat"], 5), round(args["lng"], 5)
        found, campaigns, coupons = await asyncio.gather(
            self.discovery.nearby(lat, lng, args["radius"], args.get("category", ""), args["limit"]),
            self.discovery.active_campaigns(), self.discovery.usable_coupons(who))
        malls = await self.discovery.malls_of(r.store.mall_id for r in found)
        now = datetime.now(UTC)
        stores = [{**store_json(r.store, r.merchant_display_name, r.mcc, malls.get(r.store.mall_id), now),
                   "distance_m": round(r.distance_m, 1),
                   **self._offers(campaigns, coupons, r.store.merchant_id, r.store.mall_id, r.mcc)} for r in found]
        return web.json_response({"stores": stores, "radius": args["radius"]})

    async def mall_stores(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        mall_id = request.match_info["mall_id"]
        if not _ID.match(mall_id):
            raise NotFound("mall not found", field="mall_id")
        await self._live(who)
        mall = await self.discovery.mall(mall_id)
        stores, campaigns, coupons = await asyncio.gather(
            self.discovery.stores_in_mall(mall_id), self.discovery.active_campaigns(),
            self.discovery.usable_coupons(who))
        merchants = await self.discovery.merchants_of(s.merchant_id for s in stores)
        now = datetime.now(UTC)
        out = [{**store_json(s, m.display_name, m.mcc, mall, now), **self._offers(campaigns, coupons, m.merchant_id,
                                                                                mall_id, m.mcc)}
               for s in stores if (m := merchants.get(s.merchant_id)) is not None
               and m.status == merchant_pb2.MERCHANT_STATUS_ACTIVE]
        return web.json_response({"mall": mall_json(mall), "stores": out})

    async def active_campaigns(self, request: web.Request, who: Principal, data: Any) -> web.Response:
        args = self.campaign_query.parse(request.query)
        await self._live(who)
        campaigns = await self.discovery.active_campaigns()
        mall_id, merchant_id, mcc = args.get("mall_id", ""), args.get("merchant_id", ""), args.get("category", "")
        if mall_id or merchant_id or mcc:
            campaigns = [c for c in campaigns if applies(c.targeting, merchant_id, mall_id, mcc)]
        campaigns = [c for c in campaigns if has_envelopes(c)]
        malls = await self.discovery.malls_of(c.targeting.mall_id for c in campaigns
                                              if c.targeting.kind == promotions_pb2.TARGET_KIND_MALL)
        named = await self.discovery.merchants_of(
            m for c in campaigns if c.targeting.kind == promotions_pb2.TARGET_KIND_MERCHANTS
            for m in c.targeting.merchant_ids)
        return web.json_response({"campaigns": [
            {**envelope_json(c), "applies": _where(c.targeting, malls, named)} for c in campaigns]})


def _where(t: promotions_pb2.Targeting, malls: dict[str, merchant_pb2.Mall],
           merchants: dict[str, merchant_pb2.Merchant]) -> dict[str, Any]:
    if t.kind == promotions_pb2.TARGET_KIND_MALL:
        return {"kind": "MALL", "mall": mall_json(malls.get(t.mall_id))}
    if t.kind == promotions_pb2.TARGET_KIND_MERCHANTS:
        return {"kind": "MERCHANTS", "merchants": [
            {"merchant_id": m, "name": merchants[m].display_name if m in merchants else None}
            for m in t.merchant_ids]}
    if t.kind == promotions_pb2.TARGET_KIND_MCC:
        return {"kind": "CATEGORIES", "categories": list(t.mccs)}
    return {"kind": "EVERYONE"}


def declare(api: RestApi) -> None:
    """Add the discovery routes (consumer token) with their query parameters to the REST app."""
    routes = DiscoveryRoutes(api)
    for path, handler, summary, query in (
        ("/v1/stores/nearby", routes.stores_nearby,
         "Open, active stores nearby with distance, mall, red envelopes and usable coupons", NEARBY_QUERY),
        ("/v1/malls/{mall_id}/stores", routes.mall_stores, "The active stores of a mall with their offers", {}),
        ("/v1/campaigns/active", routes.active_campaigns, "Red-envelope campaigns open now and where they apply",
         CAMPAIGN_QUERY),
    ):
        api.add("GET", path, handler, "consumer", summary)
        api.routes[-1].query = openapi_params(query)
