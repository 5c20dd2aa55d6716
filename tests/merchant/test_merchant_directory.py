"""Malls, partners and merchants over gRPC: every method, the status machine, authorisation, bad input."""

from __future__ import annotations

import asyncpg
import grpc
import pytest

from services.gen.scanpay.events.v1 import envelope_pb2
from services.gen.scanpay.merchant.v1 import events_pb2
from services.gen.scanpay.merchant.v1 import merchant_pb2 as pb
from services.kit.events import unpack
from services.merchant import domain

from .conftest import Client, licence, new_mall, new_merchant, new_partner, outbox_seq, outbox_subjects

INVALID = grpc.StatusCode.INVALID_ARGUMENT
DENIED = grpc.StatusCode.PERMISSION_DENIED
NOT_FOUND = grpc.StatusCode.NOT_FOUND
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION


# ---- malls -----------------------------------------------------------------------------------------------


async def test_mall_create_get_update_list(client: Client) -> None:
    mall = await new_mall(client, commission_bps=3000, city="Hangzhou-Mall-Test")
    assert mall.mall_id.startswith("mal_") and mall.commission_bps == 3000
    assert (await client.GetMall(pb.GetMallRequest(mall_id=mall.mall_id), actor="consumer:c1")) == mall
    updated = await client.UpdateMall(
        pb.UpdateMallRequest(mall_id=mall.mall_id, commission_bps=0, name="New Name")
    )
    assert (updated.commission_bps, updated.name, updated.city) == (0, "New Name", "Hangzhou-Mall-Test")
    second = await new_mall(client, city="Hangzhou-Mall-Test")
    page1 = await client.ListMalls(
        pb.ListMallsRequest(city="Hangzhou-Mall-Test", page={"page_size": 1}), actor="service:settlement"
    )
    assert [m.mall_id for m in page1.malls] == [mall.mall_id] and page1.page.next_page_token
    page2 = await client.ListMalls(
        pb.ListMallsRequest(
            city="Hangzhou-Mall-Test", page={"page_size": 1, "page_token": page1.page.next_page_token}
        )
    )
    assert [m.mall_id for m in page2.malls] == [second.mall_id] and not page2.page.next_page_token


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"commission_bps": 3001}, "commission_bps"),
        ({"commission_bps": -1}, "commission_bps"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"operator_name": "   "}, "operator_name"),
        ({"city": ""}, "city"),
    ],
)
async def test_mall_bad_input(client: Client, refused, changes: dict, field: str) -> None:
    request = {"name": "Mall", "operator_name": "Op", "city": "Shanghai", "commission_bps": 100, **changes}
    await refused(client.CreateMall(pb.CreateMallRequest(**request)), INVALID, field)
    mall = await new_mall(client)
    await refused(client.UpdateMall(pb.UpdateMallRequest(mall_id=mall.mall_id, **changes)), INVALID, field)


async def test_malls_are_admin_only_and_unknown_ids_not_found(client: Client, refused) -> None:
    request = pb.CreateMallRequest(name="Mall", operator_name="Op", city="Shanghai", commission_bps=100)
    await refused(client.CreateMall(request, actor="partner:ptn_x"), DENIED)
    mall = await new_mall(client)
    await refused(
        client.UpdateMall(pb.UpdateMallRequest(mall_id=mall.mall_id, name="n"), actor="service:gateway"),
        DENIED,
    )
    await refused(client.GetMall(pb.GetMallRequest(mall_id="mal_nope")), NOT_FOUND, "mall_id")
    await refused(client.UpdateMall(pb.UpdateMallRequest(mall_id="mal_nope", name="n")), NOT_FOUND, "mall_id")
    await refused(client.GetMall(pb.GetMallRequest(mall_id="")), INVALID, "mall_id")
    await refused(client.ListMalls(pb.ListMallsRequest(page={"page_size": 501})), INVALID, "page.page_size")
    await refused(
        client.ListMalls(pb.ListMallsRequest(page={"page_token": "garbage!"})), INVALID, "page.page_token"
    )


# ---- partners --------------------------------------------------------------------------------------------


