-- Refund ids compare bytewise like the other ids: reconciliation groups by them with the trade ids.
ALTER TABLE clearing_entries ALTER COLUMN refund_id TYPE text COLLATE "C";
