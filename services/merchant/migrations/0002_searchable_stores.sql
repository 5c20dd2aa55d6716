-- Nearby search without touching the heap for candidates: the merchant's status and MCC are copied onto
-- its stores (kept in step by store.py in the same transaction as any merchant change), so one partial
-- GiST index holds exactly the searchable stores and, through INCLUDE, everything the candidate scan
-- needs (an index-only scan); only the final `limit` rows are read from the table.
ALTER TABLE stores
  ADD COLUMN merchant_active boolean NOT NULL DEFAULT false,
  ADD COLUMN mcc text NOT NULL DEFAULT '';

UPDATE stores s SET merchant_active = (m.status = 'ACTIVE'), mcc = m.mcc
FROM merchants m WHERE m.merchant_id = s.merchant_id;

DROP INDEX stores_active_location;
CREATE INDEX stores_searchable_location ON stores USING gist (location) INCLUDE (store_id, open_minutes, mcc)
  WHERE status = 'ACTIVE' AND merchant_active;