async def test_partner_create_get_update_list(client: Client, refused) -> None:
    partner = await new_partner(client, "Delivery App")
    assert partner.partner_id.startswith("ptn_") and partner.status == pb.PARTNER_STATUS_ACTIVE
    assert (
        await client.GetPartner(pb.GetPartnerRequest(partner_id=partner.partner_id), actor="service:gateway")
        == partner
    )
    suspended = await client.UpdatePartner(
        pb.UpdatePartnerRequest(
            partner_id=partner.partner_id,
            status=pb.PARTNER_STATUS_SUSPENDED,
            webhook_url="http://127.0.0.1:9999/hook",
        )
    )
    assert (
        suspended.status == pb.PARTNER_STATUS_SUSPENDED
        and suspended.webhook_url == "http://127.0.0.1:9999/hook"
    )
    listed = await client.ListPartners(
        pb.ListPartnersRequest(status=pb.PARTNER_STATUS_SUSPENDED, page={"page_size": 500})
    )
    assert partner.partner_id in [p.partner_id for p in listed.partners]
    assert all(p.status == pb.PARTNER_STATUS_SUSPENDED for p in listed.partners)
    # A suspended partner onboards nobody.
    await refused(
        client.CreateMerchant(
            pb.CreateMerchantRequest(legal_name="L", display_name="D", licence_id=licence(), mcc="5411"),
            actor=f"partner:{partner.partner_id}",
        ),
        PRECONDITION,
        "partner_id",
    )


async def test_partner_bad_input_and_authorisation(client: Client, refused) -> None:
    await refused(
        client.CreatePartner(pb.CreatePartnerRequest(name="P", webhook_url="http://evil.example/")),
        INVALID,
        "webhook_url",
    )
    await refused(
        client.CreatePartner(pb.CreatePartnerRequest(name="P", webhook_url="not a url")),
        INVALID,
        "webhook_url",
    )
    await refused(
        client.CreatePartner(pb.CreatePartnerRequest(name="", webhook_url="https://p.example")),
        INVALID,
        "name",
    )
    await refused(
        client.CreatePartner(
            pb.CreatePartnerRequest(name="P", webhook_url="https://p.example"), actor="partner:ptn_a"
        ),
        DENIED,
    )
    partner = await new_partner(client)
    await refused(
        client.UpdatePartner(
            pb.UpdatePartnerRequest(partner_id=partner.partner_id, name="mine"),
            actor=f"partner:{partner.partner_id}",
        ),
        DENIED,
    )
    await refused(
        client.UpdatePartner(pb.UpdatePartnerRequest(partner_id="ptn_nope", name="n")),
        NOT_FOUND,
        "partner_id",
    )
    await refused(client.GetPartner(pb.GetPartnerRequest(partner_id="ptn_nope")), NOT_FOUND, "partner_id")


# ---- merchants -------------------------------------------------------------------------------------------


async def test_create_merchant_defaults_fee_by_category_and_keeps_only_account_token(
    client: Client, db: asyncpg.Pool
) -> None:
    account = pb.BankAccountInput(
        account_number="6222 0212 3456 7890 123", account_name="Noodle Co", bank_name="ICBC"
    )
    merchant = await new_merchant(client, mcc="5411", settlement_account=account)
    assert merchant.status == pb.MERCHANT_STATUS_PENDING and merchant.merchant_id.startswith("mch_")
    assert merchant.fee_rate_bps == domain.ESSENTIAL.default_fee_bps == 38
    assert merchant.settlement_account.account_last4 == "0123"
    assert len(merchant.settlement_account.account_token) == 64
    restaurant = await new_merchant(client, mcc="5812")
    assert restaurant.fee_rate_bps == 125
    explicit = await new_merchant(client, mcc="5812", fee_rate_bps=0)
    assert explicit.fee_rate_bps == 0
    row = await db.fetchrow("SELECT * FROM merchants WHERE merchant_id = $1", merchant.merchant_id)
    assert "62220212345678" not in repr(dict(row)) and "6222 0212" not in repr(dict(row))
    # The same account number gives the same token (fraud checks), never the number.
    other = await new_merchant(client, settlement_account=account)
    assert other.settlement_account.account_token == merchant.settlement_account.account_token


