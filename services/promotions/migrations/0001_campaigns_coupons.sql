-- Campaigns: a budget pre-split into envelopes, a grab window, targeting and coupon terms.
CREATE TABLE campaigns (
  id                  text PRIMARY KEY,
  request_id          text NOT NULL UNIQUE,
  -- sha256 of the CreateCampaign request: a retry with another body under the same request id is refused.
  request_hash        text NOT NULL,
  name                text NOT NULL,
  status              text NOT NULL CHECK (status IN ('FUNDING', 'ACTIVE', 'EXHAUSTED', 'ENDED')),
  currency            text NOT NULL,
  budget              bigint NOT NULL CHECK (budget > 0),
  count               integer NOT NULL CHECK (count > 0),
  split               text NOT NULL CHECK (split IN ('FIXED', 'RANDOM')),
  min_amount          bigint NOT NULL,
  max_amount          bigint NOT NULL,
  seed                bigint NOT NULL,
  starts_at           timestamptz NOT NULL,
  ends_at             timestamptz NOT NULL CHECK (ends_at > starts_at),
  per_consumer_limit  integer NOT NULL CHECK (per_consumer_limit > 0),
  target_kind         text NOT NULL CHECK (target_kind IN ('EVERYONE', 'MALL', 'MERCHANTS', 'MCC')),
  target_mall_id      text NOT NULL DEFAULT '',
  target_merchant_ids text[] NOT NULL DEFAULT '{}',
  target_mccs         text[] NOT NULL DEFAULT '{}',
  discount_kind       text NOT NULL CHECK (discount_kind IN ('AMOUNT_OFF', 'PERCENT_OFF')),
  percent_off         integer NOT NULL DEFAULT 0 CHECK (percent_off BETWEEN 0 AND 100),
  min_spend           bigint NOT NULL DEFAULT 0 CHECK (min_spend >= 0),
  validity_days       integer NOT NULL CHECK (validity_days > 0),
  budget_account_id   text NOT NULL DEFAULT '',
  created_at          timestamptz NOT NULL DEFAULT now(),
  funded_at           timestamptz,
  exhausted_at        timestamptz,
  ended_at            timestamptz,
  end_reason          text NOT NULL DEFAULT '',
  -- What ending sends back to PLATFORM_MARKETING, fixed when the campaign ends; posted once.
  returned_amount     bigint NOT NULL DEFAULT 0 CHECK (returned_amount >= 0),
  return_posted_at    timestamptz
);
CREATE INDEX campaigns_open ON campaigns (ends_at) WHERE status IN ('ACTIVE', 'EXHAUSTED');
CREATE INDEX campaigns_pending_money ON campaigns (created_at)
  WHERE status = 'FUNDING' OR (status = 'ENDED' AND return_posted_at IS NULL);

-- The pre-split budget: one row per envelope; a grab claims one AVAILABLE row with SKIP LOCKED.
CREATE TABLE envelopes (
  campaign_id text NOT NULL REFERENCES campaigns (id),
  seq         integer NOT NULL,
  amount      bigint NOT NULL CHECK (amount > 0),
  state       text NOT NULL DEFAULT 'AVAILABLE' CHECK (state IN ('AVAILABLE', 'CLAIMED', 'WITHDRAWN')),
  coupon_id   text UNIQUE,
  PRIMARY KEY (campaign_id, seq),
  CHECK ((state = 'CLAIMED') = (coupon_id IS NOT NULL))
);
CREATE INDEX envelopes_available ON envelopes (campaign_id, seq) WHERE state = 'AVAILABLE';

-- Envelopes each consumer got per campaign; the row lock serialises one consumer's grabs.
CREATE TABLE consumer_grabs (
  campaign_id text NOT NULL REFERENCES campaigns (id),
  consumer_id text NOT NULL,
  grabbed     integer NOT NULL CHECK (grabbed >= 0),
  PRIMARY KEY (campaign_id, consumer_id)
);

CREATE TABLE coupons (
  id              text PRIMARY KEY,
  campaign_id     text NOT NULL REFERENCES campaigns (id),
  consumer_id     text NOT NULL,
  grab_request_id text NOT NULL,
  value           bigint NOT NULL CHECK (value > 0),
  currency        text NOT NULL,
  status          text NOT NULL CHECK (status IN ('ISSUED', 'RESERVED', 'REDEEMED', 'EXPIRED')),
  -- The trade holding (RESERVED) or having spent (REDEEMED) the coupon.
  trade_id        text,
  issued_at       timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (campaign_id, consumer_id, grab_request_id),
  CHECK ((status IN ('RESERVED', 'REDEEMED')) = (trade_id IS NOT NULL))
);
CREATE INDEX coupons_of_consumer ON coupons (consumer_id, id);
CREATE INDEX coupons_to_expire ON coupons (expires_at) WHERE status = 'ISSUED';
CREATE INDEX coupons_of_campaign ON coupons (campaign_id, status);

-- One trade's hold on one coupon; keyed by trade id so reserve / confirm / release are idempotent.
CREATE TABLE reservations (
  trade_id          text PRIMARY KEY,
  coupon_id         text NOT NULL REFERENCES coupons (id),
  campaign_id       text NOT NULL REFERENCES campaigns (id),
  consumer_id       text NOT NULL,
  status            text NOT NULL CHECK (status IN ('RESERVED', 'CONFIRMED', 'RELEASED')),
  currency          text NOT NULL,
  amount            bigint NOT NULL CHECK (amount > 0),
  discount          bigint NOT NULL CHECK (discount > 0 AND discount <= amount),
  budget_account_id text NOT NULL,
  store_id          text NOT NULL DEFAULT '',
  merchant_id       text NOT NULL DEFAULT '',
  expires_at        timestamptz NOT NULL,
  release_reason    text NOT NULL DEFAULT '',
  created_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz,
  -- Running totals of refunds of this trade and of the discount they gave back.
  refunded_amount   bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
  discount_returned bigint NOT NULL DEFAULT 0 CHECK (discount_returned >= 0 AND discount_returned <= discount)
);
CREATE UNIQUE INDEX reservations_one_hold_per_coupon ON reservations (coupon_id) WHERE status <> 'RELEASED';
CREATE INDEX reservations_to_release ON reservations (expires_at) WHERE status = 'RESERVED';
CREATE INDEX reservations_of_campaign ON reservations (campaign_id) WHERE status = 'CONFIRMED';

-- Each refund's share of a trade's discount, given back to the campaign budget.
CREATE TABLE discount_returns (
  refund_id         text PRIMARY KEY,
  trade_id          text NOT NULL REFERENCES reservations (trade_id),
  campaign_id       text NOT NULL REFERENCES campaigns (id),
  currency          text NOT NULL,
  amount            bigint NOT NULL CHECK (amount > 0),
  discount_returned bigint NOT NULL CHECK (discount_returned >= 0),
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX discount_returns_of_campaign ON discount_returns (campaign_id);
