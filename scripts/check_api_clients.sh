#!/usr/bin/env bash
# The OpenAPI document as integrators use it: starts the server on a fresh SQLite database,
# validates /openapi.json (openapi-spec-validator), generates a Python client
# (openapi-python-client) and drives the core workflow through it (scripts/api_workflow.py),
# and generates TypeScript types (openapi-typescript) that a workflow in TypeScript must
# type-check against (scripts/api_types_check.ts).
#
# Usage: scripts/check_api_clients.sh BINARY PYTHON_VENV NPM_PREFIX
set -euo pipefail
binary=$1
venv=$2
npm_prefix=$3
scripts=$(cd "$(dirname "$0")" && pwd)
. "$scripts/lib/fresh_server.sh"
fresh_server "$binary"

curl -fsS "$base/openapi.json" -o "$work/openapi.json"
echo "--- openapi-spec-validator"
"$venv/bin/openapi-spec-validator" "$work/openapi.json"

echo "--- openapi-python-client, then the workflow through it"
PATH="$venv/bin:$PATH" openapi-python-client generate --path "$work/openapi.json" \
  --config "$scripts/openapi-python-client.yml" --meta none \
  --output-path "$work/python/reminder_client" --fail-on-warning
PYTHONPATH="$work/python" "$venv/bin/python" "$scripts/api_workflow.py" "$base"

echo "--- openapi-typescript, then type-checking a workflow against it"
mkdir -p "$work/ts"
"$npm_prefix/node_modules/.bin/openapi-typescript" "$work/openapi.json" -o "$work/ts/schema.d.ts"
cp "$scripts/api_types_check.ts" "$work/ts/workflow.ts"
"$npm_prefix/node_modules/.bin/tsc" --noEmit --strict --target es2020 --module es2020 \
  --moduleResolution node "$work/ts/workflow.ts"
echo "API clients: OK"