async def test_merchant_account_shown_only_to_privileged_callers(client: Client) -> None:
    partner = await new_partner(client)
    merchant = await new_merchant(
        client,
        partner_id=partner.partner_id,
        settlement_account=pb.BankAccountInput(account_number="12345678", account_name="A", bank_name="B"),
    )
    request = pb.GetMerchantRequest(merchant_id=merchant.merchant_id)
    for who in (
        "admin",
        "service:settlement",
        f"partner:{partner.partner_id}",
        f"merchant:{merchant.merchant_id}",
    ):
        assert (await client.GetMerchant(request, actor=who)).settlement_account.account_last4 == "5678", who
    for who in ("consumer:c1", "partner:ptn_other", "merchant:mch_other"):
        seen = await client.GetMerchant(request, actor=who)
        assert not seen.HasField("settlement_account") and seen.display_name == "Noodle House", who


async def test_merchant_created_event_goes_through_outbox(client: Client, db: asyncpg.Pool) -> None:
    since = await outbox_seq(db)
    merchant = await new_merchant(
        client,
        settlement_account=pb.BankAccountInput(account_number="87654321", account_name="A", bank_name="B"),
    )
    row = await db.fetchrow("SELECT subject, payload FROM outbox WHERE seq > $1 ORDER BY seq LIMIT 1", since)
    assert row["subject"] == "merchant.merchant.created"
    envelope = envelope_pb2.Envelope.FromString(row["payload"])
    event = unpack(envelope, events_pb2.MerchantCreated)
    assert event.merchant.merchant_id == merchant.merchant_id
    assert not event.merchant.HasField("settlement_account")


async def test_status_machine_with_reasons_history_and_events(
    client: Client, db: asyncpg.Pool, refused
) -> None:
    merchant = await new_merchant(client)
    since = await outbox_seq(db)

    async def move(to: int, why: str, actor: str = "admin") -> pb.Merchant:
        return await client.ChangeMerchantStatus(
            pb.ChangeMerchantStatusRequest(merchant_id=merchant.merchant_id, to_status=to, reason=why),
            actor=actor,
        )

    change = lambda to: client.ChangeMerchantStatus(
        pb.ChangeMerchantStatusRequest(merchant_id=merchant.merchant_id, to_status=to, reason="r")
    )
    await refused(change(pb.MERCHANT_STATUS_SUSPENDED), PRECONDITION, "to_status")  # PENDING -> SUSPENDED
    await refused(change(pb.MERCHANT_STATUS_PENDING), PRECONDITION, "to_status")
    assert (await move(pb.MERCHANT_STATUS_ACTIVE, "kyc passed")).status == pb.MERCHANT_STATUS_ACTIVE
    await refused(change(pb.MERCHANT_STATUS_ACTIVE), PRECONDITION, "to_status")  # ACTIVE -> ACTIVE
    suspended = await move(pb.MERCHANT_STATUS_SUSPENDED, "chargeback spike")
    assert (suspended.status, suspended.status_reason) == (pb.MERCHANT_STATUS_SUSPENDED, "chargeback spike")
    assert (await move(pb.MERCHANT_STATUS_ACTIVE, "cleared")).status == pb.MERCHANT_STATUS_ACTIVE
    assert (await move(pb.MERCHANT_STATUS_CLOSED, "contract ended")).status == pb.MERCHANT_STATUS_CLOSED
    for to in (pb.MERCHANT_STATUS_ACTIVE, pb.MERCHANT_STATUS_SUSPENDED, pb.MERCHANT_STATUS_CLOSED):
        await refused(change(to), PRECONDITION, "to_status")  # CLOSED is terminal
    await refused(change(pb.MERCHANT_STATUS_UNSPECIFIED), INVALID, "to_status")
    await refused(
        client.ChangeMerchantStatus(
            pb.ChangeMerchantStatusRequest(
                merchant_id=merchant.merchant_id, to_status=pb.MERCHANT_STATUS_ACTIVE
            )
        ),
        INVALID,
        "reason",
    )
    await refused(
        client.UpdateMerchant(pb.UpdateMerchantRequest(merchant_id=merchant.merchant_id, display_name="x")),
        PRECONDITION,
        "merchant_id",
    )
    history = await db.fetch(
        "SELECT to_status, reason, actor FROM merchant_status_changes WHERE merchant_id = $1 ORDER BY seq",
        merchant.merchant_id,
    )
    assert [(r["to_status"], r["reason"]) for r in history] == [
        ("PENDING", "created"),
        ("ACTIVE", "kyc passed"),
        ("SUSPENDED", "chargeback spike"),
        ("ACTIVE", "cleared"),
        ("CLOSED", "contract ended"),
    ]
    assert await outbox_subjects(db, since) == [
        "merchant.merchant.activated",
        "merchant.merchant.suspended",
        "merchant.merchant.activated",
        "merchant.merchant.closed",
    ]


