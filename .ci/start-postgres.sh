#!/usr/bin/env bash
# Start a throwaway PostgreSQL for the test suite and print the URL the tests read.
#
# Idempotent: run it again and it reuses the running cluster (or restarts a stopped one).
# Needs root on a Debian-like machine (it may apt-get install postgresql and runs the server
# as the unprivileged `postgres` user, because PostgreSQL refuses to run as root).
#
#   eval "$(.ci/start-postgres.sh | tail -n 1)"
set -euo pipefail

PORT="${MODELYARD_PG_PORT:-5433}"
PGDATA="${MODELYARD_PGDATA:-/tmp/modelyard-pgdata}"
SOCKET_DIR="${MODELYARD_PG_SOCKET_DIR:-/tmp}"
ROLE=modelyard
PASSWORD=modelyard
DATABASE=modelyard

log() { echo "start-postgres: $*" >&2; }

find_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

BIN="$(find_bin)"
if [[ -z "$BIN" || ! -x "$BIN/initdb" ]]; then
    log "installing postgresql"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    BIN="$(find_bin)"
fi

as_postgres() { su postgres -s /bin/bash -c "$*"; }

if [[ ! -f "$PGDATA/PG_VERSION" ]]; then
    log "initialising a cluster in $PGDATA"
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    # Local socket: trusted (admin commands below); TCP: passwords, as a real deployment.
    as_postgres "'$BIN/initdb' -D '$PGDATA' -U postgres --auth-local=trust \
        --auth-host=scram-sha-256 >/dev/null"
fi

if as_postgres "'$BIN/pg_ctl' -D '$PGDATA' status" >/dev/null 2>&1; then
    log "already running in $PGDATA"
else
    log "starting on port $PORT"
    as_postgres "'$BIN/pg_ctl' -D '$PGDATA' -o \"-p $PORT -k $SOCKET_DIR -c listen_addresses=127.0.0.1\" \
        -l '$PGDATA/server.log' -w -t 60 start" >&2
fi

for _ in $(seq 1 60); do
    if "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q; then
        break
    fi
    sleep 1
done
"$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" >&2

psql_admin() { as_postgres "'$BIN/psql' -h $SOCKET_DIR -p $PORT -U postgres -d postgres -tAq -v ON_ERROR_STOP=1 -c \"$1\""; }

if [[ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]]; then
    psql_admin "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
fi
if [[ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != "1" ]]; then
    psql_admin "CREATE DATABASE $DATABASE OWNER $ROLE"
fi

echo "export MODELYARD_TEST_POSTGRES_URL=postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
