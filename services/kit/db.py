"""Per-service PostgreSQL access: provisioning of role and schema, and the asyncpg pool."""

from __future__ import annotations

from typing import Any

import asyncpg

from .config import ConfigError, Settings, dsn_with_user, role_name


async def connect_admin(dsn: str, timeout: float = 10.0) -> asyncpg.Connection:
    """Connect with the administrative DSN, turning connection failures into a ConfigError."""
    try:
        return await asyncpg.connect(dsn, timeout=timeout)
    except (TimeoutError, OSError) as exc:
        raise ConfigError(f"PostgreSQL unreachable at {_where(dsn)}: {exc}") from exc
    except asyncpg.PostgresError as exc:
        raise ConfigError(f"PostgreSQL refused the connection at {_where(dsn)}: {exc}") from exc


def _where(dsn: str) -> str:
    return dsn.split("@")[-1]


async def provision_service(admin: asyncpg.Connection, service: str, password: str = "") -> None:
    """Create the service's login role and schema (idempotent); the role owns only its schema."""
    role = role_name(service)
    quoted_password = password.replace("'", "''")
    await admin.execute(
        f"""
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
            CREATE ROLE {role} LOGIN{f" PASSWORD '{quoted_password}'" if password else ""};
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$;
        """
    )
    database = await admin.fetchval("SELECT current_database()")
    await admin.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO {role}')
    await admin.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    await admin.execute(f"CREATE SCHEMA IF NOT EXISTS {service} AUTHORIZATION {role}")
    await admin.execute(f"REVOKE ALL ON SCHEMA {service} FROM PUBLIC")
    await admin.execute(f"ALTER ROLE {role} SET search_path = {service}")


async def _init_connection(conn: asyncpg.Connection, schema: str) -> None:
    await conn.execute(f"SET search_path = {schema}")


async def _release(conn: asyncpg.Connection) -> None:
    """Only undo an unfinished transaction on release: asyncpg's default reset costs a round trip per acquire,
    and services keep no other session state (no LISTEN, no session advisory locks, no SET)."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def create_pool(settings: Settings, min_size: int = 1, max_size: int | None = None) -> asyncpg.Pool:
    """A pool logged in as the service's own role with search_path on its own schema."""
    dsn = settings.service_dsn()
    try:
        return await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size or settings.db_pool_max,
            timeout=10,
            init=lambda conn: _init_connection(conn, settings.schema),
            reset=_release,
            max_inactive_connection_lifetime=60,
            # A busy connection is never idle, and its cached generic plans are costed for the table sizes of
            # when it made them: a service started on an empty database kept sequential-scan plans for tables
            # that grew (docs/wallet.md, Performance). Renewing each connection after 10,000 statements
            # re-plans at today's sizes, at the cost of one reconnect per 10,000 statements.
            max_queries=10_000,
            server_settings={"application_name": f"scanpay-{settings.service}"},
        )
    except (TimeoutError, OSError) as exc:
        raise ConfigError(f"PostgreSQL unreachable at {_where(dsn)}: {exc}") from exc
    except asyncpg.PostgresError as exc:
        raise ConfigError(f"PostgreSQL refused role {settings.role} at {_where(dsn)}: {exc}") from exc


def record_to_dict(record: asyncpg.Record | None) -> dict[str, Any] | None:
    return dict(record) if record is not None else None


__all__ = ["connect_admin", "create_pool", "dsn_with_user", "provision_service", "record_to_dict"]
