-- Activation requests: a partner asks the platform to review a PENDING merchant; an admin decides.
CREATE TABLE activation_requests (
  request_id      text PRIMARY KEY,
  merchant_id     text NOT NULL,
  partner_id      text NOT NULL,
  note            text NOT NULL DEFAULT '',
  status          text NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED')),
  requested_at    timestamptz NOT NULL DEFAULT now(),
  decided_at      timestamptz,
  decided_by      text NOT NULL DEFAULT '',
  decision_reason text NOT NULL DEFAULT ''
);
-- At most one open request per merchant: asking again returns the open one.
CREATE UNIQUE INDEX activation_requests_open ON activation_requests (merchant_id) WHERE status = 'PENDING';
CREATE INDEX activation_requests_status ON activation_requests (status, request_id);

-- The admin audit log: append-only. Rows are written in the same transaction as the gateway-side record of
-- the action; the trigger below refuses UPDATE, DELETE and TRUNCATE even for the owning role.
CREATE TABLE admin_audit_log (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  audit_id    text NOT NULL UNIQUE,
  actor       text NOT NULL,
  action      text NOT NULL,
  target_kind text NOT NULL,
  target_id   text NOT NULL,
  reason      text NOT NULL DEFAULT '',
  before      jsonb,
  after       jsonb,
  request_id  text NOT NULL DEFAULT '',
  occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX admin_audit_log_target ON admin_audit_log (target_id, seq DESC);
CREATE INDEX admin_audit_log_action ON admin_audit_log (action, seq DESC);

CREATE FUNCTION admin_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'admin_audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER admin_audit_log_no_update_delete
  BEFORE UPDATE OR DELETE ON admin_audit_log
  FOR EACH ROW EXECUTE FUNCTION admin_audit_log_append_only();

CREATE TRIGGER admin_audit_log_no_truncate
  BEFORE TRUNCATE ON admin_audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_log_append_only();
