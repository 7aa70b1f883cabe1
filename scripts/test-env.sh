# Sourced before the README's test command (`.ci/run` does the same):
#
#   . scripts/test-env.sh && cargo nextest run --no-fail-fast -E "$TEST_CASES"
#
# Installs what the tests use and a new machine lacks: cargo-nextest, and a virtualenv with
# aiosmtpd and moto for the e-mail and storage tests (SMTP_TEST_PYTHON names it). Sets
# TEST_CASES to a nextest filterset that leaves out the cases this machine cannot run, printing
# each reason on a SKIP line, so the count nextest prints is the count that ran:
#
#   MySQL/MariaDB cases       need TEST_MYSQL_URL       (e.g. mysql://root@127.0.0.1:3306)
#   PostgreSQL cases          need TEST_POSTGRES_URL    (e.g. postgres://postgres@127.0.0.1:5432)
#   browser journeys          need chromium and chromedriver (Debian: chromium chromium-driver)
#   database outage cases     need root, mount, and initdb / mariadb-install-db
#
# A left-out case run on its own anyway fails and says what it needs; it never passes unrun.
# Under CI=true a case that would be left out fails instead (returns 1). TEST_FILTER narrows
# the cases (e.g. TEST_FILTER='test(/clients::/)').

command -v cargo-nextest >/dev/null 2>&1 || cargo install cargo-nextest --locked || return 1

PY_TOOLS="${PY_TOOLS:-/var/tmp/reminder-venv}"
[ -x "$PY_TOOLS/bin/python" ] || python3 -m venv "$PY_TOOLS" || return 1
"$PY_TOOLS/bin/python" -c 'import aiosmtpd' >/dev/null 2>&1 ||
  "$PY_TOOLS/bin/pip" install --quiet 'aiosmtpd==1.4.6' || return 1
"$PY_TOOLS/bin/python" -c 'import moto.server, boto3' >/dev/null 2>&1 ||
  "$PY_TOOLS/bin/pip" install --quiet 'moto[server]==5.1.18' || return 1
export SMTP_TEST_PYTHON="${SMTP_TEST_PYTHON:-$PY_TOOLS/bin/python}"

TEST_CASES="(${TEST_FILTER:-all()})"
test_env_leave_out() { # filterset, reason
  if [ -n "${CI:-}" ]; then
    echo "CI runs every case, but: $2" >&2
    return 1
  fi
  TEST_CASES="$TEST_CASES - $1"
  echo "SKIP $2" >&2
}
[ -n "${TEST_MYSQL_URL:-}" ] ||
  test_env_leave_out 'test(/(::|_)mysql$/)' "MySQL/MariaDB cases: TEST_MYSQL_URL is not set" || return 1
[ -n "${TEST_POSTGRES_URL:-}" ] ||
  test_env_leave_out 'test(/(::|_)postgres$/)' "PostgreSQL cases: TEST_POSTGRES_URL is not set" || return 1
{ [ -x "${CHROMIUM:-/usr/bin/chromium}" ] && [ -x "${CHROMEDRIVER:-/usr/bin/chromedriver}" ]; } ||
  test_env_leave_out 'test(/^browser::|from_a_browser/)' \
    "browser journeys: chromium or chromedriver is not installed" || return 1
test_env_pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n1 || true)
{ [ "$(id -u)" = 0 ] && [ -x "$test_env_pg_bin/initdb" ] && command -v mariadb-install-db >/dev/null 2>&1; } ||
  test_env_leave_out 'test(/^outage::/)' \
    "database outage cases: need root, initdb and mariadb-install-db" || return 1
export TEST_CASES
