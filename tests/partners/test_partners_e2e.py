"""Partner onboarding, platform admin and store discovery on the real stack (five services, PostgreSQL, NATS).

One story, in order: partner A onboards a merchant with two stores; partner B is refused at every step; an admin
approves it; A issues the POS key; a consumer finds the store nearby with its red envelope; pays there; A gets the
signed notification and, after the day is settled, reads the statement; the audit log holds the approval.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import asyncpg
import grpc
import pytest
import pytest_asyncio
from gateway.helpers import Api
from google.protobuf import timestamp_pb2

from services.gateway import security
from services.gen.scanpay.common.v1 import common_pb2
from services.gen.scanpay.gateway.v1 import gateway_pb2 as gw
from services.gen.scanpay.merchant.v1 import merchant_pb2 as mp
from services.gen.scanpay.promotions.v1 import promotions_pb2 as pp
from services.gen.scanpay.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from services.kit.config import load
from services.kit.grpc import error_detail, make_channel
from services.kit.localstack import ServiceProcesses
from services.settlement import domain as settlement_domain

from .helpers import ADMIN_MD, Partner, Webhook, admin_stub, partner_metadata

pytestmark = pytest.mark.stack
MALL_AT = (31.2304, 121.4737)
STREET_AT = (31.2400, 121.4900)
ENVELOPE = 300
Grpc = grpc.StatusCode


def cny(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount=amount, currency="CNY")


def in_days(days: float) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromSeconds(int(time.time() + days * 86400))
    return out


async def refused(call: Any) -> tuple[grpc.StatusCode, str]:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        detail = error_detail(exc)
        return exc.code(), detail.reason if detail else ""
    raise AssertionError("the call was not refused")


@pytest_asyncio.fixture(scope="module")
async def world(stack: ServiceProcesses) -> AsyncIterator[dict[str, Any]]:
    admin = admin_stub(stack)
    hook = await Webhook().start()
    partners = {}
    for name, url in (("a", hook.url), ("b", "http://127.0.0.1:9/unused")):
        p = await admin.CreatePartner(mp.CreatePartnerRequest(name=f"Review site {name}", webhook_url=url),
                                      metadata=ADMIN_MD)
        key = await admin.CreatePartnerKey(gw.CreatePartnerKeyRequest(partner_id=p.partner_id), metadata=ADMIN_MD)
        partners[name] = Partner(stack, (key.credential.key_id, key.secret), p.partner_id)
    mall = await admin.CreateMall(mp.CreateMallRequest(name="Jing'an Kerry Centre", operator_name="Kerry Properties",
                                                       city="Shanghai", commission_bps=100), metadata=ADMIN_MD)
    async with aiohttp.ClientSession() as session:
        yield {"stack": stack, "admin": admin, "hook": hook, "a": partners["a"], "b": partners["b"],
               "mall": mall.mall_id, "api": Api(session, f"http://127.0.0.1:{stack.http_port}")}
    await hook.stop()


async def onboard(a: Partner, mall_id: str) -> tuple[mp.Merchant, list[mp.Store]]:
    merchant = await a.call("OnboardMerchant", gw.OnboardMerchantRequest(
        legal_name="Dumpling Bar Ltd", display_name="Dumpling Bar", licence_id=secrets.token_hex(8).upper(),
        mcc="5812", settlement_account=mp.BankAccountInput(account_number="6222020200001234567",
                                                           account_name="Dumpling Bar Ltd", bank_name="ICBC")))
    stores = [
        await a.call("AddStore", gw.AddStoreRequest(
            merchant_id=merchant.merchant_id, mall_id=mall_id, name="Dumpling Bar Kerry Centre",
            address="1515 Nanjing W Rd, L2", city="Shanghai", lat=MALL_AT[0], lng=MALL_AT[1])),
        await a.call("AddStore", gw.AddStoreRequest(
            merchant_id=merchant.merchant_id, name="Dumpling Bar Wuding Rd", address="88 Wuding Rd",
            city="Shanghai", lat=STREET_AT[0], lng=STREET_AT[1])),
    ]
    return merchant, stores


async def test_partner_onboards_and_gets_paid_and_settled(world: dict[str, Any]) -> None:
    a, b, admin, api, mall = world["a"], world["b"], world["admin"], world["api"], world["mall"]

    # Partner A onboards a merchant with two stores: PENDING, owned by A.
    merchant, stores = await onboard(a, mall)
    mid = merchant.merchant_id
    assert merchant.status == mp.MERCHANT_STATUS_PENDING and merchant.partner_id == a.partner_id
    listed = await a.call("ListStores", gw.ListMerchantStoresRequest(merchant_id=mid))
    assert {s.store_id for s in listed.stores} == {s.store_id for s in stores}

    # Partner B is refused at every step and changes nothing.
    for method, request in [
        ("GetMerchant", gw.MerchantRef(merchant_id=mid)),
        ("AddStore", gw.AddStoreRequest(merchant_id=mid, name="Fake", city="Shanghai", lat=31.0, lng=121.0)),
        ("ListStores", gw.ListMerchantStoresRequest(merchant_id=mid)),
        ("GetStore", gw.StoreRef(store_id=stores[0].store_id)),
        ("RequestActivation", gw.RequestActivationRequest(merchant_id=mid)),
        ("IssuePosKey", gw.IssuePosKeyRequest(merchant_id=mid)),
        ("ListPosKeys", gw.ListPosKeysRequest(merchant_id=mid)),
    ]:
        assert await b.refused(method, request) == Grpc.PERMISSION_DENIED, method
    seen_by_b = (await b.call("ListMerchants", gw.ListPartnerMerchantsRequest())).merchants
    seen_by_a = (await a.call("ListMerchants", gw.ListPartnerMerchantsRequest())).merchants
    assert mid not in {m.merchant_id for m in seen_by_b} and mid in {m.merchant_id for m in seen_by_a}
    assert len((await a.call("ListStores", gw.ListMerchantStoresRequest(merchant_id=mid))).stores) == 2

    # A asks for activation; asking again returns the open request.
    request = await a.call("RequestActivation", gw.RequestActivationRequest(merchant_id=mid, note="KYC attached"))
    again = await a.call("RequestActivation", gw.RequestActivationRequest(merchant_id=mid))
    assert request.status == gw.ACTIVATION_STATUS_PENDING and again.request_id == request.request_id
    pending = await admin.ListActivationRequests(gw.ListActivationRequestsRequest(), metadata=ADMIN_MD)
    assert request.request_id in {r.request_id for r in pending.requests}

    # The admin approves it (audited); a call without the admin token is refused.
    code, _ = await refused(admin.ApproveMerchant(gw.MerchantDecisionRequest(merchant_id=mid, reason="KYC ok")))
    assert code == Grpc.UNAUTHENTICATED
    code, _ = await refused(admin.ApproveMerchant(gw.MerchantDecisionRequest(merchant_id=mid, reason="KYC ok"),
                                                  metadata=(("x-scanpay-admin-token", "guess"),)))
    assert code == Grpc.UNAUTHENTICATED
    code, _ = await refused(admin.ApproveMerchant(gw.MerchantDecisionRequest(merchant_id=mid), metadata=ADMIN_MD))
    assert code == Grpc.INVALID_ARGUMENT
    approved = await admin.ApproveMerchant(gw.MerchantDecisionRequest(merchant_id=mid, reason="KYC documents ok"),
                                           metadata=ADMIN_MD)
    assert approved.status == mp.MERCHANT_STATUS_ACTIVE
    decided = await admin.ListActivationRequests(gw.ListActivationRequestsRequest(
        status=gw.ACTIVATION_STATUS_APPROVED), metadata=ADMIN_MD)
    assert request.request_id in {r.request_id for r in decided.requests}

    # A issues the POS key; B cannot.
    assert await b.refused("IssuePosKey", gw.IssuePosKeyRequest(merchant_id=mid)) == Grpc.PERMISSION_DENIED
    pos = await a.call("IssuePosKey", gw.IssuePosKeyRequest(merchant_id=mid))
    assert pos.secret and pos.credential.owner_id == mid
    pos_key = (pos.credential.key_id, pos.secret)

    # A red-envelope campaign in the mall, launched by the admin.
    campaign = await admin.LaunchCampaign(pp.CreateCampaignRequest(
        request_id=secrets.token_hex(8), name="Kerry Centre spring envelopes", budget=cny(ENVELOPE * 10), count=10,
        split=pp.SPLIT_MODE_FIXED, per_consumer_limit=1, ends_at=in_days(7),
        targeting=pp.Targeting(kind=pp.TARGET_KIND_MALL, mall_id=mall)), metadata=ADMIN_MD)

    # A consumer finds the mall store nearby with the red envelope; the street store has none.
    token = await api.consumer()
    await api.fund(token, 10_000)
    near = await api.call("GET", f"/v1/stores/nearby?lat={MALL_AT[0]}&lng={MALL_AT[1]}&radius=3000", token=token)
    assert near.status == 200, near.body
    by_id = {s["store_id"]: s for s in near.body["stores"]}
    in_mall, street = by_id[stores[0].store_id], by_id[stores[1].store_id]
    assert in_mall["mall"]["mall_id"] == mall and in_mall["distance_m"] < 1 and in_mall["open_now"]
    assert campaign.id in {e["campaign_id"] for e in in_mall["red_envelopes"]}
    assert street["mall"] is None and campaign.id not in {e["campaign_id"] for e in street["red_envelopes"]}
    assert 1_500 < street["distance_m"] < 2_500
    in_mall_stores = await api.call("GET", f"/v1/malls/{mall}/stores", token=token)
    assert [s["store_id"] for s in in_mall_stores.body["stores"]] == [stores[0].store_id]
    active = await api.call("GET", f"/v1/campaigns/active?mall_id={mall}", token=token)
    where = {c["campaign_id"]: c["applies"] for c in active.body["campaigns"]}
    assert where[campaign.id] == {"kind": "MALL", "mall": {"mall_id": mall, "name": "Jing'an Kerry Centre",
                                                            "city": "Shanghai"}}
    grab = await api.call("POST", f"/v1/red-envelopes/{campaign.id}/grab", {}, token=token)
    assert grab.status == 201 and grab.body["status"] == "GRANTED", grab.body
    near = await api.call("GET", f"/v1/stores/nearby?lat={MALL_AT[0]}&lng={MALL_AT[1]}&radius=100", token=token)
    ours = [s for s in near.body["stores"] if s["merchant_id"] == mid]
    assert [s["store_id"] for s in ours] == [stores[0].store_id]
    assert [c["coupon_id"] for c in ours[0]["coupons"]] == [grab.body["coupon"]["coupon_id"]]

    # The consumer pays there with the envelope; partner A receives the signed notification.
    qr = await api.call("GET", f"/v1/merchant/stores/{stores[0].store_id}/qr", key=pos_key)
    assert qr.status == 200, qr.body
    paid = await api.call("POST", "/v1/payments", {"qr_payload": qr.body["qr_payload"], "amount": 3_000}, token=token)
    assert paid.status == 201 and paid.body["status"] == "TRADE_SUCCESS", paid.body
    assert (paid.body["discount"], paid.body["paid"]) == (ENVELOPE, 3_000 - ENVELOPE)
    trade_id = paid.body["trade_id"]
    hook_secret = (await api.call("GET", "/v1/merchant/webhook", key=a.key, merchant_id=mid)).body["signing_secret"]
    deadline = time.monotonic() + 20
    while not any(trade_id.encode() in body for body, _ in world["hook"].received) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    body, header = next((b_, h) for b_, h in world["hook"].received if trade_id.encode() in b_)
    assert security.verify_webhook_signature(hook_secret, header, body, time.time())
    assert not security.verify_webhook_signature(hook_secret, header, body.replace(b"3000", b"3001"), time.time())

    # Next day: the day is settled, and A reads the statement and the batch; B cannot.
    day = await settle_next_day(world["stack"], mid, trade_id)
    statement = await a.call("GetStatement", gw.GetStatementRequest(merchant_id=mid, business_date=day))
    assert trade_id in statement.csv.decode() and statement.gross.amount == 3_000
    batches = await a.call("ListSettlementBatches", gw.ListSettlementBatchesRequest(merchant_id=mid, from_date=day))
    assert [(x.merchant_id, x.gross.amount, x.trade_count) for x in batches.batches] == [(mid, 3_000, 1)]
    assert await b.refused("GetStatement", gw.GetStatementRequest(merchant_id=mid, business_date=day)) \
        == Grpc.PERMISSION_DENIED
    assert await b.refused("ListSettlementBatches", gw.ListSettlementBatchesRequest(
        merchant_id=mid, from_date=day)) == Grpc.PERMISSION_DENIED

    # The audit log holds the approval with before and after, and the trade lookup.
    lookup = await admin.LookupTrade(gw.TradeRef(trade_id=trade_id), metadata=ADMIN_MD)
    assert lookup.trade.status == gw.TRADE_STATUS_TRADE_SUCCESS and lookup.trade.merchant_id == mid
    log = await admin.ListAuditLog(gw.ListAuditLogRequest(target_id=mid), metadata=ADMIN_MD)
    approval = [e for e in log.entries if e.action == "merchant.approve"]
    assert len(approval) == 1 and approval[0].actor == "admin:admin" and approval[0].reason == "KYC documents ok"
    assert '"status": "MERCHANT_STATUS_PENDING"' in approval[0].before_json
    assert '"status": "MERCHANT_STATUS_ACTIVE"' in approval[0].after_json
    looked = await admin.ListAuditLog(gw.ListAuditLogRequest(target_id=trade_id), metadata=ADMIN_MD)
    assert [e.action for e in looked.entries] == ["trade.lookup"]


async def settle_next_day(stack: ServiceProcesses, merchant_id: str, trade_id: str) -> str:
    """Settlement settles a day only once it is over (T+1), so 'tomorrow' is simulated by moving this merchant's
    clearing entry to yesterday; then the ops job (admin) runs that day."""
    day = settlement_domain.today_in_shanghai() - timedelta(days=1)
    conn = await asyncpg.connect(stack.pg_dsn)
    try:
        deadline = time.monotonic() + 20
        while not await conn.fetchval("SELECT true FROM settlement.clearing_entries WHERE trade_id = $1", trade_id):
            assert time.monotonic() < deadline, "the trade was never cleared"
            await asyncio.sleep(0.2)
        await conn.execute("UPDATE settlement.clearing_entries SET business_date = $2, batch_date = $2 "
                           "WHERE merchant_id = $1", merchant_id, day)
    finally:
        await conn.close()
    channel = make_channel(f"127.0.0.1:{stack.grpc_ports['settlement']}", load("settlement").internal_token,
                           "scanpay.settlement.v1.SettlementService", deadline=60)
    async with channel:
        await settlement_pb2_grpc.SettlementServiceStub(channel).RunSettlement(
            settlement_pb2.RunSettlementRequest(business_date=day.isoformat()),
            metadata=(("x-scanpay-actor", "admin"),))
    return day.isoformat()


async def test_pos_keys_rotate_and_revoke(world: dict[str, Any]) -> None:
    a, b, admin, api = world["a"], world["b"], world["admin"], world["api"]
    merchant, stores = await onboard(a, world["mall"])
    mid = merchant.merchant_id
    await admin.ApproveMerchant(gw.MerchantDecisionRequest(merchant_id=mid, reason="ok"), metadata=ADMIN_MD)
    first = await a.call("IssuePosKey", gw.IssuePosKeyRequest(merchant_id=mid))
    key = (first.credential.key_id, first.secret)
    path = f"/v1/merchant/stores/{stores[1].store_id}/qr"
    assert (await api.call("GET", path, key=key)).status == 200
    assert await b.refused("RotatePosKey", gw.RotatePosKeyRequest(merchant_id=mid, key_id=key[0])) \
        == Grpc.PERMISSION_DENIED
    rotated = await a.call("RotatePosKey", gw.RotatePosKeyRequest(merchant_id=mid, key_id=key[0], overlap_seconds=0))
    new_key = (rotated.credential.key_id, rotated.secret)
    assert new_key[0] != key[0] and (await api.call("GET", path, key=new_key)).status == 200
    assert (await api.call("GET", path, key=key)).status == 401
    assert await b.refused("RevokePosKey", gw.RevokePosKeyRequest(merchant_id=mid, key_id=new_key[0],
                                                                  reason="stolen")) == Grpc.PERMISSION_DENIED
    assert (await api.call("GET", path, key=new_key)).status == 200
    assert await a.refused("RevokePosKey", gw.RevokePosKeyRequest(merchant_id=mid, key_id=new_key[0])) \
        == Grpc.INVALID_ARGUMENT
    revoked = await a.call("RevokePosKey", gw.RevokePosKeyRequest(merchant_id=mid, key_id=new_key[0],
                                                                  reason="tablet lost"))
    assert revoked.status == mp.CREDENTIAL_STATUS_REVOKED
    assert (await api.call("GET", path, key=new_key)).status == 401
    keys = await a.call("ListPosKeys", gw.ListPosKeysRequest(merchant_id=mid, include_inactive=True))
    assert {k.key_id for k in keys.credentials} == {key[0], new_key[0]}

    # Suspend and close are audited decisions too; a closed merchant can no longer take a key.
    await admin.SuspendMerchant(gw.MerchantDecisionRequest(merchant_id=mid, reason="chargebacks"), metadata=ADMIN_MD)
    closed = await admin.CloseMerchant(gw.MerchantDecisionRequest(merchant_id=mid, reason="fraud confirmed"),
                                       metadata=ADMIN_MD)
    assert closed.status == mp.MERCHANT_STATUS_CLOSED
    assert await a.refused("IssuePosKey", gw.IssuePosKeyRequest(merchant_id=mid)) == Grpc.FAILED_PRECONDITION
    log = await admin.ListAuditLog(gw.ListAuditLogRequest(target_id=mid), metadata=ADMIN_MD)
    assert [e.action for e in log.entries] == ["merchant.close", "merchant.suspend", "merchant.approve"]


async def test_bad_partner_calls_are_refused_and_change_nothing(world: dict[str, Any]) -> None:
    a = world["a"]
    request = gw.ListPartnerMerchantsRequest()
    before = len((await a.call("ListMerchants", request)).merchants)
    unsigned = gw.OnboardMerchantRequest(legal_name="X Ltd", display_name="X", licence_id="ABC123", mcc="5812")
    code, _ = await refused(a.stub.OnboardMerchant(unsigned, timeout=10))
    assert code == Grpc.UNAUTHENTICATED
    assert await a.refused("OnboardMerchant", unsigned, timestamp=int(time.time()) - 600) == Grpc.UNAUTHENTICATED
    forged = (a.key[0], "not-the-secret")
    code, _ = await refused(a.stub.OnboardMerchant(unsigned, metadata=partner_metadata(forged, "OnboardMerchant",
                                                                                       unsigned)))
    assert code == Grpc.UNAUTHENTICATED
    nonce = "fixed-" + secrets.token_hex(6)
    await a.call("ListMerchants", request, nonce=nonce)
    assert await a.refused("ListMerchants", request, nonce=nonce) == Grpc.UNAUTHENTICATED
    assert len((await a.call("ListMerchants", request)).merchants) == before
    unknown = "mch_" + "0" * 26
    assert await a.refused("GetMerchant", gw.MerchantRef(merchant_id=unknown)) == Grpc.NOT_FOUND
    assert await a.refused("AddStore", gw.AddStoreRequest(merchant_id=unknown, name="S", city="Shanghai")) \
        == Grpc.NOT_FOUND
    assert await a.refused("GetMerchant", gw.MerchantRef()) == Grpc.INVALID_ARGUMENT
    merchant, _ = await onboard(a, world["mall"])
    assert await a.refused("AddStore", gw.AddStoreRequest(merchant_id=merchant.merchant_id, name="Moon",
                                                          city="Shanghai", lat=91, lng=0)) == Grpc.INVALID_ARGUMENT
    stores = await a.call("ListStores", gw.ListMerchantStoresRequest(merchant_id=merchant.merchant_id))
    assert len(stores.stores) == 2
    # The settlement reads check the date before calling settlement.
    assert await a.refused("GetStatement", gw.GetStatementRequest(merchant_id=merchant.merchant_id)) \
        == Grpc.INVALID_ARGUMENT


async def test_discovery_refuses_bad_queries(world: dict[str, Any]) -> None:
    api = world["api"]
    token = await api.consumer()
    for query, field in [("lat=91&lng=121", "lat"), ("lat=31&lng=-181", "lng"), ("lat=31", "lng"),
                         ("lat=abc&lng=121", "lat"), ("lat=nan&lng=121", "lat"),
                         ("lat=31&lng=121&radius=10001", "radius"), ("lat=31&lng=121&radius=0", "radius"),
                         ("lat=31&lng=121&category=food", "category"), ("lat=31&lng=121&zoom=3", "zoom")]:
        r = await api.call("GET", f"/v1/stores/nearby?{query}", token=token)
        assert r.status == 400, (query, r.body)
        assert r.body["error"]["code"] == "FIELD_INVALID" and field in r.body["error"]["message"], (query, r.body)
    assert (await api.call("GET", "/v1/stores/nearby?lat=31&lng=121")).status == 401
    assert (await api.call("GET", "/v1/malls/mal_nope/stores", token=token)).status == 404
    assert (await api.call("GET", f"/v1/malls/mal_{'0' * 26}/stores", token=token)).status == 404
    doc = (await api.call("GET", "/openapi.json")).body
    nearby = doc["paths"]["/v1/stores/nearby"]["get"]
    assert {p["name"]: p["required"] for p in nearby["parameters"]} == {
        "lat": True, "lng": True, "radius": False, "category": False, "limit": False}
    assert nearby["security"] == [{"consumerToken": []}]
    assert "/v1/campaigns/active" in doc["paths"] and "/v1/malls/{mall_id}/stores" in doc["paths"]


async def test_audit_log_cannot_be_changed(world: dict[str, Any]) -> None:
    admin = world["admin"]
    mall = await admin.CreateMall(mp.CreateMallRequest(name="Audit Plaza", operator_name="Ops", city="Shanghai"),
                                  metadata=ADMIN_MD)
    entries = (await admin.ListAuditLog(gw.ListAuditLogRequest(target_id=mall.mall_id), metadata=ADMIN_MD)).entries
    assert [(e.action, e.actor) for e in entries] == [("mall.create", "admin:admin")]
    conn = await asyncpg.connect(world["stack"].pg_dsn)
    try:
        for statement in ("UPDATE gateway.admin_audit_log SET reason = 'edited'",
                          "DELETE FROM gateway.admin_audit_log", "TRUNCATE gateway.admin_audit_log"):
            with pytest.raises(asyncpg.PostgresError, match="append-only"):
                await conn.execute(statement)
    finally:
        await conn.close()
    again = (await admin.ListAuditLog(gw.ListAuditLogRequest(target_id=mall.mall_id), metadata=ADMIN_MD)).entries
    assert again == entries
    assert "EditAuditEntry" not in gw.DESCRIPTOR.services_by_name["AdminService"].methods_by_name
    assert {m for m in gw.DESCRIPTOR.services_by_name["AdminService"].methods_by_name if "Audit" in m} == {
        "ListAuditLog"}
