#!/usr/bin/env bash
# API fuzzing: starts the server on a fresh SQLite database, signs up a user, and runs
# schemathesis against /openapi.json with that user's token, bounded in examples and time.
# Fails on any 5xx and on any response that breaks its own documented schema.
#
# Usage: scripts/fuzz_api.sh BINARY SCHEMATHESIS [SECONDS]
set -euo pipefail
binary=$1
schemathesis=$2
seconds=${3:-90}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"

ENV=testing HOST=127.0.0.1 PORT=$port DATABASE_URL="sqlite://$work/fuzz.db" \
  PUBLIC_BASE_URL="$base" LOG_FORMAT=json RUST_LOG=warn \
  RATE_LIMIT_AUTH_PER_MINUTE=100000 RATE_LIMIT_WEBHOOKS_PER_MINUTE=100000 \
  "$binary" serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

for _ in $(seq 1 100); do
  curl -fsS "$base/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS -X POST "$base/api/v1/auth/register" -H 'content-type: application/json' \
  -d '{"business_name":"Fuzz","email":"fuzz@fuzz.test","password":"Sturdy-Lamp-42","full_name":"Fuzz"}' >/dev/null
token=$(curl -fsS -X POST "$base/api/v1/auth/token" -d 'username=fuzz@fuzz.test&password=Sturdy-Lamp-42' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

# The signed-in user's own profile is left out: a generated password change would sign the
# run out half-way. Hypothesis's generation health checks are off (they judge the generator,
# not the API, and failed at random); the seed is fixed so CI is repeatable (FUZZ_SEED varies
# it for a wider search by hand).
status=0
"$schemathesis" run "$base/openapi.json" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples 10 --max-time "$seconds" --workers 2 \
  --exclude-path /api/v1/users/me \
  --suppress-health-check all \
  --seed "${FUZZ_SEED:-20261129}" \
  --warnings off || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log (last 50 lines)"
  tail -n 50 "$work/server.log"
fi
exit "$status"
