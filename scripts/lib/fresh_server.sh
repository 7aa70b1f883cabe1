# Sourced by the API checks: starts BINARY (`$1`) on a fresh SQLite database in a temporary
# folder, on a free port, with the console transport and relaxed rate limits, waits for it,
# signs up a user and sets `work`, `server`, `base` and `token`. The server is stopped and the
# folder removed on exit. Prints the server's last log lines when the caller's check failed.
fresh_server() {
  local binary=$1
  work=$(mktemp -d)
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  ENV=testing HOST=127.0.0.1 PORT=$port DATABASE_URL="sqlite://$work/api.db" \
    PUBLIC_BASE_URL="$base" LOG_FORMAT=json RUST_LOG=warn \
    RATE_LIMIT_AUTH_PER_MINUTE=100000 RATE_LIMIT_WEBHOOKS_PER_MINUTE=100000 \
    "$binary" serve >"$work/server.log" 2>&1 &
  server=$!
  trap 'status=$?; if [ "$status" -ne 0 ]; then echo "--- server log (last 50 lines)"; tail -n 50 "$work/server.log"; fi; kill "$server" 2>/dev/null || true; rm -rf "$work"; exit "$status"' EXIT
  for _ in $(seq 1 100); do
    curl -fsS "$base/health" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fsS -X POST "$base/api/v1/auth/register" -H 'content-type: application/json' \
    -d '{"business_name":"Checks","email":"checks@checks.test","password":"Sturdy-Lamp-42","full_name":"Checks"}' >/dev/null
  token=$(curl -fsS -X POST "$base/api/v1/auth/token" -d 'username=checks@checks.test&password=Sturdy-Lamp-42' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
}
