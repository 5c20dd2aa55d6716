-- Sub-budgets: a campaign's money sits in several wallet PROMOTIONS_BUDGET accounts instead of one, because
-- every discounted payment debits the budget and the wallet locks the debited balance row to keep it >= 0:
-- one account made all discounted payments of a campaign commit one at a time. Envelope `seq` belongs to
-- sub-budget `(seq - 1) % sub_budgets`, and each sub-budget is funded with exactly the sum of its envelopes,
-- so it can always pay the coupons drawn from it.
ALTER TABLE campaigns ADD COLUMN sub_budgets integer NOT NULL DEFAULT 1 CHECK (sub_budgets BETWEEN 1 AND 64);

CREATE TABLE budget_accounts (
  campaign_id     text NOT NULL REFERENCES campaigns (id),
  k               integer NOT NULL CHECK (k >= 0),
  -- The wallet account's owner id (`<campaign id>:<k>`; the campaign id itself for campaigns made before
  -- sub-budgets) and the stem of its transfer ids (`<owner>.fund`, `.return`, `.settle`).
  owner_id        text NOT NULL UNIQUE,
  funded_amount   bigint NOT NULL CHECK (funded_amount > 0),
  -- Set once the wallet account is opened.
  account_id      text,
  -- This sub-budget's part of the campaign's end return and settlement, fixed before they are posted.
  returned_amount bigint CHECK (returned_amount >= 0),
  settled_amount  bigint CHECK (settled_amount >= 0),
  PRIMARY KEY (campaign_id, k)
);

-- Campaigns made before sub-budgets have one: their existing account, under their old transfer ids.
INSERT INTO budget_accounts (campaign_id, k, owner_id, funded_amount, account_id, returned_amount, settled_amount)
SELECT id, 0, id, budget, NULLIF(budget_account_id, ''),
       CASE WHEN status = 'ENDED' THEN returned_amount END, settled_amount
FROM campaigns;

-- The sub-budget a coupon draws on: reservations hand it to the gateway as the account to debit.
ALTER TABLE coupons ADD COLUMN budget_account_id text NOT NULL DEFAULT '';
UPDATE coupons k SET budget_account_id = c.budget_account_id FROM campaigns c WHERE c.id = k.campaign_id;
