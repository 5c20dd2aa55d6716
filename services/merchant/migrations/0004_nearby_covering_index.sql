-- The nearby search's ranking step reads every column a NearbyStore shows from this index (an index-only
-- scan), instead of looking up each of the `limit` nearest stores by primary key and reading it from the
-- table: a fifth less PostgreSQL time per search. Same predicate as stores_searchable_location, which stays
-- for the KNN candidate step: its narrow entries keep that scan cheap. lat and lng are the point's own
-- coordinates and status is ACTIVE by the predicate, so neither is included.
CREATE INDEX stores_searchable_covering ON stores USING gist (location)
  INCLUDE (store_id, open_minutes, mcc, merchant_id, mall_id, name, address, city, hours, create_time, update_time)
  WHERE status = 'ACTIVE' AND merchant_active;
