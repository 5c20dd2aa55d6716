-- Consumers and their sessions. Passwords are argon2id hashes; refresh tokens are kept as SHA-256 only.
CREATE TABLE consumers (
  consumer_id       text PRIMARY KEY,
  phone             text NOT NULL UNIQUE,
  password_hash     text NOT NULL,
  wallet_account_id text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
  session_id   text PRIMARY KEY,
  consumer_id  text NOT NULL REFERENCES consumers,
  refresh_hash text NOT NULL UNIQUE,
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_consumer ON sessions (consumer_id);

-- One-time payment codes the POS scans from the shopper's phone: bound to one consumer, 60 s, one use.
CREATE TABLE payment_codes (
  code        text PRIMARY KEY,
  consumer_id text NOT NULL REFERENCES consumers,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  trade_id    text
);
CREATE INDEX payment_codes_expiry ON payment_codes (expires_at);

-- Nonces of signed requests, kept past the 5-minute window so a replay is refused.
CREATE TABLE request_nonces (
  key_id     text NOT NULL,
  nonce      text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (key_id, nonce)
);
CREATE INDEX request_nonces_expiry ON request_nonces (expires_at);

-- Idempotency-Key records of POST requests, per caller, kept 24 h.
CREATE TABLE idempotency_keys (
  scope           text NOT NULL,
  idem_key        text NOT NULL,
  request_hash    text NOT NULL,
  response_status int,
  response_body   bytea,
  locked_until    timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL,
  PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- Trades (orders). status is the public state machine; step is how far the payment saga got.
CREATE TABLE trades (
  trade_id        text PRIMARY KEY,
  merchant_id     text NOT NULL,
  store_id        text NOT NULL,
  mall_id         text NOT NULL DEFAULT '',
  consumer_id     text,
  partner_id      text NOT NULL DEFAULT '',
  out_trade_no    text,
  request_key     text,
  subject         text NOT NULL DEFAULT '',
  way             text NOT NULL,
  status          text NOT NULL CHECK (status IN ('WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_CLOSED', 'TRADE_FINISHED')),
  step            text NOT NULL CHECK (step IN ('CREATED', 'COUPON_RESERVED', 'FUNDS_POSTED', 'DONE', 'COMPENSATED')),
  currency        text NOT NULL DEFAULT 'CNY',
  amount          bigint NOT NULL CHECK (amount > 0),
  paid            bigint NOT NULL DEFAULT 0 CHECK (paid >= 0),
  discount        bigint NOT NULL DEFAULT 0 CHECK (discount >= 0),
  refunded        bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
  coupon_id       text NOT NULL DEFAULT '',
  campaign_id     text NOT NULL DEFAULT '',
  budget_account  text NOT NULL DEFAULT '',
  wallet_batch_id text NOT NULL DEFAULT '',
  card_id         text NOT NULL DEFAULT '',
  close_reason    text NOT NULL DEFAULT '',
  notify_url      text NOT NULL DEFAULT '',
  qr_payload      text NOT NULL DEFAULT '',
  attempts        int NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  paid_at         timestamptz,
  closed_at       timestamptz,
  finished_at     timestamptz
);
CREATE UNIQUE INDEX trades_out_trade_no ON trades (merchant_id, out_trade_no) WHERE out_trade_no IS NOT NULL;
CREATE UNIQUE INDEX trades_request_key ON trades (consumer_id, request_key) WHERE request_key IS NOT NULL;
CREATE INDEX trades_in_flight ON trades (updated_at) WHERE step IN ('CREATED', 'COUPON_RESERVED', 'FUNDS_POSTED');
CREATE INDEX trades_unpaid_expiry ON trades (expires_at) WHERE status = 'WAIT_BUYER_PAY';
CREATE INDEX trades_merchant ON trades (merchant_id, trade_id DESC);
CREATE INDEX trades_consumer ON trades (consumer_id, trade_id DESC);
CREATE INDEX trades_paid_at ON trades (paid_at) WHERE paid_at IS NOT NULL;

-- Refunds: the amount is reserved on the trade (trades.refunded) when the row is written, so concurrent
-- refunds can never exceed what was paid; a refund that cannot complete gives its amount back.
CREATE TABLE refunds (
  refund_id     text PRIMARY KEY,
  trade_id      text NOT NULL REFERENCES trades,
  out_refund_no text NOT NULL,
  amount        bigint NOT NULL CHECK (amount > 0),
  paid_part     bigint NOT NULL CHECK (paid_part >= 0),
  discount_part bigint NOT NULL CHECK (discount_part >= 0),
  reason        text NOT NULL DEFAULT '',
  status        text NOT NULL CHECK (status IN ('PENDING', 'FUNDS_RETURNED', 'SUCCEEDED', 'FAILED')),
  failure       text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  succeeded_at  timestamptz,
  UNIQUE (trade_id, out_refund_no)
);
CREATE INDEX refunds_in_flight ON refunds (updated_at) WHERE status IN ('PENDING', 'FUNDS_RETURNED');
CREATE INDEX refunds_succeeded_at ON refunds (succeeded_at) WHERE succeeded_at IS NOT NULL;

-- Where a merchant or partner wants its notifications (set through the REST API).
CREATE TABLE webhook_endpoints (
  owner_id   text PRIMARY KEY,
  url        text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Signed webhook notifications and the log of every delivery attempt.
CREATE TABLE notifications (
  notification_id  text PRIMARY KEY,
  owner_id         text NOT NULL,
  merchant_id      text NOT NULL,
  partner_id       text NOT NULL DEFAULT '',
  url              text NOT NULL,
  event_type       text NOT NULL,
  trade_id         text NOT NULL,
  body             bytea NOT NULL,
  status           text NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
  attempts         int NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  last_status_code int NOT NULL DEFAULT 0,
  last_error       text NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX notifications_trade ON notifications (merchant_id, trade_id);

CREATE TABLE notification_attempts (
  notification_id text NOT NULL REFERENCES notifications,
  attempt         int NOT NULL,
  attempted_at    timestamptz NOT NULL DEFAULT now(),
  status_code     int NOT NULL DEFAULT 0,
  error           text NOT NULL DEFAULT '',
  duration_ms     int NOT NULL DEFAULT 0,
  PRIMARY KEY (notification_id, attempt)
);
