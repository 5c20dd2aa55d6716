"""The cast of the security and fuzzing tests: two consumers, two merchants with POS keys, two partners (each
owning a merchant) and the platform admin, plus one paid trade of each merchant to aim at."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import aiohttp

from services.gen.scanpay.merchant.v1 import merchant_pb2 as mp

from .client import Caller, Journal, Rest
from .stack import ChaosStack
from .world import AS_ADMIN, Admin, _key, _merchant, _store, shopper

ADMIN_TOKEN = "dev-admin-token"


@dataclass
class Party:
    name: str
    who: Caller
    merchant_id: str = ""
    store_id: str = ""
    partner_id: str = ""
    trade_id: str = ""   # a paid trade of this merchant (or by this consumer)
    order_id: str = ""   # an unpaid order QR of this merchant


@dataclass
class Cast:
    admin: Admin
    parties: dict[str, Party]
    secrets: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> Party:
        return self.parties[name]


async def _pay(rest: Rest, consumer: Caller, merchant: Party) -> str:
    qr = await rest.get(merchant.who, f"/v1/merchant/stores/{merchant.store_id}/qr")
    assert qr is not None and qr.status == 200, qr
    call = await rest.post("pay", consumer, "/v1/payments", {"qr_payload": qr.json()["qr_payload"], "amount": 500})
    assert call.final is not None and call.final.status == 201, call.final
    return call.final.json()["trade_id"]


async def _order(rest: Rest, merchant: Party) -> str:
    call = await rest.post("precreate", merchant.who, "/v1/merchant/orders", {
        "store_id": merchant.store_id, "out_trade_no": "o" + secrets.token_hex(8), "amount": 900})
    assert call.final is not None and call.final.status == 201, call.final
    return call.final.json()["trade_id"]


async def gather(stack: ChaosStack) -> Cast:
    admin = Admin(stack)
    parties: dict[str, Party] = {}
    journal = Journal()
    async with aiohttp.ClientSession() as session:
        rest = Rest(session, stack.rest, journal, retry_for=30)
        for name in ("consumer", "other consumer"):
            s = await shopper(rest, 1)
            parties[name] = Party(name, s.who)
        for name in ("merchant", "other merchant"):
            merchant_id = await _merchant(admin, name.title(), "5812")
            store_id = await _store(admin, merchant_id)
            key = await _key(admin, merchant_id, partner=False)
            parties[name] = Party(name, Caller(f"merchant:{merchant_id}", key=key), merchant_id, store_id)
        for name in ("partner", "other partner"):
            p = await admin.merchant.CreatePartner(mp.CreatePartnerRequest(
                name=name.title(), webhook_url="http://127.0.0.1:9/hook"), metadata=AS_ADMIN)
            merchant_id = await _merchant(admin, f"{name.title()} Shop", "5814", p.partner_id)
            store_id = await _store(admin, merchant_id)
            key = await _key(admin, p.partner_id, partner=True)
            parties[name] = Party(name, Caller(f"partner:{p.partner_id}", key=key, merchant_id=merchant_id),
                                  merchant_id, store_id, partner_id=p.partner_id)
        for name in ("merchant", "other merchant", "partner", "other partner"):
            parties[name].trade_id = await _pay(rest, parties["consumer"].who, parties[name])
            parties[name].order_id = await _order(rest, parties[name])
        parties["consumer"].trade_id = parties["merchant"].trade_id
        parties["other consumer"].trade_id = await _pay(rest, parties["other consumer"].who, parties["other merchant"])
    parties["anonymous"] = Party("anonymous", Caller("anonymous"))
    parties["admin"] = Party("admin", Caller("admin"))
    found = [ADMIN_TOKEN, *(p.who.token for p in parties.values() if p.who.token),
             *(p.who.key[1] for p in parties.values() if p.who.key)]
    return Cast(admin, parties, found)
