#!/usr/bin/env bash
# System packages the test tiers need, from Debian's archive: iptables and conntrack for the network-namespace NAT
# tests (iproute2 is part of the base system), PostgreSQL for the registry's shared-store tests, and Chromium
# (/usr/bin/chromium) for the dashboard's headless-browser test. Idempotent; skips what is already installed or
# running.
#
# PostgreSQL: a private test cluster (not Debian's `main`) owned by the postgres user, listening on 127.0.0.1:55432
# and a unix socket, with fsync off (throw-away data). Role `pilot`, database `pilot_test`. The URL goes to
# /tmp/pilot-postgres-url, where tests/_support/postgres.ts finds it (.ci/run sources nothing), and is printed as a
# PILOT_TEST_POSTGRES_URL= line.
set -euo pipefail

PG_PORT=55432
PG_BASE=/var/lib/postgresql/pilot-test
PG_URL_FILE=/tmp/pilot-postgres-url
PG_ROLE=pilot
PG_PASSWORD=pilot
PG_DATABASE=pilot_test
PG_START_TIMEOUT_S=60
PG_READY_TRIES=60

# The newest installed server's bin directory, or nothing.
pg_bindir() {
  local newest
  newest=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  if [ -x "$newest/initdb" ]; then echo "$newest"; fi
}

need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v conntrack >/dev/null 2>&1 || need+=(conntrack)
command -v curl >/dev/null 2>&1 || need+=(curl)
[ -n "$(pg_bindir)" ] || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-system: not root; cannot install ${need[*]}" >&2
    exit 1
  fi
  echo "setup-system: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Chromium on its own, best effort: a failed install must not cost the PostgreSQL setup below (the browser test
# itself fails under CI=true when /usr/bin/chromium is missing).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-system: not root; cannot install chromium" >&2
  else
    echo "setup-system: installing chromium"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
      echo "setup-system: cannot install chromium" >&2
  fi
fi

as_postgres() {
  runuser -u postgres -- "$@"
}

setup_postgres() {
  local bin data sock
  bin=$(pg_bindir)
  if [ -z "$bin" ]; then
    echo "setup-system: PostgreSQL server binaries not found under /usr/lib/postgresql" >&2
    return 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-system: not root; cannot start the PostgreSQL test cluster as user postgres" >&2
    return 1
  fi
  data=$PG_BASE/data
  sock=$PG_BASE/sock
  install -d -o postgres -g postgres -m 0700 "$PG_BASE" "$sock"
  # A cluster of another major version (after an upgrade) or a half-made one is test data: make it again.
  local version
  version=$(basename "$(dirname "$bin")")
  if [ -d "$data" ] && [ "$(cat "$data/PG_VERSION" 2>/dev/null || true)" != "$version" ]; then
    as_postgres "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$data"
  fi
  if [ ! -d "$data" ]; then
    echo "setup-system: creating the PostgreSQL $version test cluster in $data"
    as_postgres "$bin/initdb" -D "$data" -U postgres -E UTF8 --no-locale \
      --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  fi
  if ! as_postgres "$bin/pg_isready" -q -h "$sock" -p "$PG_PORT"; then
    # After a crash or a machine restart the lock files may name a pid that is now another process.
    local pid
    pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" != "postgres" ]; then
      rm -f "$data/postmaster.pid" "$sock/.s.PGSQL.$PG_PORT" "$sock/.s.PGSQL.$PG_PORT.lock"
    fi
  fi
  if ! as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    echo "setup-system: starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_postgres "$bin/pg_ctl" -D "$data" -w -t "$PG_START_TIMEOUT_S" -l "$PG_BASE/server.log" \
      -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$sock -c fsync=off \
-c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null || {
      echo "setup-system: PostgreSQL did not start; last lines of $PG_BASE/server.log:" >&2
      tail -n 20 "$PG_BASE/server.log" >&2 || true
      return 1
    }
  fi
  local tries=0
  until as_postgres "$bin/pg_isready" -q -h "$sock" -p "$PG_PORT"; do
    tries=$((tries + 1))
    if [ "$tries" -ge "$PG_READY_TRIES" ]; then
      echo "setup-system: PostgreSQL is not accepting connections on port $PG_PORT" >&2
      return 1
    fi
    sleep 0.5
  done
  local psql=(as_postgres "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$PG_PORT" -d postgres)
  "${psql[@]}" -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN CREATE ROLE $PG_ROLE; END IF;
    END \$\$;" \
    -c "ALTER ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
  if [ "$("${psql[@]}" -tA -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")" != "1" ]; then
    "${psql[@]}" -c "CREATE DATABASE $PG_DATABASE OWNER $PG_ROLE"
  fi
  local url="postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DATABASE"
  echo "$url" >"$PG_URL_FILE.tmp"
  chmod 0644 "$PG_URL_FILE.tmp"
  mv -f "$PG_URL_FILE.tmp" "$PG_URL_FILE"
  echo "PILOT_TEST_POSTGRES_URL=$url"
}

setup_postgres
