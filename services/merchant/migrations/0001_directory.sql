-- The merchant directory: malls, partners, merchants, stores, credentials.

CREATE TABLE malls (
  mall_id        text PRIMARY KEY,
  name           text NOT NULL,
  operator_name  text NOT NULL,
  city           text NOT NULL,
  commission_bps integer NOT NULL CHECK (commission_bps BETWEEN 0 AND 3000),
  create_time    timestamptz NOT NULL DEFAULT now(),
  update_time    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX malls_by_city ON malls (city, mall_id);

CREATE TABLE partners (
  partner_id  text PRIMARY KEY,
  name        text NOT NULL,
  webhook_url text NOT NULL,
  status      text NOT NULL CHECK (status IN ('ACTIVE', 'SUSPENDED')),
  create_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);

-- The settlement account is kept as an HMAC token and its last 4 digits, never the number.
CREATE TABLE merchants (
  merchant_id   text PRIMARY KEY,
  legal_name    text NOT NULL,
  display_name  text NOT NULL,
  licence_id    text NOT NULL UNIQUE,
  mcc           text NOT NULL CHECK (mcc ~ '^[0-9]{4}$'),
  fee_rate_bps  integer NOT NULL CHECK (fee_rate_bps BETWEEN 0 AND 1000),
  status        text NOT NULL CHECK (status IN ('PENDING', 'ACTIVE', 'SUSPENDED', 'CLOSED')),
  status_reason text NOT NULL DEFAULT '',
  partner_id    text REFERENCES partners,
  account_token text,
  account_last4 text CHECK (account_last4 ~ '^[0-9]{4}$'),
  account_name  text,
  bank_name     text,
  create_time   timestamptz NOT NULL DEFAULT now(),
  update_time   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX merchants_by_partner ON merchants (partner_id, merchant_id);
CREATE INDEX merchants_by_status ON merchants (status, merchant_id);
CREATE INDEX merchants_by_mcc ON merchants (mcc, merchant_id);

-- Every status change with its reason and who made it.
CREATE TABLE merchant_status_changes (
  seq         bigserial PRIMARY KEY,
  merchant_id text NOT NULL REFERENCES merchants,
  from_status text,
  to_status   text NOT NULL,
  reason      text NOT NULL,
  actor       text NOT NULL,
  change_time timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX merchant_status_changes_by_merchant ON merchant_status_changes (merchant_id, seq);

-- location is point(lng, lat) for the GiST bounding-box search (core PostgreSQL, no extension);
-- open_minutes holds the weekly opening hours as minute-of-week ranges in Asia/Shanghai time.
CREATE TABLE stores (
  store_id     text PRIMARY KEY,
  merchant_id  text NOT NULL REFERENCES merchants,
  mall_id      text REFERENCES malls,
  name         text NOT NULL,
  address      text NOT NULL DEFAULT '',
  city         text NOT NULL,
  lat          double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lng          double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
  location     point GENERATED ALWAYS AS (point(lng, lat)) STORED,
  hours        jsonb NOT NULL DEFAULT '[]'::jsonb,
  open_minutes int4multirange NOT NULL,
  status       text NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE')),
  create_time  timestamptz NOT NULL DEFAULT now(),
  update_time  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stores_by_merchant ON stores (merchant_id, store_id);
CREATE INDEX stores_by_mall ON stores (mall_id, store_id);
CREATE INDEX stores_by_city ON stores (city, store_id);
CREATE INDEX stores_active_location ON stores USING gist (location) WHERE status = 'ACTIVE';

-- The secret is derived from the KEK, the key id and salt (services/merchant/domain.py); only the salt
-- and the SHA-256 fingerprint of the secret are stored.
CREATE TABLE credentials (
  key_id              text PRIMARY KEY,
  owner_kind          text NOT NULL CHECK (owner_kind IN ('MERCHANT', 'PARTNER')),
  owner_id            text NOT NULL,
  salt                bytea NOT NULL,
  fingerprint         text NOT NULL,
  create_time         timestamptz NOT NULL DEFAULT now(),
  expire_time         timestamptz,
  revoke_time         timestamptz,
  revoke_reason       text NOT NULL DEFAULT '',
  rotated_from_key_id text REFERENCES credentials,
  replaced_by_key_id  text REFERENCES credentials
);
CREATE INDEX credentials_by_owner ON credentials (owner_kind, owner_id, key_id);
