-- Wallet ledger: accounts, balance slots, immutable transfers, cards, top-ups, and the simulated bank.
-- Balances are signed (credits - debits); every rule is enforced inside create_transfers /
-- finish_pending under row locks taken in one global order (account_id, slot), so no interleaving of
-- concurrent calls can break them. Errors use SQLSTATE WL400/WL404/WL409/WL412 (INVALID_ARGUMENT,
-- NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION) with DETAIL = reason and HINT = request field.

CREATE TABLE accounts (
  id             text PRIMARY KEY,
  kind           smallint NOT NULL,
  owner_id       text NOT NULL,
  currency       text NOT NULL,
  allow_negative boolean NOT NULL,
  -- Hot accounts spread their balance over several rows; see docs/wallet.md "Hot accounts".
  slots          smallint NOT NULL CHECK (slots BETWEEN 1 AND 256),
  frozen         boolean NOT NULL DEFAULT false,
  frozen_reason  text NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, owner_id, currency)
);

-- The balance of an account is the sum over its slot rows; a single row may be negative, the sum may not
-- (unless allow_negative).
CREATE TABLE balances (
  account_id      text NOT NULL REFERENCES accounts (id),
  slot            smallint NOT NULL,
  posted          bigint NOT NULL DEFAULT 0,
  pending_debits  bigint NOT NULL DEFAULT 0,
  pending_credits bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, slot)
) WITH (fillfactor = 50);

-- Immutable apart from the state columns of a pending transfer (state, posted_amount, finished_by).
-- No foreign keys to accounts on purpose: a FK check takes a KEY SHARE lock on the account row, and on a
-- hot merchant that one row would become the serialisation point the slots avoid.
CREATE TABLE transfers (
  id                text PRIMARY KEY,
  batch_id          text NOT NULL,
  batch_seq         smallint NOT NULL,
  type              smallint NOT NULL,   -- 1 single phase, 2 pending, 3 post pending, 4 void pending
  state             smallint NOT NULL,   -- 1 posted, 2 pending, 3 voided, 4 expired
  debit_account_id  text NOT NULL,
  credit_account_id text NOT NULL,
  amount            bigint NOT NULL CHECK (amount > 0),
  currency          text NOT NULL,
  code              integer NOT NULL,
  reference         text NOT NULL,
  metadata          jsonb NOT NULL,
  timeout_seconds   integer NOT NULL,
  expires_at        timestamptz,
  pending_id        text,
  posted_amount     bigint NOT NULL DEFAULT 0,
  finished_by       text,
  debit_slot        smallint NOT NULL,
  credit_slot       smallint NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (debit_account_id <> credit_account_id)
);
CREATE UNIQUE INDEX transfers_batch ON transfers (batch_id, batch_seq);
CREATE INDEX transfers_debit_entries ON transfers (debit_account_id, created_at, id);
CREATE INDEX transfers_credit_entries ON transfers (credit_account_id, created_at, id);
CREATE INDEX transfers_by_time ON transfers (created_at, id);
CREATE INDEX transfers_expiring ON transfers (expires_at) WHERE state = 2 AND expires_at IS NOT NULL;

CREATE TABLE cards (
  id          text PRIMARY KEY,
  account_id  text NOT NULL REFERENCES accounts (id),
  bank        text NOT NULL,
  bank_token  text NOT NULL,
  last4       text NOT NULL,
  brand       smallint NOT NULL,
  holder_name text NOT NULL,
  expiry      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, bank, bank_token)
);

