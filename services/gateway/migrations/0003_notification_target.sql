-- Where a trade's notification goes, in one place for every statement that writes one: the trade's notify_url
-- (owned by its partner, else its merchant), else the endpoint the partner set, else the merchant's, else the
-- partner's webhook_url from the merchant directory (looked up by the caller, '' when none). No row: nowhere.
CREATE FUNCTION notification_target(notify_url text, partner_id text, merchant_id text, directory_url text)
RETURNS TABLE (owner_id text, url text) LANGUAGE sql STABLE AS $$
  SELECT candidate.owner_id, candidate.url FROM (
    SELECT 1 AS rank, COALESCE(NULLIF($2, ''), $3) AS owner_id, $1 AS url WHERE $1 <> ''
    UNION ALL
    SELECT 2, e.owner_id, e.url FROM webhook_endpoints e WHERE $2 <> '' AND e.owner_id = $2 AND e.url <> ''
    UNION ALL
    SELECT 3, e.owner_id, e.url FROM webhook_endpoints e WHERE e.owner_id = $3 AND e.url <> ''
    UNION ALL
    SELECT 4, $2, $4 WHERE $2 <> '' AND $4 <> ''
  ) AS candidate
  ORDER BY candidate.rank LIMIT 1
$$;