@pytest.mark.parametrize("start", list(domain.MerchantStatus))
@pytest.mark.parametrize("target", list(domain.MerchantStatus))
def test_transition_table(start: domain.MerchantStatus, target: domain.MerchantStatus) -> None:
    legal = {
        ("PENDING", "ACTIVE"),
        ("ACTIVE", "SUSPENDED"),
        ("SUSPENDED", "ACTIVE"),
        ("PENDING", "CLOSED"),
        ("ACTIVE", "CLOSED"),
        ("SUSPENDED", "CLOSED"),
    }
    if (start.value, target.value) in legal:
        domain.check_transition(start, target)
    else:
        with pytest.raises(domain.FailedPrecondition):
            domain.check_transition(start, target)


async def test_partner_owns_its_merchants_only(client: Client, refused) -> None:
    mine, theirs = await new_partner(client, "Mine"), await new_partner(client, "Theirs")
    me = f"partner:{mine.partner_id}"
    created = await new_merchant(client, actor=me)
    assert created.partner_id == mine.partner_id  # a partner's merchants are its own even if it names none
    await refused(
        client.CreateMerchant(
            pb.CreateMerchantRequest(
                legal_name="L",
                display_name="D",
                licence_id=licence(),
                mcc="5411",
                partner_id=theirs.partner_id,
            ),
            actor=me,
        ),
        DENIED,
        "partner_id",
    )
    foreign = await new_merchant(client, partner_id=theirs.partner_id)
    direct = await new_merchant(client)
    for target in (foreign, direct):
        await refused(
            client.UpdateMerchant(
                pb.UpdateMerchantRequest(merchant_id=target.merchant_id, display_name="x"), actor=me
            ),
            DENIED,
        )
        await refused(
            client.ChangeMerchantStatus(
                pb.ChangeMerchantStatusRequest(
                    merchant_id=target.merchant_id, to_status=pb.MERCHANT_STATUS_ACTIVE, reason="r"
                ),
                actor=me,
            ),
            DENIED,
        )
    for who in ("consumer:c1", "merchant:" + created.merchant_id, "service:gateway", "anonymous"):
        await refused(
            client.CreateMerchant(
                pb.CreateMerchantRequest(legal_name="L", display_name="D", licence_id=licence(), mcc="5411"),
                actor=who,
            ),
            DENIED,
        )
        await refused(
            client.UpdateMerchant(
                pb.UpdateMerchantRequest(merchant_id=created.merchant_id, display_name="x"), actor=who
            ),
            DENIED,
        )
    # The owning partner may change and activate its merchant, but only an admin lifts a suspension.
    renamed = await client.UpdateMerchant(
        pb.UpdateMerchantRequest(
            merchant_id=created.merchant_id, display_name="Mine Noodles", fee_rate_bps=55
        ),
        actor=me,
    )
    assert (renamed.display_name, renamed.fee_rate_bps) == ("Mine Noodles", 55)
    for to in (pb.MERCHANT_STATUS_ACTIVE, pb.MERCHANT_STATUS_SUSPENDED):
        await client.ChangeMerchantStatus(
            pb.ChangeMerchantStatusRequest(merchant_id=created.merchant_id, to_status=to, reason="r"),
            actor=me,
        )
    await refused(
        client.ChangeMerchantStatus(
            pb.ChangeMerchantStatusRequest(
                merchant_id=created.merchant_id, to_status=pb.MERCHANT_STATUS_ACTIVE, reason="r"
            ),
            actor=me,
        ),
        DENIED,
        "to_status",
    )


