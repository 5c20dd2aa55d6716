-- Settlement: clearing entries, per-MCC fee rules, daily batches, payouts, reconciliation.

-- Minimum fee per MCC ('*' = every other MCC); the rate itself comes from the merchant directory.
CREATE TABLE fee_rules (
  mcc text PRIMARY KEY,
  min_fee bigint NOT NULL DEFAULT 0 CHECK (min_fee >= 0)
);
INSERT INTO fee_rules (mcc, min_fee) VALUES ('*', 0);

-- What settlement knows of each merchant: refreshed from the merchant directory, used for payouts.
CREATE TABLE merchants (
  merchant_id text PRIMARY KEY,
  mcc text NOT NULL DEFAULT '',
  fee_rate_bps int NOT NULL,
  bank_name text NOT NULL DEFAULT '',
  refreshed_at timestamptz NOT NULL DEFAULT now()
);

-- One row per trade or refund cleared. A refund's gross is the refunded amount (positive); its fee and
-- commission are what it returns. net is the signed effect on the merchant. No unique key on trade_id on
-- purpose: the consumer refuses a second entry, and reconciliation reports any duplicate that slips in.
CREATE TABLE clearing_entries (
  entry_id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('trade', 'refund')),
  trade_id text COLLATE "C" NOT NULL,
  refund_id text NOT NULL DEFAULT '',
  event_id text NOT NULL,
  merchant_id text COLLATE "C" NOT NULL,
  store_id text NOT NULL DEFAULT '',
  mall_id text NOT NULL DEFAULT '',
  currency text NOT NULL,
  gross bigint NOT NULL CHECK (gross > 0),
  paid bigint NOT NULL CHECK (paid >= 0),
  discount bigint NOT NULL CHECK (discount >= 0),
  fee bigint NOT NULL CHECK (fee >= 0),
  commission bigint NOT NULL CHECK (commission >= 0),
  net bigint NOT NULL,
  fee_rate_bps int NOT NULL,
  min_fee bigint NOT NULL DEFAULT 0,
  commission_bps int NOT NULL DEFAULT 0,
  mcc text NOT NULL DEFAULT '',
  rounding_e4 bigint NOT NULL DEFAULT 0,
  wallet_batch_id text NOT NULL DEFAULT '',
  occurred_at timestamptz NOT NULL,
  business_date date NOT NULL,
  -- The day whose batch takes the entry: business_date, or the next open day when that one was settled.
  batch_date date NOT NULL,
  late boolean NOT NULL DEFAULT false,
  cleared_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clearing_entries_batch ON clearing_entries (batch_date, merchant_id);
CREATE INDEX clearing_entries_trade ON clearing_entries (trade_id);
CREATE INDEX clearing_entries_day ON clearing_entries (business_date);

-- Trades that closed: unpaid ones never reach a batch; reconciliation expects no money for them.
CREATE TABLE trade_closures (
  trade_id text PRIMARY KEY,
  merchant_id text NOT NULL,
  store_id text NOT NULL DEFAULT '',
  mall_id text NOT NULL DEFAULT '',
  reason text NOT NULL DEFAULT '',
  refunded boolean NOT NULL,
  closed_at timestamptz NOT NULL,
  event_id text NOT NULL
);

-- A day whose amounts are frozen (computed); 'posted' once every batch is in the ledger and files are out.
CREATE TABLE settlement_days (
  business_date date PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('computed', 'posted')),
  entry_count int NOT NULL,
  late_count int NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now(),
  posted_at timestamptz
);

CREATE TABLE batches (
  batch_id text PRIMARY KEY,
  merchant_id text NOT NULL,
  business_date date NOT NULL REFERENCES settlement_days,
  currency text NOT NULL,
  status text NOT NULL CHECK (status IN ('computed', 'posted')),
  trade_count int NOT NULL,
  refund_count int NOT NULL,
  late_count int NOT NULL,
  gross bigint NOT NULL,
  refunds bigint NOT NULL,
  discounts bigint NOT NULL,
  fees bigint NOT NULL,
  commission bigint NOT NULL,
  net bigint NOT NULL,
  carry_in bigint NOT NULL CHECK (carry_in <= 0),
  payout bigint NOT NULL CHECK (payout >= 0),
  carry_out bigint NOT NULL CHECK (carry_out <= 0),
  rounding_e4 bigint NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now(),
  posted_at timestamptz,
  UNIQUE (merchant_id, business_date),
  CHECK (gross - refunds - fees - commission = net),
  CHECK (payout + carry_out = net + carry_in)
);
CREATE INDEX batches_day ON batches (business_date, merchant_id);

CREATE TABLE batch_malls (
  batch_id text NOT NULL REFERENCES batches,
  mall_id text NOT NULL,
  commission bigint NOT NULL,
  PRIMARY KEY (batch_id, mall_id)
);

CREATE TABLE payouts (
  payout_id text PRIMARY KEY,
  batch_id text NOT NULL REFERENCES batches,
  merchant_id text NOT NULL,
  business_date date NOT NULL,
  currency text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  bank_name text NOT NULL DEFAULT '',
  status text NOT NULL CHECK (status IN ('pending', 'sent', 'paid', 'failed')),
  attempt int NOT NULL DEFAULT 1,
  file_name text NOT NULL DEFAULT '',
  failure_reason text NOT NULL DEFAULT '',
  requeued_payout_id text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (batch_id, attempt)
);
CREATE INDEX payouts_pending ON payouts (status) WHERE status = 'pending';

-- What the gateway and the wallet said about one day, loaded before each reconciliation of that day.
-- Ids use the "C" collation (bytewise): the day's sorts and joins over a million ids stay cheap.
CREATE UNLOGGED TABLE recon_gateway (
  business_date date NOT NULL,
  subject_kind text COLLATE "C" NOT NULL,
  subject_id text COLLATE "C" NOT NULL,
  trade_id text COLLATE "C" NOT NULL,
  merchant_id text COLLATE "C" NOT NULL,
  amount bigint NOT NULL
);
CREATE INDEX recon_gateway_day ON recon_gateway (business_date);
CREATE UNLOGGED TABLE recon_ledger (
  business_date date NOT NULL,
  subject_kind text COLLATE "C" NOT NULL,
  subject_id text COLLATE "C" NOT NULL,
  trade_id text COLLATE "C" NOT NULL,
  merchant_id text COLLATE "C" NOT NULL,
  amount bigint NOT NULL
);
CREATE INDEX recon_ledger_day ON recon_ledger (business_date);

CREATE TABLE discrepancies (
  discrepancy_id text PRIMARY KEY,
  business_date date NOT NULL,
  subject_kind text NOT NULL,
  subject_id text NOT NULL,
  trade_id text NOT NULL,
  merchant_id text NOT NULL DEFAULT '',
  kind text NOT NULL,
  reason text NOT NULL,
  currency text NOT NULL DEFAULT 'CNY',
  gateway_amount bigint,
  ledger_amount bigint,
  clearing_amount bigint,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  resolution text NOT NULL DEFAULT '',
  resolved_by text NOT NULL DEFAULT '',
  found_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  UNIQUE (business_date, subject_kind, subject_id, kind)
);
CREATE INDEX discrepancies_open ON discrepancies (business_date) WHERE status = 'open';
