#!/usr/bin/env bash
# The test command (README "Test it"; .ci/run calls it too). Installs what it uses and is
# missing: cargo-nextest, and a virtualenv with aiosmtpd and moto for the e-mail and storage
# tests. Cases that need what this machine lacks are left out and reported as skipped, with the
# reason, so the count nextest prints is the count that ran:
#
#   MySQL/MariaDB cases       need TEST_MYSQL_URL       (e.g. mysql://root@127.0.0.1:3306)
#   PostgreSQL cases          need TEST_POSTGRES_URL    (e.g. postgres://postgres@127.0.0.1:5432)
#   browser journeys          need chromium and chromedriver (Debian: chromium chromium-driver)
#   database outage cases     need root, mount, and initdb / mariadb-install-db
#
# A left-out case run on its own anyway fails and says what it needs; it never passes unrun.
# TEST_FILTER narrows the run to a nextest filterset (e.g. TEST_FILTER='test(/clients::/)');
# other arguments go to `cargo nextest run`.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo-nextest >/dev/null 2>&1 || cargo install cargo-nextest --locked

PY_TOOLS="${PY_TOOLS:-/var/tmp/reminder-venv}"
[ -x "$PY_TOOLS/bin/python" ] || python3 -m venv "$PY_TOOLS"
"$PY_TOOLS/bin/python" -c 'import aiosmtpd' >/dev/null 2>&1 || "$PY_TOOLS/bin/pip" install --quiet 'aiosmtpd==1.4.6'
"$PY_TOOLS/bin/python" -c 'import moto.server, boto3' >/dev/null 2>&1 || "$PY_TOOLS/bin/pip" install --quiet 'moto[server]==5.1.18'
export SMTP_TEST_PYTHON="${SMTP_TEST_PYTHON:-$PY_TOOLS/bin/python}"

left_out=()
skip() { # filterset, reason
  if [ -n "${CI:-}" ]; then
    echo "CI runs every case, but: $2" >&2
    exit 1
  fi
  left_out+=("$1")
  echo "SKIP $2" >&2
}
[ -n "${TEST_MYSQL_URL:-}" ] || skip 'test(/(::|_)mysql$/)' "MySQL/MariaDB cases: TEST_MYSQL_URL is not set"
[ -n "${TEST_POSTGRES_URL:-}" ] || skip 'test(/(::|_)postgres$/)' "PostgreSQL cases: TEST_POSTGRES_URL is not set"
{ [ -x "${CHROMIUM:-/usr/bin/chromium}" ] && [ -x "${CHROMEDRIVER:-/usr/bin/chromedriver}" ]; } ||
  skip 'test(/^browser::|from_a_browser/)' "browser journeys: chromium or chromedriver is not installed"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n1 || true)
{ [ "$(id -u)" = 0 ] && [ -x "$pg_bin/initdb" ] && command -v mariadb-install-db >/dev/null 2>&1; } ||
  skip 'test(/^outage::/)' "database outage cases: need root, initdb and mariadb-install-db"

filter="(${TEST_FILTER:-all()})"
for excluded in "${left_out[@]}"; do
  filter="$filter - $excluded"
done
exec cargo nextest run --no-fail-fast -E "$filter" "$@"
