"""Settings from SCANPAY_* environment variables, with defaults that work on a laptop."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

SERVICES: tuple[str, ...] = ("merchant", "wallet", "promotions", "settlement", "gateway")

# DESIGN.md "Local ports": gRPC per service; metrics at 9100 + the same offset.
GRPC_PORTS: dict[str, int] = {
    "gateway": 50050,
    "merchant": 50051,
    "wallet": 50052,
    "promotions": 50053,
    "settlement": 50054,
}
HTTP_PORT_GATEWAY = 8080


def _env(name: str, default: str) -> str:
    return os.environ.get(f"SCANPAY_{name}", default)


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"SCANPAY_{name} must be an integer, got {raw!r}") from exc


class ConfigError(Exception):
    """Bad configuration; reported as one line, not a traceback."""


@dataclass(frozen=True)
class Settings:
    service: str
    pg_dsn: str
    nats_url: str
    grpc_host: str
    grpc_port: int
    metrics_port: int
    http_port: int
    log_level: str
    trace_exporter: str
    otlp_endpoint: str
    internal_token: str
    db_password: str
    db_pool_max: int
    drain_seconds: float
    addresses: dict[str, str] = field(default_factory=dict)

    @property
    def role(self) -> str:
        return role_name(self.service)

    @property
    def schema(self) -> str:
        return self.service

    def service_dsn(self) -> str:
        """The DSN of this service's own login role (rights on its own schema only)."""
        return dsn_with_user(self.pg_dsn, self.role, self.db_password)


def role_name(service: str) -> str:
    return f"scanpay_{service}"


def dsn_with_user(dsn: str, user: str, password: str = "") -> str:
    parts = urlsplit(dsn)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = quote(user) + (f":{quote(password)}" if password else "") + "@" + host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def service_address(service: str) -> str:
    default_port = GRPC_PORTS[service]
    return _env(f"{service.upper()}_ADDR", f"127.0.0.1:{_env_int(f'{service.upper()}_GRPC_PORT', default_port)}")


def load(service: str) -> Settings:
    if service not in SERVICES:
        raise ConfigError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
    offset = GRPC_PORTS[service] - 50050
    pg_dsn = _env("PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    if not pg_dsn.startswith(("postgresql://", "postgres://")):
        raise ConfigError(f"SCANPAY_PG_DSN must be a postgresql:// URL, got {pg_dsn.split('@')[-1]!r}")
    return Settings(
        service=service,
        pg_dsn=pg_dsn,
        nats_url=_env("NATS_URL", "nats://127.0.0.1:4222"),
        grpc_host=_env("GRPC_HOST", "127.0.0.1"),
        grpc_port=_env_int(f"{service.upper()}_GRPC_PORT", GRPC_PORTS[service]),
        metrics_port=_env_int(f"{service.upper()}_METRICS_PORT", 9100 + offset),
        http_port=_env_int("GATEWAY_HTTP_PORT", HTTP_PORT_GATEWAY),
        log_level=_env("LOG_LEVEL", "info"),
        trace_exporter=_env("TRACE_EXPORTER", "none"),
        otlp_endpoint=_env("OTLP_ENDPOINT", "http://127.0.0.1:4317"),
        internal_token=_env("INTERNAL_TOKEN", "dev-internal-token"),
        db_password=_env(f"{service.upper()}_DB_PASSWORD", ""),
        db_pool_max=_env_int("DB_POOL_MAX", 10),
        drain_seconds=float(_env("DRAIN_SECONDS", "10")),
        addresses={name: service_address(name) for name in SERVICES},
    )
