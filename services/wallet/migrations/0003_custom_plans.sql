-- The ledger functions plan their statements for each call. plpgsql caches a generic plan after five calls,
-- and a pooled connection that made its first calls while the ledger was new keeps a plan costed for an
-- empty table (a sequential scan) until autovacuum's first ANALYZE of transfers invalidates it; until then
-- every call scanned the whole ledger (tests/wallet/test_wallet_plans.py). Custom plans see the table's
-- real size every time, at a few tens of microseconds of planning per statement.
ALTER FUNCTION create_transfers(text, text[], text[], text[], bigint[], text[], integer[], text[], jsonb[],
                                boolean[], integer[], text[], text[], bytea[], jsonb)
  SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION finish_pending(text, text, smallint, bigint, text, text[], text[], bytea[], jsonb)
  SET plan_cache_mode = force_custom_plan;
