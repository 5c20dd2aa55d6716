-- The replay check of create_transfers as two exact index lookups. `batch_id = $1 OR id = ANY($2)` under
-- EXISTS let the generic plan that plpgsql caches pick a sequential scan of all transfers (it expects an early
-- match), which made every transfer cost O(ledger size): 15 ms at 86,000 transfers. A stored batch always
-- has batch_seq 0, so the batch test is one probe of the unique (batch_id, batch_seq) index; the ids go to
-- the primary key. The body is otherwise unchanged from 0001.

CREATE OR REPLACE FUNCTION create_transfers(
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
  IF EXISTS (SELECT 1 FROM transfers t WHERE t.batch_id = p_batch_id AND t.batch_seq = 0)
     OR EXISTS (SELECT 1 FROM transfers t WHERE t.id = ANY (p_ids)) THEN
    RETURN QUERY SELECT true, k FROM (
        SELECT t FROM transfers t WHERE t.batch_id = p_batch_id
        UNION
        SELECT t FROM transfers t WHERE t.id = ANY (p_ids)
      ) known (k)
      ORDER BY (k).batch_id = p_batch_id DESC, (k).batch_seq;
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
