"""Credentials: issue once, verify HMAC signatures inside the service, rotate with overlap, revoke, list."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

import asyncpg
import grpc
import pytest
from google.protobuf import timestamp_pb2

from services.gen.scanpay.events.v1 import envelope_pb2
from services.gen.scanpay.merchant.v1 import events_pb2
from services.gen.scanpay.merchant.v1 import merchant_pb2 as pb
from services.kit.events import unpack
from services.merchant import domain

from .conftest import Client, new_merchant, new_partner, outbox_seq, outbox_subjects

INVALID = grpc.StatusCode.INVALID_ARGUMENT
DENIED = grpc.StatusCode.PERMISSION_DENIED
NOT_FOUND = grpc.StatusCode.NOT_FOUND
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
MERCHANT = pb.OWNER_KIND_MERCHANT
PARTNER = pb.OWNER_KIND_PARTNER
REQUEST = b'POST\n/v1/precreate\n1767225600\n{"amount":1200}'


def sign(secret: str, message: bytes = REQUEST) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def verify(
    client: Client, key_id: str, signature: str, message: bytes = REQUEST
) -> pb.VerifySignatureResponse:
    return await client.VerifySignature(
        pb.VerifySignatureRequest(key_id=key_id, signing_string=message, signature=signature),
        actor="service:gateway",
    )


async def issue(
    client: Client, kind: int, owner_id: str, actor: str = "admin", **kw
) -> pb.CreateCredentialResponse:
    return await client.CreateCredential(
        pb.CreateCredentialRequest(owner_kind=kind, owner_id=owner_id, **kw), actor=actor
    )


async def test_secret_shown_once_stored_as_salt_and_fingerprint_only(
    client: Client, db: asyncpg.Pool
) -> None:
    merchant = await new_merchant(client, active=True)
    issued = await issue(client, MERCHANT, merchant.merchant_id)
    key = issued.credential
    assert key.key_id.startswith("key_") and issued.secret.startswith("sps_") and len(issued.secret) > 40
    assert (key.owner_kind, key.owner_id, key.status) == (
        MERCHANT,
        merchant.merchant_id,
        pb.CREDENTIAL_STATUS_ACTIVE,
    )
    assert key.fingerprint == hashlib.sha256(issued.secret.encode()).hexdigest()[:16]
    row = await db.fetchrow("SELECT * FROM credentials WHERE key_id = $1", key.key_id)
    assert issued.secret.encode() not in repr(dict(row)).encode() and issued.secret[4:] not in repr(dict(row))
    looked = await client.LookupCredential(
        pb.LookupCredentialRequest(key_id=key.key_id), actor="service:gateway"
    )
    assert looked.owner_id == merchant.merchant_id and looked.owner_status == "ACTIVE"
    assert "secret" not in str(looked).lower()
    listed = await client.ListCredentials(
        pb.ListCredentialsRequest(owner_kind=MERCHANT, owner_id=merchant.merchant_id)
    )
    assert [c.key_id for c in listed.credentials] == [key.key_id]


async def test_verify_signature_hex_and_base64_and_failures(client: Client) -> None:
    merchant = await new_merchant(client, active=True)
    issued = await issue(client, MERCHANT, merchant.merchant_id)
    key_id = issued.credential.key_id
    digest = hmac.new(issued.secret.encode(), REQUEST, hashlib.sha256).digest()
    for signature in (
        digest.hex(),
        digest.hex().upper(),
        base64.b64encode(digest).decode(),
        base64.urlsafe_b64encode(digest).decode().rstrip("="),
    ):
        ok = await verify(client, key_id, signature)
        assert ok.valid and ok.failure == pb.VERIFY_FAILURE_UNSPECIFIED, signature
        assert ok.credential.owner_id == merchant.merchant_id and ok.cache_ttl_seconds == 30
    bad = await verify(client, key_id, sign(issued.secret, REQUEST + b" "))
    assert (bad.valid, bad.failure, bad.cache_ttl_seconds) == (False, pb.VERIFY_FAILURE_BAD_SIGNATURE, 0)
    assert (await verify(client, key_id, "not-a-signature")).failure == pb.VERIFY_FAILURE_BAD_SIGNATURE
    assert (await verify(client, key_id, "")).failure == pb.VERIFY_FAILURE_BAD_SIGNATURE
    unknown = await verify(client, "key_nope", sign(issued.secret))
    assert (unknown.valid, unknown.failure) == (False, pb.VERIFY_FAILURE_UNKNOWN_KEY)
    other = await issue(client, MERCHANT, merchant.merchant_id)
    assert (
        await verify(client, other.credential.key_id, sign(issued.secret))
    ).failure == pb.VERIFY_FAILURE_BAD_SIGNATURE


async def test_rotation_keeps_old_key_for_the_overlap_then_expires_it(
    client: Client, db: asyncpg.Pool, refused
) -> None:
    partner = await new_partner(client)
    merchant = await new_merchant(client, partner_id=partner.partner_id, active=True)
    owner = f"partner:{partner.partner_id}"
    old = await issue(client, MERCHANT, merchant.merchant_id, actor=owner)
    rotated = await client.RotateCredential(
        pb.RotateCredentialRequest(key_id=old.credential.key_id, overlap_seconds=3600), actor=owner
    )
    new = rotated.credential
    assert new.key_id != old.credential.key_id and rotated.secret != old.secret
    assert new.rotated_from_key_id == old.credential.key_id
    assert rotated.previous.replaced_by_key_id == new.key_id
    overlap = rotated.previous.expire_time.ToDatetime() - new.create_time.ToDatetime()
    assert timedelta(minutes=59) < overlap <= timedelta(minutes=60, seconds=1)
    # During the overlap both keys verify.
    assert (await verify(client, old.credential.key_id, sign(old.secret))).valid
    assert (await verify(client, new.key_id, sign(rotated.secret))).valid
    # A rotated key cannot be rotated again.
    await refused(
        client.RotateCredential(pb.RotateCredentialRequest(key_id=old.credential.key_id)),
        PRECONDITION,
        "key_id",
    )
    # When the overlap is over, the old key is EXPIRED.
    await db.execute(
        "UPDATE credentials SET expire_time = now() - interval '1 second' WHERE key_id = $1",
        old.credential.key_id,
    )
    expired = await verify(client, old.credential.key_id, sign(old.secret))
    assert (expired.valid, expired.failure, expired.credential.status) == (
        False,
        pb.VERIFY_FAILURE_EXPIRED,
        pb.CREDENTIAL_STATUS_EXPIRED,
    )
    assert (await verify(client, new.key_id, sign(rotated.secret))).valid
    active = await client.ListCredentials(
        pb.ListCredentialsRequest(owner_kind=MERCHANT, owner_id=merchant.merchant_id), actor=owner
    )
    assert [c.key_id for c in active.credentials] == [new.key_id]
    everything = await client.ListCredentials(
        pb.ListCredentialsRequest(owner_kind=MERCHANT, owner_id=merchant.merchant_id, include_inactive=True),
        actor=owner,
    )
    assert [c.key_id for c in everything.credentials] == [old.credential.key_id, new.key_id]
    # Zero overlap retires the old key at once.
    again = await client.RotateCredential(pb.RotateCredentialRequest(key_id=new.key_id, overlap_seconds=0))
    assert (await verify(client, new.key_id, sign(rotated.secret))).failure == pb.VERIFY_FAILURE_EXPIRED
    assert (await verify(client, again.credential.key_id, sign(again.secret))).valid


async def test_revocation_is_immediate_emits_event_and_is_idempotent(
    client: Client, db: asyncpg.Pool, refused
) -> None:
    merchant = await new_merchant(client, active=True)
    issued = await issue(client, MERCHANT, merchant.merchant_id)
    key_id = issued.credential.key_id
    since = await outbox_seq(db)
    revoked = await client.RevokeCredential(
        pb.RevokeCredentialRequest(key_id=key_id, reason="leaked in a log")
    )
    assert (revoked.status, revoked.revoke_reason) == (pb.CREDENTIAL_STATUS_REVOKED, "leaked in a log")
    answer = await verify(client, key_id, sign(issued.secret))
    assert (answer.valid, answer.failure) == (False, pb.VERIFY_FAILURE_REVOKED)
    row = await db.fetchrow("SELECT subject, payload FROM outbox WHERE seq > $1", since)
    assert row["subject"] == "merchant.credential.revoked"
    event = unpack(envelope_pb2.Envelope.FromString(row["payload"]), events_pb2.CredentialRevoked)
    assert (event.key_id, event.owner_kind, event.owner_id, event.reason) == (
        key_id,
        MERCHANT,
        merchant.merchant_id,
        "leaked in a log",
    )
    again = await client.RevokeCredential(pb.RevokeCredentialRequest(key_id=key_id, reason="second time"))
    assert again.revoke_reason == "leaked in a log" and await outbox_subjects(db, since) == [
        "merchant.credential.revoked"
    ]
    await refused(client.RotateCredential(pb.RotateCredentialRequest(key_id=key_id)), PRECONDITION, "key_id")
    await refused(client.RevokeCredential(pb.RevokeCredentialRequest(key_id=key_id)), INVALID, "reason")


async def test_closing_a_merchant_revokes_all_its_keys(client: Client, db: asyncpg.Pool, refused) -> None:
    merchant = await new_merchant(client, active=True)
    keys = [await issue(client, MERCHANT, merchant.merchant_id) for _ in range(2)]
    since = await outbox_seq(db)
    await client.ChangeMerchantStatus(
        pb.ChangeMerchantStatusRequest(
            merchant_id=merchant.merchant_id, to_status=pb.MERCHANT_STATUS_CLOSED, reason="fraud"
        )
    )
    assert (
        await outbox_subjects(db, since) == ["merchant.merchant.closed"] + ["merchant.credential.revoked"] * 2
    )
    for key in keys:
        assert (
            await verify(client, key.credential.key_id, sign(key.secret))
        ).failure == pb.VERIFY_FAILURE_REVOKED
    await refused(issue(client, MERCHANT, merchant.merchant_id), PRECONDITION, "owner_id")


async def test_suspended_merchant_key_verifies_but_suspended_partner_key_does_not(client: Client) -> None:
    merchant = await new_merchant(client, active=True)
    m_key = await issue(client, MERCHANT, merchant.merchant_id)
    await client.ChangeMerchantStatus(
        pb.ChangeMerchantStatusRequest(
            merchant_id=merchant.merchant_id, to_status=pb.MERCHANT_STATUS_SUSPENDED, reason="risk"
        )
    )
    answer = await verify(client, m_key.credential.key_id, sign(m_key.secret))
    assert answer.valid and answer.credential.owner_status == "SUSPENDED"
    partner = await new_partner(client)
    p_key = await issue(client, PARTNER, partner.partner_id, actor=f"partner:{partner.partner_id}")
    assert (await verify(client, p_key.credential.key_id, sign(p_key.secret))).valid
    await client.UpdatePartner(
        pb.UpdatePartnerRequest(partner_id=partner.partner_id, status=pb.PARTNER_STATUS_SUSPENDED)
    )
    answer = await verify(client, p_key.credential.key_id, sign(p_key.secret))
    assert (answer.valid, answer.failure) == (False, pb.VERIFY_FAILURE_OWNER_INACTIVE)


async def test_credential_authorisation(client: Client, refused) -> None:
    partner, other = await new_partner(client), await new_partner(client)
    merchant = await new_merchant(client, partner_id=partner.partner_id)
    direct = await new_merchant(client)
    key = await issue(client, MERCHANT, merchant.merchant_id, actor=f"partner:{partner.partner_id}")
    stranger = f"partner:{other.partner_id}"
    for who in (stranger, f"merchant:{merchant.merchant_id}", "consumer:c1", "service:gateway"):
        await refused(issue(client, MERCHANT, merchant.merchant_id, actor=who), DENIED)
        await refused(
            client.RotateCredential(pb.RotateCredentialRequest(key_id=key.credential.key_id), actor=who),
            DENIED,
        )
        await refused(
            client.RevokeCredential(
                pb.RevokeCredentialRequest(key_id=key.credential.key_id, reason="r"), actor=who
            ),
            DENIED,
        )
        await refused(
            client.ListCredentials(
                pb.ListCredentialsRequest(owner_kind=MERCHANT, owner_id=merchant.merchant_id), actor=who
            ),
            DENIED,
        )
    await refused(issue(client, MERCHANT, direct.merchant_id, actor=f"partner:{partner.partner_id}"), DENIED)
    await refused(issue(client, PARTNER, partner.partner_id, actor=stranger), DENIED)
    for who in ("consumer:c1", f"merchant:{merchant.merchant_id}", f"partner:{partner.partner_id}"):
        await refused(
            client.LookupCredential(pb.LookupCredentialRequest(key_id=key.credential.key_id), actor=who),
            DENIED,
        )
        await refused(
            client.VerifySignature(
                pb.VerifySignatureRequest(
                    key_id=key.credential.key_id, signing_string=REQUEST, signature=sign(key.secret)
                ),
                actor=who,
            ),
            DENIED,
        )
    assert (
        await client.LookupCredential(
            pb.LookupCredentialRequest(key_id=key.credential.key_id), actor="anonymous"
        )
    ).key_id


async def test_credential_bad_input_and_unknown_ids(client: Client, refused) -> None:
    merchant = await new_merchant(client)
    await refused(issue(client, pb.OWNER_KIND_UNSPECIFIED, merchant.merchant_id), INVALID, "owner_kind")
    await refused(issue(client, MERCHANT, ""), INVALID, "owner_id")
    await refused(issue(client, MERCHANT, "mch_nope"), NOT_FOUND, "owner_id")
    await refused(issue(client, PARTNER, "ptn_nope"), NOT_FOUND, "owner_id")
    past = timestamp_pb2.Timestamp(seconds=1_600_000_000)
    await refused(issue(client, MERCHANT, merchant.merchant_id, expire_time=past), INVALID, "expire_time")
    key = await issue(client, MERCHANT, merchant.merchant_id)
    for overlap in (-1, 604_801):
        await refused(
            client.RotateCredential(
                pb.RotateCredentialRequest(key_id=key.credential.key_id, overlap_seconds=overlap)
            ),
            INVALID,
            "overlap_seconds",
        )
    await refused(client.RotateCredential(pb.RotateCredentialRequest(key_id="key_nope")), NOT_FOUND, "key_id")
    await refused(
        client.RevokeCredential(pb.RevokeCredentialRequest(key_id="key_nope", reason="r")),
        NOT_FOUND,
        "key_id",
    )
    await refused(client.LookupCredential(pb.LookupCredentialRequest(key_id="key_nope")), NOT_FOUND, "key_id")
    await refused(
        client.ListCredentials(pb.ListCredentialsRequest(owner_kind=MERCHANT, owner_id="mch_nope")),
        NOT_FOUND,
        "owner_id",
    )
    await refused(
        client.ListCredentials(pb.ListCredentialsRequest(owner_kind=0, owner_id=merchant.merchant_id)),
        INVALID,
        "owner_kind",
    )


async def test_expiry_set_at_creation_is_enforced(client: Client, db: asyncpg.Pool) -> None:
    merchant = await new_merchant(client, active=True)
    soon = timestamp_pb2.Timestamp()
    soon.FromDatetime(domain.utcnow() + timedelta(days=30))
    key = await issue(client, MERCHANT, merchant.merchant_id, expire_time=soon)
    assert key.credential.expire_time.seconds == soon.seconds
    assert (await verify(client, key.credential.key_id, sign(key.secret))).valid
    await db.execute("UPDATE credentials SET expire_time = now() WHERE key_id = $1", key.credential.key_id)
    assert (
        await verify(client, key.credential.key_id, sign(key.secret))
    ).failure == pb.VERIFY_FAILURE_EXPIRED


def test_secret_is_derived_from_kek_key_id_and_salt() -> None:
    salt = b"\x01" * 16
    a = domain.derive_secret(b"kek-1", "key_a", salt)
    assert a == domain.derive_secret(b"kek-1", "key_a", salt)
    assert (
        len(
            {
                a,
                domain.derive_secret(b"kek-2", "key_a", salt),
                domain.derive_secret(b"kek-1", "key_b", salt),
                domain.derive_secret(b"kek-1", "key_a", b"\x02" * 16),
            }
        )
        == 4
    )


@pytest.mark.parametrize("signature", ["", "zz", "a" * 63, base64.b64encode(b"x" * 31).decode(), "%%%%"])
def test_malformed_signatures_never_match(signature: str) -> None:
    assert not domain.signature_matches("sps_secret", REQUEST, signature)
