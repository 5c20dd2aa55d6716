"""What the chaos run plays with: a mall, a partner, three merchants (street, mall, partner-owned) with a store
each, two red-envelope campaigns, and consumers with a bound card and a funded wallet."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import timestamp_pb2
from google.protobuf.message import Message

from services.gen.scanpay.common.v1 import common_pb2
from services.gen.scanpay.gateway.v1 import gateway_pb2_grpc
from services.gen.scanpay.merchant.v1 import merchant_pb2 as mp
from services.gen.scanpay.merchant.v1 import merchant_pb2_grpc
from services.gen.scanpay.promotions.v1 import promotions_pb2 as pp
from services.gen.scanpay.promotions.v1 import promotions_pb2_grpc
from services.gen.scanpay.settlement.v1 import settlement_pb2_grpc
from services.gen.scanpay.wallet.v1 import wallet_pb2_grpc
from services.kit.config import load
from services.kit.grpc import make_channel

from .client import Caller, Rest
from .stack import ChaosStack

AS_ADMIN = (("x-scanpay-actor", "admin"),)
PARTNER_SERVICE = "scanpay.gateway.v1.PartnerService"
PASSWORD = "chaos-pass-0"
GOOD_CARD = "4111111111111111"
# Test cards of the simulated bank (docs/wallet.md): the answer is lost (recovery books it), or declined.
TIMEOUT_CARD = "4000000000000119"
DECLINED_CARD = "4000000000000002"
CARDS_USED = (GOOD_CARD, TIMEOUT_CARD, DECLINED_CARD)


def cny(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount=amount, currency="CNY")


def in_seconds(seconds: float) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromSeconds(int(time.time() + seconds))
    return out


class Admin:
    """The operator's direct gRPC access to the services (internal token, actor admin)."""

    def __init__(self, stack: ChaosStack) -> None:
        token = load("gateway").internal_token

        def channel(service: str, name: str) -> grpc.aio.Channel:
            return make_channel(stack.grpc_address(service), token, name, deadline=20)

        self.merchant = merchant_pb2_grpc.MerchantServiceStub(
            channel("merchant", "scanpay.merchant.v1.MerchantService"))
        self.promotions = promotions_pb2_grpc.PromotionsServiceStub(
            channel("promotions", "scanpay.promotions.v1.PromotionsService"))
        self.wallet = wallet_pb2_grpc.WalletServiceStub(channel("wallet", "scanpay.wallet.v1.WalletService"))
        self.settlement = settlement_pb2_grpc.SettlementServiceStub(
            channel("settlement", "scanpay.settlement.v1.SettlementService"))


def partner_metadata(key: tuple[str, str], method: str, request: Message) -> tuple[tuple[str, str], ...]:
    """The x-scanpay-* signature of one PartnerService call (docs/partners.md)."""
    ts, nonce = str(int(time.time())), secrets.token_hex(12)
    body = hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()
    base = "\n".join(["POST", f"/{PARTNER_SERVICE}/{method}", ts, nonce, body])
    signature = hmac.new(key[1].encode(), base.encode(), hashlib.sha256).hexdigest()
    return (("x-scanpay-key-id", key[0]), ("x-scanpay-timestamp", ts), ("x-scanpay-nonce", nonce),
            ("x-scanpay-signature", signature))


@dataclass
class Shop:
    merchant_id: str
    store_id: str
    pos: Caller          # who signs this merchant's POS calls (its own key, or its partner's)
    qr: str = ""         # the store QR payload
    by_partner: bool = False


@dataclass
class Shopper:
    consumer_id: str
    who: Caller
    card_id: str
    spare_cards: dict[str, str] = field(default_factory=dict)  # card number -> card id


@dataclass
class World:
    admin: Admin
    partner_id: str
    partner_key: tuple[str, str]
    partner_stub: gateway_pb2_grpc.PartnerServiceStub
    shops: list[Shop]
    campaigns: list[str]
    shoppers: list[Shopper]
    secrets_seen: list[str] = field(default_factory=list)  # every secret and token handed out (log scan)


async def _merchant(admin: Admin, name: str, mcc: str, partner_id: str = "") -> str:
    m = await admin.merchant.CreateMerchant(mp.CreateMerchantRequest(
        legal_name=f"{name} Ltd", display_name=name, licence_id=secrets.token_hex(6).upper(), mcc=mcc,
        partner_id=partner_id), metadata=AS_ADMIN)
    await admin.merchant.ChangeMerchantStatus(mp.ChangeMerchantStatusRequest(
        merchant_id=m.merchant_id, to_status=mp.MERCHANT_STATUS_ACTIVE, reason="kyc done"), metadata=AS_ADMIN)
    return m.merchant_id


async def _store(admin: Admin, merchant_id: str, mall_id: str = "") -> str:
    s = await admin.merchant.CreateStore(mp.CreateStoreRequest(
        merchant_id=merchant_id, mall_id=mall_id, name="Chaos store", address="1 Nanjing W Rd", city="Shanghai",
        lat=31.23, lng=121.47), metadata=AS_ADMIN)
    return s.store_id


