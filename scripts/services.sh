#!/usr/bin/env bash
# Brings up RabbitMQ and PostgreSQL for the demo and the tests, and stops what it started.
# Sourced by run.sh and test.sh:   source scripts/services.sh; services_up; ...; services_down
#
# With a Docker engine: the rabbitmq and postgres services of docker-compose.yml.
# Without one: Debian's rabbitmq-server and postgresql packages, installed if missing, started in place.
# Either way it exports AVATAR_DB (an admin-capable connection string without a database) and AVATAR_AMQP_*.

SERVICES_STARTED=()

log() { printf '[%s] %s\n' "${LOG_PREFIX:-services}" "$*" >&2; }

docker_available() {
  command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1
}

apt_install() {
  log "installing $* from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "${SERVICES_APT_UPDATED:-}" ]; then
    apt-get update -qq >/dev/null
    SERVICES_APT_UPDATED=1
  fi
  apt-get install -y -qq "$@" >/dev/null
}

# Prometheus and promtool (for the alert rules and the scrape test), from Debian's package; its service is not started.
prometheus_tools() {
  command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 && return 0
  local had_policy=false
  [ -e /usr/sbin/policy-rc.d ] && had_policy=true
  $had_policy || printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  apt_install prometheus
  $had_policy || rm -f /usr/sbin/policy-rc.d
}

postgres_cluster() { # [name]
  # Prints "version name status port" of cluster NAME; without one, of "main" (the package's), or else of the first
  # cluster not created here for the outage tests.
  pg_lsclusters --no-header 2>/dev/null | awk -v want="${1:-}" '
    want != "" && $2 == want { print $1, $2, $4, $3; found = 1; exit }
    want == "" && $2 == "main" { print $1, $2, $4, $3; found = 1; exit }
    want == "" && $2 != "avatar-outage" && first == "" { first = $1 " " $2 " " $4 " " $3 }
    END { if (!found && first != "") print first }'
}

# Starts a Debian PostgreSQL cluster (the first one; or NAME, created beside it if missing) with the avatar login, and
# sets PG_VERSION, PG_NAME and PG_PORT.
debian_postgres_cluster_up() { # [name]
  command -v pg_lsclusters >/dev/null 2>&1 && [ -n "$(postgres_cluster)" ] || apt_install postgresql
  local status
  if [ -n "${1:-}" ] && [ -z "$(postgres_cluster "$1")" ]; then
    read -r PG_VERSION _ _ _ <<<"$(postgres_cluster)"
    log "creating PostgreSQL $PG_VERSION/$1"
    pg_createcluster "$PG_VERSION" "$1" >/dev/null
  fi
  read -r PG_VERSION PG_NAME status PG_PORT <<<"$(postgres_cluster "${1:-}")"
  if [ "$status" != "online" ]; then
    log "starting PostgreSQL $PG_VERSION/$PG_NAME"
    pg_ctlcluster "$PG_VERSION" "$PG_NAME" start
    SERVICES_STARTED+=("pg_ctlcluster $PG_VERSION $PG_NAME stop")
  fi
  local port=$PG_PORT
  for _ in $(seq 1 30); do
    runuser -u postgres -- pg_isready -q -p "$port" && break
    sleep 1
  done
  # A login that may create the per-run test databases. Local throwaway credentials, not a secret.
  runuser -u postgres -- psql -q -p "$port" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'avatar') THEN
    CREATE ROLE avatar LOGIN CREATEDB PASSWORD 'avatar';
  END IF;
END $$;
SQL
}

debian_postgres_up() {
  debian_postgres_cluster_up
  export AVATAR_DB="Host=127.0.0.1;Port=$PG_PORT;Username=avatar;Password=avatar;Database=postgres"
  # What ./chaos.sh stops and starts: pg_ctlcluster <version> <name> stop|start.
  export AVATAR_PG_CLUSTER="$PG_VERSION $PG_NAME"
}

