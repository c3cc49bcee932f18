#!/usr/bin/env bash
# Runs every benchmark in bench/ one after another (never in parallel: they share two cores).
# Each script prints its table and rewrites its own section of bench/RESULTS.md; benchmarks
# that compare against PostgreSQL get a throw-away server on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
pgdir=$(mktemp -d /tmp/chargepile-pg.XXXXXX)
port=$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
trap 'scripts/postgres.sh stop "$pgdir"' EXIT
export CHARGEPILE_BENCH_PG_URL
CHARGEPILE_BENCH_PG_URL=$(scripts/postgres.sh start "$pgdir" "$port")
status=0
for script in bench/*.py; do
  echo "== $script"
  $BIN/python "$script" || { echo "!! $script failed"; status=1; }
done
exit $status