async def _key(admin: Admin, owner_id: str, partner: bool) -> tuple[str, str]:
    kind = mp.OWNER_KIND_PARTNER if partner else mp.OWNER_KIND_MERCHANT
    c = await admin.merchant.CreateCredential(mp.CreateCredentialRequest(owner_kind=kind, owner_id=owner_id),
                                              metadata=AS_ADMIN)
    return c.credential.key_id, c.secret


async def _campaign(admin: Admin, random_split: bool, count: int) -> str:
    if random_split:
        request = pp.CreateCampaignRequest(
            request_id=secrets.token_hex(8), name="Chaos random envelopes", budget=cny(200 * count), count=count,
            split=pp.SPLIT_MODE_RANDOM, min_amount=cny(50), max_amount=cny(400), per_consumer_limit=3,
            targeting=pp.Targeting(kind=pp.TARGET_KIND_EVERYONE), ends_at=in_seconds(7 * 86400))
    else:
        request = pp.CreateCampaignRequest(
            request_id=secrets.token_hex(8), name="Chaos fixed envelopes", budget=cny(300 * count), count=count,
            split=pp.SPLIT_MODE_FIXED, per_consumer_limit=4,
            targeting=pp.Targeting(kind=pp.TARGET_KIND_EVERYONE), ends_at=in_seconds(7 * 86400))
    reply = await admin.promotions.CreateCampaign(request, metadata=AS_ADMIN)
    return reply.campaign.id


async def _must(rest: Rest, op: str, who: Caller, path: str, payload: Any) -> Any:
    call = await rest.post(op, who, path, payload)
    answer = call.final
    assert answer is not None and 200 <= answer.status < 300, (op, answer)
    return answer.json()


async def shopper(rest: Rest, index: int) -> Shopper:
    phone = "13" + f"{secrets.randbelow(10**9):09d}"
    anonymous = Caller("anonymous:ip:127.0.0.1")  # the gateway scopes public keys by client address
    await _must(rest, "sign_up", anonymous, "/v1/consumers", {"phone": phone, "password": PASSWORD})
    answer = await rest.attempt(anonymous, "POST", "/v1/sessions",
                                f'{{"phone":"{phone}","password":"{PASSWORD}"}}'.encode(), None)
    assert answer.status == 201, answer
    tokens = answer.json()
    who = Caller(f"consumer:{tokens['consumer_id']}", token=tokens["access_token"],
                 login=f'{{"phone":"{phone}","password":"{PASSWORD}"}}'.encode())
    card = await _must(rest, "bind_card", who, "/v1/me/cards",
                       {"card_number": GOOD_CARD, "expiry": "12/30", "holder_name": "Li Lei"})
    spare: dict[str, str] = {}
    if index % 5 == 0:
        for number in (TIMEOUT_CARD, DECLINED_CARD):
            other = await _must(rest, "bind_card", who, "/v1/me/cards",
                                {"card_number": number, "expiry": "12/30", "holder_name": "Li Lei"})
            spare[number] = other["card_id"]
    await _must(rest, "top_up", who, "/v1/me/topups", {"card_id": card["card_id"], "amount": 50_000})
    return Shopper(tokens["consumer_id"], who, card["card_id"], spare)


async def build(stack: ChaosStack, rest: Rest, shoppers: int, envelopes: int) -> World:
    admin = Admin(stack)
    mall = await admin.merchant.CreateMall(mp.CreateMallRequest(
        name="Chaos Plaza", operator_name="Chaos Properties", city="Shanghai", commission_bps=150), metadata=AS_ADMIN)
    partner = await admin.merchant.CreatePartner(mp.CreatePartnerRequest(
        name="Chaos Review Site", webhook_url="http://127.0.0.1:9/hook"), metadata=AS_ADMIN)
    partner_key = await _key(admin, partner.partner_id, partner=True)
    shops = []
    for name, mcc, mall_id, by_partner in (("Noodle Bar", "5812", "", False),
                                           ("Plaza Grocer", "5411", mall.mall_id, False),
                                           ("Partner Cafe", "5814", mall.mall_id, True)):
        merchant_id = await _merchant(admin, name, mcc, partner.partner_id if by_partner else "")
        store_id = await _store(admin, merchant_id, mall_id)
        if by_partner:
            pos = Caller(f"partner:{partner.partner_id}", key=partner_key, merchant_id=merchant_id)
        else:
            pos = Caller(f"merchant:{merchant_id}", key=await _key(admin, merchant_id, partner=False))
        shops.append(Shop(merchant_id, store_id, pos, by_partner=by_partner))
    for shop in shops:
        answer = await rest.get(shop.pos, f"/v1/merchant/stores/{shop.store_id}/qr")
        assert answer is not None and answer.status == 200, answer
        shop.qr = answer.json()["qr_payload"]
    campaigns = [await _campaign(admin, False, envelopes), await _campaign(admin, True, envelopes)]
    people = [await shopper(rest, i) for i in range(shoppers)]
    channel = grpc.aio.insecure_channel(stack.grpc_address("gateway"))
    world = World(admin, partner.partner_id, partner_key, gateway_pb2_grpc.PartnerServiceStub(channel), shops,
                  campaigns, people)
    world.secrets_seen += [partner_key[1], *(s.pos.key[1] for s in shops if s.pos.key), PASSWORD,
                           *(p.who.token for p in people)]
    return world
