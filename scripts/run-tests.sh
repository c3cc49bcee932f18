#!/usr/bin/env bash
# The whole quality gate: lint, format, types, the full test suite on SQLite, then the
# database-facing suites once more on a real PostgreSQL server started here on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

echo "== ruff lint";   $BIN/ruff check .
echo "== ruff format"; $BIN/ruff format --check .
echo "== mypy strict"; $BIN/mypy

# One rerun of a failed test: a test that fails and then passes is listed as "rerun" in the
# summary — a flake to investigate (known: tests/ocpp/test_octt_commands.py::test_tc_013_014
# once hung for 120 s getting a PostgreSQL connection, see docs/reliability.md), not a pass to
# ignore. A test that fails twice fails the run.
RERUN=(--reruns 1 --reruns-delay 1)

echo "== pytest (SQLite)"
$BIN/pytest -p no:cacheprovider "${RERUN[@]}" -m "not slow"

pgdir=$(mktemp -d /tmp/chargepile-pg.XXXXXX)
port=$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
trap 'scripts/postgres.sh stop "$pgdir"' EXIT
url=$(scripts/postgres.sh start "$pgdir" "$port")
echo "== pytest (PostgreSQL at 127.0.0.1:$port)"
suites=()
# The reliability tests that exercise the database (the others are database-independent or,
# like test_db_outage.py, start their own PostgreSQL server in the first pass).
for d in tests/backend tests/ocpp tests/client tests/payments \
         tests/reliability/test_crash_recovery.py tests/reliability/test_operator_restart.py \
         tests/reliability/test_api_fuzz.py tests/reliability/test_security.py; do
  [ -e "$d" ] && suites+=("$d")
done
CHARGEPILE_TEST_DATABASE_URL=$url $BIN/pytest -p no:cacheprovider "${RERUN[@]}" -m "not slow and not browser" "${suites[@]}"
