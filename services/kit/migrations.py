"""Numbered SQL migrations per service, applied under an advisory lock and checksummed.

Each service keeps `services/<service>/migrations/NNNN_name.sql`. The kit's own migrations (outbox and
inbox tables) run first in every service schema, recorded as `kit/NNNN_name.sql`.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path

import asyncpg

SERVICES_DIR = Path(__file__).resolve().parents[1]
KIT_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class MigrationError(Exception):
    pass


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def _read_dir(directory: Path, prefix: str) -> list[Migration]:
    if not directory.is_dir():
        return []
    files = sorted(p for p in directory.glob("*.sql") if p.name[:4].isdigit())
    return [Migration(f"{prefix}/{p.name}", p.read_text()) for p in files]


def discover(service: str, directory: Path | None = None) -> list[Migration]:
    own = directory or SERVICES_DIR / service / "migrations"
    return _read_dir(KIT_MIGRATIONS, "kit") + _read_dir(own, service)


def advisory_key(schema: str) -> int:
    """A stable 63-bit key per schema so replicas of one service take the same lock."""
    return zlib.crc32(f"scanpay-migrate:{schema}".encode())


async def migrate(conn: asyncpg.Connection, schema: str, migrations: list[Migration]) -> list[str]:
    """Apply pending migrations in order; returns the names applied. Refuses a changed applied file."""
    await conn.execute("SELECT pg_advisory_lock($1)", advisory_key(schema))
    try:
        await conn.execute(f"SET search_path = {schema}")
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
              name text PRIMARY KEY,
              checksum text NOT NULL,
              applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        applied = {r["name"]: r["checksum"] for r in await conn.fetch("SELECT name, checksum FROM schema_migrations")}
        _refuse_changed(migrations, applied)
        done: list[str] = []
        for migration in migrations:
            if migration.name in applied:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
                    migration.name,
                    migration.checksum,
                )
            done.append(migration.name)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", advisory_key(schema))


def _refuse_changed(migrations: list[Migration], applied: dict[str, str]) -> None:
    for migration in migrations:
        recorded = applied.get(migration.name)
        if recorded is not None and recorded != migration.checksum:
            raise MigrationError(
                f"migration {migration.name} was changed after it was applied "
                f"(recorded checksum {recorded[:12]}, file {migration.checksum[:12]}); add a new migration instead"
            )