# Servers of their own for the outage tests, which stop and start them while the other tests run on the shared ones:
# a second Debian PostgreSQL cluster (avatar-outage) and the lone RabbitMQ node of scripts/rabbitmq-cluster.sh. With a
# Docker engine the harness starts containers of their own instead.
outage_services_up() {
  docker_available && return 0
  mkdir -p .run
  debian_postgres_cluster_up avatar-outage
  export AVATAR_OUTAGE_DB="Host=127.0.0.1;Port=$PG_PORT;Username=avatar;Password=avatar;Database=postgres"
  export AVATAR_OUTAGE_PG_CLUSTER="$PG_VERSION $PG_NAME"
  scripts/rabbitmq-cluster.sh lone status || SERVICES_STARTED+=("scripts/rabbitmq-cluster.sh lone down")
  scripts/rabbitmq-cluster.sh lone up >.run/rabbitmq-lone.log 2>&1 || { cat .run/rabbitmq-lone.log >&2; return 1; }
  export AVATAR_OUTAGE_AMQP_PORT=5680 AVATAR_OUTAGE_RABBITMQCTL="$PWD/scripts/rabbitmq-cluster.sh lone ctl"
}

debian_rabbitmq_up() {
  command -v rabbitmq-server >/dev/null 2>&1 || apt_install rabbitmq-server
  if ! timeout 20 rabbitmqctl -q status >/dev/null 2>&1; then
    log "starting RabbitMQ"
    service rabbitmq-server start >/dev/null 2>&1 || rabbitmq-server -detached
    SERVICES_STARTED+=("service rabbitmq-server stop")
  fi
  timeout 120 rabbitmqctl -q await_startup >/dev/null
  export AVATAR_AMQP_HOST=127.0.0.1 AVATAR_AMQP_PORT=5672 AVATAR_AMQP_USER=guest AVATAR_AMQP_PASS=guest
}

# Creates (anew) a RabbitMQ virtual host, so a run never sees another run's leftover messages.
rabbitmq_fresh_vhost() {
  local vhost=$1
  if [ "${SERVICES_MODE:-}" = docker ]; then
    docker compose exec -T rabbitmq rabbitmqctl -q delete_vhost "$vhost" >/dev/null 2>&1 || true
    docker compose exec -T rabbitmq rabbitmqctl -q add_vhost "$vhost" >/dev/null
    docker compose exec -T rabbitmq rabbitmqctl -q set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null
  else
    rabbitmqctl -q delete_vhost "$vhost" >/dev/null 2>&1 || true
    rabbitmqctl -q add_vhost "$vhost" >/dev/null
    rabbitmqctl -q set_permissions -p "$vhost" guest '.*' '.*' '.*' >/dev/null
  fi
  export AVATAR_AMQP_VHOST=$vhost
}

services_up() {
  if docker_available && docker compose version >/dev/null 2>&1; then
    SERVICES_MODE=docker
    log "Docker engine found: starting rabbitmq and postgres from docker-compose.yml"
    docker compose up -d --wait rabbitmq postgres >&2
    SERVICES_STARTED+=("docker compose stop rabbitmq postgres")
    export AVATAR_DB="Host=127.0.0.1;Port=5432;Username=avatar;Password=avatar;Database=postgres"
    export AVATAR_AMQP_HOST=127.0.0.1 AVATAR_AMQP_PORT=5672 AVATAR_AMQP_USER=guest AVATAR_AMQP_PASS=guest
  else
    SERVICES_MODE=debian
    log "no Docker engine: using Debian's packages"
    debian_postgres_up
    debian_rabbitmq_up
  fi
}

# For the .NET harness (tests, benchmark, chaos run): with a Docker engine it starts containers itself through
# Testcontainers; otherwise the services come up here, with a fresh virtual host named $1.
harness_services_up() {
  if docker_available; then
    log "Docker engine found: the harness starts RabbitMQ and PostgreSQL through Testcontainers"
    unset AVATAR_DB
  else
    services_up
    rabbitmq_fresh_vhost "$1"
  fi
}

services_down() {
  local i
  for ((i = ${#SERVICES_STARTED[@]} - 1; i >= 0; i--)); do
    log "stopping: ${SERVICES_STARTED[$i]}"
    ${SERVICES_STARTED[$i]} >/dev/null 2>&1 || true
  done
  SERVICES_STARTED=()
}

# Ensures the .NET SDK the repository pins (global.json) is on PATH.
dotnet_check() {
  if ! command -v dotnet >/dev/null 2>&1; then
    log "the .NET 10 SDK is required (dotnet not found on PATH)"
    return 1
  fi
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}
