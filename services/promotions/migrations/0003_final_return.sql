-- What an ended campaign's account still holds once no coupon can be spent any more (coupons that expired
-- after the end, the unused part of percent-off coupons, refunded discounts) goes back to
-- PLATFORM_MARKETING in one last transfer: the amount is fixed here before it is posted, so a retry posts
-- the same transfer.
ALTER TABLE campaigns
  ADD COLUMN settled_amount bigint CHECK (settled_amount >= 0),
  ADD COLUMN settled_at timestamptz;
CREATE INDEX campaigns_to_settle ON campaigns (ended_at) WHERE status = 'ENDED' AND settled_at IS NULL;
