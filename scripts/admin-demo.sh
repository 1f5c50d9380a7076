#!/usr/bin/env bash
# Drive a running vaultmock through its admin API with nothing but curl:
# reset, seed, snapshot, restore, read the journal, inject a fault, seal.
#
#   VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=root scripts/admin-demo.sh
#
# The token is sent on every call: a mock listening beyond loopback (a
# container) asks for it on the admin API, and the Vault API always does.
# Exits non-zero at the first step that does not answer as expected.
set -euo pipefail

ADDR="${VAULT_ADDR:-http://127.0.0.1:8200}"
TOKEN="${VAULT_TOKEN:-root}"
ADMIN="$ADDR/_vaultmock"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# call METHOD URL [JSON-BODY or @FILE] -> prints the status; the body lands in $WORK/body
call() {
    local method="$1" url="$2" data="${3:-}"
    local args=(-sS -o "$WORK/body" -w '%{http_code}' -X "$method"
        -H "X-Vault-Token: $TOKEN")
    if [[ -n "$data" ]]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$data")
    fi
    curl "${args[@]}" "$url"
}

# expect STATUS METHOD URL [BODY]: fail unless the call answers STATUS
expect() {
    local want="$1"
    shift
    local got
    got="$(call "$@")"
    if [[ "$got" != "$want" ]]; then
        echo "FAIL: $1 $2 answered $got, expected $want: $(cat "$WORK/body")" >&2
        exit 1
    fi
}

contains() {
    if ! grep -q -- "$1" "$WORK/body"; then
        echo "FAIL: expected $1 in: $(cat "$WORK/body")" >&2
        exit 1
    fi
}

step() { echo "== $*"; }

step "health"
expect 200 GET "$ADMIN/health"
contains '"status": "ok"'

step "reset (POST only: GET answers 405)"
expect 405 GET "$ADMIN/reset"
expect 204 POST "$ADMIN/reset"

step "seed: seed 42, 2 preloaded entities"
expect 200 POST "$ADMIN/seed" '{"seed": 42, "preload": 2}'
expect 200 LIST "$ADDR/v1/identity/entity/id"
contains '"keys"'

step "create an entity through the Vault API"
expect 200 POST "$ADDR/v1/identity/entity" '{"name": "demo-user"}'
ENTITY_ID="$(grep -o '"id": "[^"]*"' "$WORK/body" | head -n 1 | cut -d '"' -f 4)"
[[ -n "$ENTITY_ID" ]] || { echo "FAIL: no entity id in the answer" >&2; exit 1; }
echo "   entity $ENTITY_ID"

step "snapshot"
expect 200 GET "$ADMIN/snapshot"
contains '"format": "vaultmock-state/1"'
cp "$WORK/body" "$WORK/snapshot.json"

step "reset: the entity is gone"
expect 204 POST "$ADMIN/reset"
expect 404 GET "$ADDR/v1/identity/entity/id/$ENTITY_ID"

step "restore the snapshot: the entity is back"
expect 204 POST "$ADMIN/restore" "@$WORK/snapshot.json"
expect 200 GET "$ADDR/v1/identity/entity/id/$ENTITY_ID"
contains '"name": "demo-user"'

step "a bad restore body is refused with a message"
expect 400 POST "$ADMIN/restore" '{"not": "a snapshot"}'
contains 'not a vaultmock snapshot'

step "journal: the requests the Vault API received"
expect 200 GET "$ADMIN/journal?method=GET&path=/v1/identity/entity/id/&status=200"
contains "\"path\": \"/v1/identity/entity/id/$ENTITY_ID\""

step "fault: the next entity create answers 503, the one after succeeds"
expect 201 POST "$ADMIN/faults" \
    '{"status": 503, "path": "/v1/identity/entity", "methods": ["POST"], "times": 1}'
expect 503 POST "$ADDR/v1/identity/entity" '{"name": "flaky"}'
expect 200 POST "$ADDR/v1/identity/entity" '{"name": "flaky"}'

step "seal: the server answers like a sealed one, then unseal"
expect 204 POST "$ADMIN/seal"
expect 503 GET "$ADDR/v1/identity/entity/id/$ENTITY_ID"
contains 'Vault is sealed'
expect 200 GET "$ADDR/v1/sys/seal-status"
contains '"sealed": true'
expect 204 POST "$ADMIN/unseal"
expect 200 GET "$ADDR/v1/identity/entity/id/$ENTITY_ID"

step "clear the journal"
expect 204 DELETE "$ADMIN/journal"
expect 200 GET "$ADMIN/journal"
contains '"entries": \[\]'

echo "admin demo: all steps passed"
