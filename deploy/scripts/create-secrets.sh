#!/bin/sh
# Creates the Secrets scanpay reads, with fresh random values, in namespace $1 (default scanpay).
# Existing Secrets are left alone, so running it twice is safe; to rotate, see docs/operations.md.
# Values are hex (URL-safe: the NATS token goes into a nats:// URL) and never printed.
# The PostgreSQL CA (scanpay-pg-ca) is created by CloudNativePG; scanpay-backup-s3 (prod backups)
# holds your object-storage credentials and is created by hand.
set -eu

namespace="${1:-scanpay}"
services="gateway merchant wallet promotions settlement"

random_hex() {
  openssl rand -hex 32
}

exists() {
  kubectl --namespace "$namespace" get secret "$1" >/dev/null 2>&1
}

create() {
  name="$1"
  shift
  if exists "$name"; then
    echo "kept    secret/$name"
  else
    kubectl --namespace "$namespace" create secret generic "$name" "$@" >/dev/null
    echo "created secret/$name"
  fi
}

for service in $services; do
  # basic-auth with username = role: the form CloudNativePG's managed roles read.
  create "scanpay-db-$service" --type=kubernetes.io/basic-auth \
    --from-literal=username="scanpay_$service" \
    --from-literal=password="$(random_hex)"
  # CloudNativePG applies a changed password as soon as the Secret changes.
  kubectl --namespace "$namespace" label --overwrite secret "scanpay-db-$service" cnpg.io/reload=true >/dev/null
done
create scanpay-internal-token --from-literal=token="$(random_hex)"
# Starts with a letter so the NATS configuration reads it as a string.
create scanpay-nats --from-literal=token="nats$(random_hex)"
create scanpay-gateway-keys \
  --from-literal=qr-signing-key="$(random_hex)" \
  --from-literal=jwt-secret="$(random_hex)" \
  --from-literal=payment-code-key="$(random_hex)" \
  --from-literal=webhook-key="$(random_hex)" \
  --from-literal=admin-token="admin:sha256:$(printf '%s' "${SCANPAY_ADMIN_TOKEN_PLAIN:?set SCANPAY_ADMIN_TOKEN_PLAIN to the operator token}" | sha256sum | cut -d' ' -f1)"
create scanpay-merchant-keys \
  --from-literal=kek="$(random_hex)" \
  --from-literal=account-token-key="$(random_hex)"
