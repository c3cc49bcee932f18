#!/usr/bin/env bash
# Runs every benchmark in bench/ one after another (never in parallel: they share two cores).
# Each script prints its table and rewrites its own section of bench/RESULTS.md; benchmarks
# that compare against PostgreSQL get a throw-away server on loopback. At the end the "run"
# section at the top of RESULTS.md records the machine, the date, the commit and how each
# script ended.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
pgdir=$(mktemp -d /tmp/chargepile-pg.XXXXXX)
port=$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
trap 'scripts/postgres.sh stop "$pgdir"' EXIT
export CHARGEPILE_BENCH_PG_URL
CHARGEPILE_BENCH_PG_URL=$(scripts/postgres.sh start "$pgdir" "$port")
status=0
outcomes=()
for script in bench/*.py; do
  [ "$script" = bench/results.py ] && continue  # the shared helper, not a benchmark
  echo "== $script"
  started=$(date +%s)
  code=0
  $BIN/python "$script" || code=$?
  [ $code -eq 0 ] || { echo "!! $script failed (exit $code)"; status=1; }
  outcomes+=("$script:$code:$(( $(date +%s) - started ))")
done
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
$BIN/python - "$commit" "${outcomes[@]}" <<'PY'
import sys
sys.path.insert(0, "bench")
from results import write_run_summary
commit, *rows = sys.argv[1:]
write_run_summary([(s, int(c), float(t)) for s, c, t in (r.rsplit(":", 2) for r in rows)], commit)
PY
exit $status
