#!/usr/bin/env bash
# `make soak`: the long fault and load tests that `make test` leaves out (@pytest.mark.slow),
# e.g. the 100-session SIGKILL/replay/payment reconciliation, a dozen SIGKILLs of the SQLite
# writer and the long fuzzers. First everything on SQLite, then the database-facing soak tests
# once more on a throw-away PostgreSQL server on loopback (like scripts/run-tests.sh does).
# pytest's exit code 5 ("no test collected": a suite without soak tests) is not a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

run_pytest() {
  local code=0
  "$BIN/pytest" -p no:cacheprovider "$@" || code=$?
  [ "$code" -eq 0 ] || [ "$code" -eq 5 ] || return "$code"
}

echo "== soak (SQLite)"
run_pytest -m slow

pgdir=$(mktemp -d /tmp/chargepile-pg.XXXXXX)
port=$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
trap 'scripts/postgres.sh stop "$pgdir"' EXIT
url=$(scripts/postgres.sh start "$pgdir" "$port")
echo "== soak (PostgreSQL at 127.0.0.1:$port)"
suites=()
for d in tests/backend tests/ocpp tests/client tests/payments tests/reliability/test_crash_recovery.py; do
  [ -e "$d" ] && suites+=("$d")
done
CHARGEPILE_TEST_DATABASE_URL=$url run_pytest -m "slow and not browser" "${suites[@]}"