CREATE TABLE topups (
  request_id     text PRIMARY KEY,
  kind           smallint NOT NULL,  -- 1 top-up, 2 pay from card (shortfall)
  card_id        text NOT NULL REFERENCES cards (id),
  account_id     text NOT NULL REFERENCES accounts (id),
  requested      bigint NOT NULL,
  charged        bigint NOT NULL,
  currency       text NOT NULL,
  state          smallint NOT NULL,  -- 1 pending, 2 succeeded, 3 failed
  failure_reason text NOT NULL DEFAULT '',
  transfer_id    text NOT NULL DEFAULT '',
  attempts       integer NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX topups_pending ON topups (updated_at) WHERE state = 1;

-- The simulated bank's own books (it stands for an external system: it never sees our transactions).
CREATE TABLE sim_bank_cards (
  token      text PRIMARY KEY,
  scenario   text NOT NULL,
  last4      text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sim_bank_charges (
  request_id text PRIMARY KEY,
  token      text NOT NULL,
  amount     bigint NOT NULL,
  currency   text NOT NULL,
  outcome    text NOT NULL,  -- SUCCEEDED | INSUFFICIENT_FUNDS | DECLINED
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION wallet_error(code text, reason text, field text, message text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message, DETAIL = reason, HINT = field;
END $$;

-- A batch of linked transfers, all-or-nothing, applied in order. Returns the stored transfers; when the
-- batch id or any transfer id is already known nothing is applied and the stored rows come back with
-- replayed = true (the caller compares bodies). Events (already serialised by the caller) are written
-- to the outbox only when the batch applies.
CREATE FUNCTION create_transfers(
  p_batch_id text, p_ids text[], p_debits text[], p_credits text[], p_amounts bigint[],
  p_currencies text[], p_codes integer[], p_refs text[], p_metadata jsonb[], p_pending boolean[],
  p_timeouts integer[], p_event_ids text[], p_subjects text[], p_payloads bytea[], p_headers jsonb
) RETURNS TABLE (replayed boolean, transfer transfers)
LANGUAGE plpgsql AS $$
DECLARE
  n integer := cardinality(p_ids);
  i integer;
  d accounts;
  c accounts;
  d_slot smallint[] := '{}';
  c_slot smallint[] := '{}';
  d_check boolean[] := '{}';
  d_many boolean[] := '{}';
  lock_acc text[] := '{}';
  lock_slot smallint[] := '{}';
  frozen_id text;
  frozen_at integer;
  avail bigint;
BEGIN
  IF EXISTS (SELECT 1 FROM transfers t WHERE t.batch_id = p_batch_id OR t.id = ANY (p_ids)) THEN
    RETURN QUERY SELECT true, t FROM transfers t
      WHERE t.batch_id = p_batch_id OR t.id = ANY (p_ids) ORDER BY t.batch_id = p_batch_id DESC, t.batch_seq;
    RETURN;
  END IF;

  FOR i IN 1 .. n LOOP
    SELECT * INTO d FROM accounts WHERE id = p_debits[i];
    IF NOT FOUND THEN
      PERFORM wallet_error('WL404', 'ACCOUNT_NOT_FOUND', format('transfers[%s].debit_account_id', i - 1),
                           format('debit account %s does not exist', p_debits[i]));
    END IF;
    SELECT * INTO c FROM accounts WHERE id = p_credits[i];
    IF NOT FOUND THEN
      PERFORM wallet_error('WL404', 'ACCOUNT_NOT_FOUND', format('transfers[%s].credit_account_id', i - 1),
                           format('credit account %s does not exist', p_credits[i]));
    END IF;
    IF d.currency <> p_currencies[i] OR c.currency <> p_currencies[i] THEN
      PERFORM wallet_error('WL400', 'CURRENCY_MISMATCH', format('transfers[%s].amount.currency', i - 1),
                           format('transfer in %s between accounts in %s and %s', p_currencies[i], d.currency,
                                  c.currency));
    END IF;
    -- A debit that must not overdraw locks every slot of its account (to sum them); other legs lock one.
    d_check := d_check || NOT d.allow_negative;
    d_many := d_many || (d.slots > 1 AND NOT d.allow_negative);
    d_slot := d_slot || CASE WHEN NOT d.allow_negative THEN 0 ELSE floor(random() * d.slots) END::smallint;
    c_slot := c_slot || floor(random() * c.slots)::smallint;
    IF d.slots > 1 AND NOT d.allow_negative THEN
      lock_acc := lock_acc || array_fill(d.id, ARRAY[d.slots::integer]);
      lock_slot := lock_slot || ARRAY(SELECT generate_series(0, d.slots - 1)::smallint);
    ELSE
      lock_acc := lock_acc || d.id;
      lock_slot := lock_slot || d_slot[i];
    END IF;
    lock_acc := lock_acc || c.id;
    lock_slot := lock_slot || c_slot[i];
  END LOOP;

  PERFORM 1 FROM balances b
    JOIN (SELECT DISTINCT * FROM unnest(lock_acc, lock_slot) AS l (acc, slot)) l
      ON b.account_id = l.acc AND b.slot = l.slot
    ORDER BY b.account_id, b.slot
    FOR UPDATE OF b;

  -- Read after the locks: FreezeAccount locks the same rows, so a freeze is either seen here or waits.
  SELECT a.id INTO frozen_id FROM accounts a WHERE a.id = ANY (p_debits) AND a.frozen LIMIT 1;
  IF frozen_id IS NOT NULL THEN
    frozen_at := array_position(p_debits, frozen_id);
    PERFORM wallet_error('WL412', 'ACCOUNT_FROZEN', format('transfers[%s].debit_account_id', frozen_at - 1),
                         format('account %s is frozen', frozen_id));
  END IF;

  FOR i IN 1 .. n LOOP
    IF p_pending[i] THEN
      UPDATE balances SET pending_debits = pending_debits + p_amounts[i]
        WHERE account_id = p_debits[i] AND slot = d_slot[i]
        RETURNING posted - pending_debits INTO avail;
      UPDATE balances SET pending_credits = pending_credits + p_amounts[i]
        WHERE account_id = p_credits[i] AND slot = c_slot[i];
    ELSE
      UPDATE balances SET posted = posted - p_amounts[i]
        WHERE account_id = p_debits[i] AND slot = d_slot[i]
        RETURNING posted - pending_debits INTO avail;
      UPDATE balances SET posted = posted + p_amounts[i]
        WHERE account_id = p_credits[i] AND slot = c_slot[i];
    END IF;
    IF d_many[i] THEN
      SELECT sum(b.posted - b.pending_debits) INTO avail FROM balances b WHERE b.account_id = p_debits[i];
    END IF;
    IF d_check[i] AND avail < 0 THEN
      PERFORM wallet_error('WL412', 'INSUFFICIENT_FUNDS', format('transfers[%s].amount.amount', i - 1),
                           format('account %s lacks %s %s', p_debits[i], -avail, p_currencies[i]));
    END IF;
  END LOOP;

  IF cardinality(p_event_ids) > 0 THEN
    INSERT INTO outbox (event_id, subject, payload, headers)
      SELECT e.id, e.subject, e.payload, p_headers FROM unnest(p_event_ids, p_subjects, p_payloads) AS e (id, subject, payload);
  END IF;

  RETURN QUERY
    WITH ins AS (
      INSERT INTO transfers (id, batch_id, batch_seq, type, state, debit_account_id, credit_account_id, amount,
                             currency, code, reference, metadata, timeout_seconds, expires_at, debit_slot,
                             credit_slot)
      SELECT u.id, p_batch_id, u.ord - 1, CASE WHEN u.pending THEN 2 ELSE 1 END,
             CASE WHEN u.pending THEN 2 ELSE 1 END, u.debit, u.credit, u.amount, u.currency, u.code, u.ref,
             u.metadata, u.timeout,
             CASE WHEN u.pending AND u.timeout > 0 THEN now() + make_interval(secs => u.timeout) END,
             u.d_slot, u.c_slot
      FROM unnest(p_ids, p_debits, p_credits, p_amounts, p_currencies, p_codes, p_refs, p_metadata, p_pending,
                  p_timeouts, d_slot, c_slot)
           WITH ORDINALITY AS u (id, debit, credit, amount, currency, code, ref, metadata, pending, timeout,
                                 d_slot, c_slot, ord)
      RETURNING *
    )
    SELECT false, ROW(ins.*)::transfers FROM ins ORDER BY ins.batch_seq;
END $$;

-- Finish a pending transfer: p_action 3 = post (p_amount, null = all), 4 = void, 0 = expire (worker).
-- Post and void create transfer p_id; a known p_id returns the stored row with replayed = true.
-- Expiry creates no transfer and is a no-op unless the hold is still pending and past its timeout.
CREATE FUNCTION finish_pending(
  p_id text, p_pending_id text, p_action smallint, p_amount bigint, p_currency text,
  p_event_ids text[], p_subjects text[], p_payloads bytea[], p_headers jsonb
) RETURNS TABLE (replayed boolean, transfer transfers)
LANGUAGE plpgsql AS $$
DECLARE
  p transfers;
  done transfers;
  post_amount bigint;
  debit_frozen boolean;
BEGIN
  IF p_action <> 0 THEN
    SELECT * INTO done FROM transfers WHERE id = p_id;
    IF FOUND THEN
      RETURN QUERY SELECT true, done;
      RETURN;
    END IF;
  END IF;

  SELECT * INTO p FROM transfers WHERE id = p_pending_id FOR UPDATE;
  IF NOT FOUND OR p.type <> 2 THEN
    PERFORM wallet_error('WL404', 'PENDING_NOT_FOUND', 'pending_id',
                         format('no pending transfer %s', p_pending_id));
  END IF;
  IF p_action = 0 THEN
    IF p.state <> 2 OR p.expires_at IS NULL OR p.expires_at > now() THEN
      RETURN;
    END IF;
  ELSIF p.state = 1 THEN
    PERFORM wallet_error('WL412', 'PENDING_ALREADY_POSTED', 'pending_id',
                         format('pending transfer %s was already posted by %s', p.id, p.finished_by));
  ELSIF p.state = 3 THEN
    PERFORM wallet_error('WL412', 'PENDING_VOIDED', 'pending_id',
                         format('pending transfer %s was voided by %s', p.id, p.finished_by));
  ELSIF p.state = 4 OR (p.expires_at IS NOT NULL AND p.expires_at <= now()) THEN
    PERFORM wallet_error('WL412', 'PENDING_EXPIRED', 'pending_id',
                         format('pending transfer %s expired at %s', p.id, p.expires_at));
  END IF;

  post_amount := CASE WHEN p_action = 3 THEN coalesce(p_amount, p.amount) ELSE 0 END;
  IF p_action = 3 THEN
    IF p_currency IS NOT NULL AND p_currency <> p.currency THEN
      PERFORM wallet_error('WL400', 'CURRENCY_MISMATCH', 'amount.currency',
                           format('the hold is in %s', p.currency));
    END IF;
    IF post_amount > p.amount THEN
      PERFORM wallet_error('WL400', 'EXCEEDS_PENDING', 'amount.amount',
                           format('cannot post %s of a hold of %s', post_amount, p.amount));
    END IF;
  END IF;

  PERFORM 1 FROM balances b
    WHERE (b.account_id = p.debit_account_id AND b.slot = p.debit_slot)
       OR (b.account_id = p.credit_account_id AND b.slot = p.credit_slot)
    ORDER BY b.account_id, b.slot
    FOR UPDATE OF b;
  IF p_action = 3 THEN
    SELECT a.frozen INTO debit_frozen FROM accounts a WHERE a.id = p.debit_account_id;
    IF debit_frozen THEN
      PERFORM wallet_error('WL412', 'ACCOUNT_FROZEN', 'pending_id',
                           format('account %s is frozen', p.debit_account_id));
    END IF;
  END IF;

  -- Posting moves post_amount and releases the whole hold; available never drops, so no funds check.
  UPDATE balances SET posted = posted - post_amount, pending_debits = pending_debits - p.amount
    WHERE account_id = p.debit_account_id AND slot = p.debit_slot;
  UPDATE balances SET posted = posted + post_amount, pending_credits = pending_credits - p.amount
    WHERE account_id = p.credit_account_id AND slot = p.credit_slot;
  UPDATE transfers SET state = CASE p_action WHEN 3 THEN 1 WHEN 4 THEN 3 ELSE 4 END,
                       posted_amount = post_amount,
                       finished_by = CASE WHEN p_action = 0 THEN NULL ELSE p_id END
    WHERE id = p.id
    RETURNING * INTO p;

  IF cardinality(p_event_ids) > 0 THEN
    INSERT INTO outbox (event_id, subject, payload, headers)
      SELECT e.id, e.subject, e.payload, p_headers FROM unnest(p_event_ids, p_subjects, p_payloads) AS e (id, subject, payload);
  END IF;

  IF p_action = 0 THEN
    RETURN QUERY SELECT false, p;
    RETURN;
  END IF;
  RETURN QUERY
    WITH ins AS (
      INSERT INTO transfers (id, batch_id, batch_seq, type, state, debit_account_id, credit_account_id, amount,
                             currency, code, reference, metadata, timeout_seconds, pending_id, debit_slot,
                             credit_slot)
      VALUES (p_id, p_id, 0, p_action, CASE WHEN p_action = 3 THEN 1 ELSE 3 END, p.debit_account_id,
              p.credit_account_id, CASE WHEN p_action = 3 THEN post_amount ELSE p.amount END, p.currency,
              p.code, p.reference, p.metadata, 0, p.id, p.debit_slot, p.credit_slot)
      RETURNING *
    )
    SELECT false, ROW(ins.*)::transfers FROM ins;
END $$;