async def test_admin_names_unknown_partner(client: Client, refused) -> None:
    await refused(
        client.CreateMerchant(
            pb.CreateMerchantRequest(
                legal_name="L", display_name="D", licence_id=licence(), mcc="5411", partner_id="ptn_nope"
            )
        ),
        NOT_FOUND,
        "partner_id",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mcc": "581"}, "mcc"),
        ({"mcc": "58121"}, "mcc"),
        ({"mcc": "58a2"}, "mcc"),
        ({"mcc": ""}, "mcc"),
        ({"fee_rate_bps": 1001}, "fee_rate_bps"),
        ({"fee_rate_bps": -1}, "fee_rate_bps"),
        ({"legal_name": ""}, "legal_name"),
        ({"legal_name": "L" * 201}, "legal_name"),
        ({"display_name": " "}, "display_name"),
        ({"display_name": "D" * 101}, "display_name"),
        ({"display_name": "two\nlines"}, "display_name"),
        ({"licence_id": ""}, "licence_id"),
        ({"licence_id": "bad licence!"}, "licence_id"),
        (
            {
                "settlement_account": pb.BankAccountInput(
                    account_number="1234", account_name="A", bank_name="B"
                )
            },
            "settlement_account.account_number",
        ),
        (
            {
                "settlement_account": pb.BankAccountInput(
                    account_number="12345678x", account_name="A", bank_name="B"
                )
            },
            "settlement_account.account_number",
        ),
        (
            {
                "settlement_account": pb.BankAccountInput(
                    account_number="12345678", account_name="", bank_name="B"
                )
            },
            "settlement_account.account_name",
        ),
    ],
)
async def test_merchant_bad_input(client: Client, refused, changes: dict, field: str) -> None:
    request = {"legal_name": "L", "display_name": "D", "licence_id": licence(), "mcc": "5411", **changes}
    error = await refused(client.CreateMerchant(pb.CreateMerchantRequest(**request)), INVALID, field)
    assert "1234567" not in error.details()  # account numbers never echo back
    if field != "licence_id":
        merchant = await new_merchant(client)
        await refused(
            client.UpdateMerchant(pb.UpdateMerchantRequest(merchant_id=merchant.merchant_id, **changes)),
            INVALID,
            field,
        )


async def test_duplicate_licence_is_already_exists(client: Client, refused) -> None:
    merchant = await new_merchant(client)
    await refused(
        client.CreateMerchant(
            pb.CreateMerchantRequest(
                legal_name="Other", display_name="Other", licence_id=merchant.licence_id.lower(), mcc="5411"
            )
        ),
        grpc.StatusCode.ALREADY_EXISTS,
        "licence_id",
    )


async def test_unknown_merchant_ids(client: Client, refused) -> None:
    await refused(client.GetMerchant(pb.GetMerchantRequest(merchant_id="mch_nope")), NOT_FOUND, "merchant_id")
    await refused(
        client.UpdateMerchant(pb.UpdateMerchantRequest(merchant_id="mch_nope", display_name="x")),
        NOT_FOUND,
        "merchant_id",
    )
    await refused(
        client.ChangeMerchantStatus(
            pb.ChangeMerchantStatusRequest(
                merchant_id="mch_nope", to_status=pb.MERCHANT_STATUS_ACTIVE, reason="r"
            )
        ),
        NOT_FOUND,
        "merchant_id",
    )
    await refused(client.GetMerchant(pb.GetMerchantRequest(merchant_id="")), INVALID, "merchant_id")


