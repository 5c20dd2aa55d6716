"""The gateway's per-process cache: a full cache drops its oldest entry, not everything."""

from __future__ import annotations

from services.gateway.clients import TtlCache


def test_a_full_cache_evicts_only_the_oldest_entry() -> None:
    cache: TtlCache[str, int] = TtlCache(ttl=60.0, size=3)
    for i, key in enumerate("abc"):
        cache.put(key, i)
    cache.put("a", 10)  # a refresh of a present key evicts nothing
    cache.put("d", 3)
    assert [cache.get(k) for k in "abcd"] == [None, 1, 2, 3]


def test_expired_entries_are_misses() -> None:
    cache: TtlCache[str, int] = TtlCache(ttl=60.0)
    cache.put("gone", 1, ttl=-1.0)
    cache.put("kept", 2)
    assert cache.get("gone") is None and cache.get("kept") == 2
