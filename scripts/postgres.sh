#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL 15 cluster on loopback for the tests.
#   scripts/postgres.sh start DIR PORT   -> prints the SQLAlchemy URL
#   scripts/postgres.sh stop DIR
# The server refuses to run as root, so as root the cluster is owned by the postgres user.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
action=$1 dir=$2
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "$1"; else bash -c "$1"; fi
}
case "$action" in
  start)
    port=$3
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    as_pg "$BIN/initdb -D '$dir/data' -A trust -U postgres" >/dev/null
    as_pg "$BIN/pg_ctl -D '$dir/data' -o \"-k '$dir' -h 127.0.0.1 -p $port -c fsync=off\" -l '$dir/log' -w start" >/dev/null
    echo "postgresql+asyncpg://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_pg "$BIN/pg_ctl -D '$dir/data' -m immediate stop" >/dev/null || true
    rm -rf "$dir"
    ;;
esac
