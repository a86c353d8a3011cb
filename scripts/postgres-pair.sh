#!/usr/bin/env bash
# A PostgreSQL primary and a synchronous streaming standby on one machine, from Debian's postgresql package: for
# ./chaos.sh --db-failover and the failover test in ./test.sh. What an HA manager (Patroni, a cloud's managed failover)
# does is played by hand here: kill the primary, promote the standby.
#
#   scripts/postgres-pair.sh up             create and start node 1 (primary) and node 2 (its synchronous standby)
#   scripts/postgres-pair.sh down           stop both and delete their data
#   scripts/postgres-pair.sh status         print each node's role; exit 0 if a primary runs
#   scripts/postgres-pair.sh kill-primary   SIGKILL the primary's postmaster and its backends, as if its machine were lost
#   scripts/postgres-pair.sh promote        promote the standby to primary (it then runs alone, without a standby)
#   scripts/postgres-pair.sh connection     the worker's multi-host connection string (without a database)
#
# Node N listens on 127.0.0.1:5441+N (5442, 5443); data under $AVATAR_PG_PAIR_DIR (default /var/lib/postgresql/avatar-pair,
# owned by the postgres user, as initdb requires). Node 1 commits only once node 2 has the WAL on disk
# (synchronous_standby_names), so a commit the worker saw acknowledged survives the loss of node 1. It leaves the
# machine's own PostgreSQL cluster (port 5432) alone. Local throwaway credentials (avatar/avatar), not a secret.
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_PREFIX=${LOG_PREFIX:-pg-pair}
source scripts/services.sh

DIR=${AVATAR_PG_PAIR_DIR:-/var/lib/postgresql/avatar-pair}
NODES=(1 2)

port() { echo $((5441 + $1)); }
data() { echo "$DIR/node$1"; }

bin() {
  local version
  version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
  echo "/usr/lib/postgresql/$version/bin/$1"
}

as_postgres() { runuser -u postgres -- "$@"; }

running() { [ -f "$(data "$1")/postmaster.pid" ] && as_postgres "$(bin pg_ctl)" -D "$(data "$1")" status >/dev/null 2>&1; }

psql_on() { # n, sql
  as_postgres "$(bin psql)" -h 127.0.0.1 -p "$(port "$1")" -U postgres -d postgres -XAtq -v ON_ERROR_STOP=1 -c "$2"
}

role() { # n: primary, standby, or down
  if ! running "$1"; then
    echo down
  elif [ "$(psql_on "$1" 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]; then
    echo standby
  else
    echo primary
  fi
}

configure() { # n, extra settings...
  local n=$1
  shift
  {
    echo "# scripts/postgres-pair.sh: node $n"
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $(port "$n")"
    echo "unix_socket_directories = '$DIR'"
    echo "cluster_name = 'node$n'"
    echo "wal_level = replica"
    echo "max_wal_senders = 5"
    echo "wal_keep_size = '256MB'"
    echo "hot_standby = on"
    echo "max_connections = 200"
    echo "logging_collector = off"
    printf '%s\n' "$@"
  } >>"$(data "$n")/postgresql.conf"
}

start() { # n
  as_postgres "$(bin pg_ctl)" -D "$(data "$1")" -l "$(data "$1").log" -w -t 60 start >/dev/null
}

up() {
  [ -x "$(bin initdb)" ] || apt_install postgresql
  if running 1 || running 2; then
    log "the pair is already running"
    status
    return 0
  fi

  rm -rf "$DIR"
  install -d -o postgres -g postgres -m 700 "$DIR"
  as_postgres "$(bin initdb)" -D "$(data 1)" -U postgres --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  cat >"$(data 1)/pg_hba.conf" <<'EOF'
local all         all                    trust
host  all         postgres  127.0.0.1/32 trust
host  replication replicator 127.0.0.1/32 trust
host  all         all       127.0.0.1/32 scram-sha-256
EOF
  configure 1
  start 1
  psql_on 1 "CREATE ROLE replicator REPLICATION LOGIN; CREATE ROLE avatar LOGIN CREATEDB PASSWORD 'avatar';"

  # The standby: a base backup of node 1 that follows it (-R writes primary_conninfo and standby.signal). It runs
  # without a standby of its own, so once promoted it commits alone, as an HA manager leaves a lone survivor.
  as_postgres "$(bin pg_basebackup)" -h 127.0.0.1 -p "$(port 1)" -U replicator -D "$(data 2)" -R -X stream >/dev/null
  sed -i '/^# scripts\/postgres-pair.sh/,$d' "$(data 2)/postgresql.conf"
  configure 2 "synchronous_standby_names = ''"
  start 2

  # Synchronous only now that node 2 streams: before, every commit on node 1 would wait for it.
  psql_on 1 "ALTER SYSTEM SET synchronous_standby_names = 'node2'"
  psql_on 1 "SELECT pg_reload_conf()" >/dev/null
  for _ in $(seq 1 60); do
    [ "$(psql_on 1 "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'node2'")" = sync ] && break
    sleep 1
  done
  [ "$(psql_on 1 "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'node2'")" = sync ] \
    || { log "node 2 did not become node 1's synchronous standby"; exit 1; }
  status
  echo "connection $(connection)"
}

down() {
  local n
  for n in "${NODES[@]}"; do
    if running "$n"; then
      as_postgres "$(bin pg_ctl)" -D "$(data "$n")" -m immediate stop >/dev/null 2>&1 || true
    fi
  done
  rm -rf "$DIR"
}

status() {
  local n primary=1
  for n in "${NODES[@]}"; do
    local r
    r=$(role "$n")
    echo "node $n (127.0.0.1:$(port "$n")): $r"
    [ "$r" = primary ] && primary=0
  done
  return $primary
}

kill_primary() {
  local n
  for n in "${NODES[@]}"; do
    if [ "$(role "$n")" = primary ]; then
      local pid
      pid=$(head -n 1 "$(data "$n")/postmaster.pid")
      # The postmaster and every backend at once: nothing gets to close a connection or flush anything.
      kill -9 "$pid" $(pgrep -P "$pid" || true) 2>/dev/null || true
      rm -f "$(data "$n")/postmaster.pid"
      echo "killed node $n (postmaster $pid)"
      return 0
    fi
  done
  log "no primary is running"
  return 1
}

promote() {
  local n
  for n in "${NODES[@]}"; do
    if [ "$(role "$n")" = standby ]; then
      as_postgres "$(bin pg_ctl)" -D "$(data "$n")" -w promote >/dev/null
      echo "promoted node $n"
      return 0
    fi
  done
  log "no standby is running"
  return 1
}

connection() {
  echo "Host=127.0.0.1:$(port 1),127.0.0.1:$(port 2);Target Session Attributes=primary;Username=avatar;Password=avatar;Database=postgres"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  kill-primary) kill_primary ;;
  promote) promote ;;
  connection) connection ;;
  *)
    sed -n '2,16p' "$0" >&2
    exit 2
    ;;
esac
