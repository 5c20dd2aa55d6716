"""Who is calling: the actor travels in gRPC metadata between services; internal calls carry a token."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from .errors import PermissionDenied

ACTOR_HEADER = "x-scanpay-actor"
TOKEN_HEADER = "authorization"
REQUEST_ID_HEADER = "x-request-id"


@dataclass(frozen=True)
class Actor:
    """kind: admin | partner | merchant | consumer | service | anonymous."""

    kind: str
    id: str = ""

    def header(self) -> str:
        return f"{self.kind}:{self.id}" if self.id else self.kind

    @classmethod
    def parse(cls, raw: str | None) -> Actor:
        if not raw:
            return ANONYMOUS
        kind, _, ident = raw.partition(":")
        return cls(kind=kind, id=ident)

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"


ANONYMOUS = Actor("anonymous")
ADMIN = Actor("admin")
current_actor: ContextVar[Actor] = ContextVar("current_actor", default=ANONYMOUS)


def actor() -> Actor:
    return current_actor.get()


def require_admin() -> Actor:
    who = actor()
    if not who.is_admin:
        raise PermissionDenied(f"{who.header()} is not a platform admin")
    return who


def require_admin_or_partner(partner_id: str | None) -> Actor:
    """Admins may act on anything; a partner only on what it owns (partner_id)."""
    who = actor()
    if who.is_admin or (who.kind == "partner" and partner_id and who.id == partner_id):
        return who
    raise PermissionDenied(f"{who.header()} may not change this resource")