async def test_update_merchant_emits_updated_and_changes_account(client: Client, db: asyncpg.Pool) -> None:
    merchant = await new_merchant(client)
    since = await outbox_seq(db)
    updated = await client.UpdateMerchant(
        pb.UpdateMerchantRequest(
            merchant_id=merchant.merchant_id,
            legal_name="New Legal",
            mcc="5411",
            fee_rate_bps=1000,
            settlement_account=pb.BankAccountInput(
                account_number="1111-2222-3333-4444", account_name="N", bank_name="BOC"
            ),
        )
    )
    assert (updated.legal_name, updated.mcc, updated.fee_rate_bps) == ("New Legal", "5411", 1000)
    assert updated.display_name == merchant.display_name
    assert updated.settlement_account.account_last4 == "4444"
    assert await outbox_subjects(db, since) == ["merchant.merchant.updated"]
    unchanged = await client.UpdateMerchant(pb.UpdateMerchantRequest(merchant_id=merchant.merchant_id))
    assert unchanged.fee_rate_bps == 1000 and await outbox_subjects(db, since) == [
        "merchant.merchant.updated"
    ]


async def test_list_merchants_filters_and_pages(client: Client, refused) -> None:
    partner = await new_partner(client)
    made = [
        await new_merchant(client, partner_id=partner.partner_id, mcc=mcc) for mcc in ("5812", "5411", "5812")
    ]
    await client.ChangeMerchantStatus(
        pb.ChangeMerchantStatusRequest(
            merchant_id=made[2].merchant_id, to_status=pb.MERCHANT_STATUS_ACTIVE, reason="ok"
        )
    )
    ids = lambda r: [m.merchant_id for m in r.merchants]
    by_partner = await client.ListMerchants(
        pb.ListMerchantsRequest(partner_id=partner.partner_id), actor="consumer:c1"
    )
    assert ids(by_partner) == [m.merchant_id for m in made]
    assert not any(m.HasField("settlement_account") for m in by_partner.merchants)
    restaurants = await client.ListMerchants(
        pb.ListMerchantsRequest(partner_id=partner.partner_id, mcc="5812")
    )
    assert ids(restaurants) == [made[0].merchant_id, made[2].merchant_id]
    active = await client.ListMerchants(
        pb.ListMerchantsRequest(partner_id=partner.partner_id, status=pb.MERCHANT_STATUS_ACTIVE)
    )
    assert ids(active) == [made[2].merchant_id]
    seen, token = [], ""
    while True:
        page = await client.ListMerchants(
            pb.ListMerchantsRequest(partner_id=partner.partner_id, page={"page_size": 2, "page_token": token})
        )
        seen += ids(page)
        token = page.page.next_page_token
        if not token:
            break
    assert seen == [m.merchant_id for m in made]
    await refused(client.ListMerchants(pb.ListMerchantsRequest(mcc="12")), INVALID, "mcc")
    await refused(client.ListMerchants(pb.ListMerchantsRequest(status=99)), INVALID, "status")


async def test_get_rates_for_settlement(client: Client, refused) -> None:
    mall = await new_mall(client, commission_bps=250)
    a, b = await new_merchant(client, mcc="5411"), await new_merchant(client, mcc="5812", fee_rate_bps=90)
    rates = await client.GetRates(
        pb.GetRatesRequest(
            merchant_ids=[b.merchant_id, "mch_nope", a.merchant_id], mall_ids=[mall.mall_id, "mal_nope"]
        ),
        actor="service:settlement",
    )
    assert [(r.merchant_id, r.fee_rate_bps, r.mcc) for r in rates.merchant_rates] == [
        (b.merchant_id, 90, "5812"),
        (a.merchant_id, 38, "5411"),
    ]
    assert [(r.mall_id, r.commission_bps) for r in rates.mall_rates] == [(mall.mall_id, 250)]
    assert list(rates.missing_merchant_ids) == ["mch_nope"] and list(rates.missing_mall_ids) == ["mal_nope"]
    await refused(
        client.GetRates(pb.GetRatesRequest(merchant_ids=[f"mch_{i}" for i in range(501)])),
        INVALID,
        "merchant_ids",
    )
